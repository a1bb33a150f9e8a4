"""markdown-it inline nodes (the inside of a paragraph, heading or table cell) read as
plain text, markdown, links and comma-separated entries."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from tracker.markdown_convert.text import URL, cut_at_commas, is_decoration


def parse_markdown(text: str) -> SyntaxTreeNode:
    """The syntax tree of a document: CommonMark plus the tables the family uses."""
    return SyntaxTreeNode(MarkdownIt("commonmark").enable("table").parse(text))


@dataclass
class Link:
    text: str
    url: str | None


def is_break(node: SyntaxTreeNode) -> bool:
    return node.type in ("softbreak", "hardbreak") or (
        node.type == "html_inline" and re.fullmatch(r"<br\s*/?>", node.content.strip(), re.I)
    )


def inline_children(node: SyntaxTreeNode | None) -> list[SyntaxTreeNode]:
    """The inline nodes of a block (paragraph, heading, cell) or of an inline container."""
    if node is None:
        return []
    if node.type == "inline":
        return list(node.children)
    for child in node.children:
        if child.type == "inline":
            return list(child.children)
    return list(node.children) if node.type in ("strong", "em", "link") else []


def split_lines(nodes: list[SyntaxTreeNode]) -> list[list[SyntaxTreeNode]]:
    """Split inline nodes at line breaks (soft, hard, or ``<br>``); empty lines dropped."""
    lines: list[list[SyntaxTreeNode]] = [[]]
    for node in nodes:
        if is_break(node):
            lines.append([])
        else:
            lines[-1].append(node)
    return [line for line in lines if plain_text(line) or links_in(line)]


def first_paragraph(li: SyntaxTreeNode) -> SyntaxTreeNode | None:
    """A list item's text: its first paragraph (nested lists and code come after it)."""
    return next((c for c in li.children if c.type == "paragraph"), None)


def list_item_lines(li: SyntaxTreeNode) -> list[list[SyntaxTreeNode]]:
    """The lines of a list item's first paragraph."""
    return split_lines(inline_children(first_paragraph(li)))


def plain_text(nodes: Iterable[SyntaxTreeNode]) -> str:
    """Text without markup; images count as their alt text, breaks as spaces."""
    parts: list[str] = []
    for node in nodes:
        if node.type in ("text", "code_inline"):
            parts.append(node.content)
        elif is_break(node):
            parts.append(" ")
        elif node.type == "image":
            parts.append(plain_text(node.children))
        elif node.type == "html_inline":
            continue
        else:
            parts.append(plain_text(node.children))
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def plain_text_of_markdown(markdown: str) -> str:
    """The plain text of a markdown snippet (for the summary, from the tagline or intro)."""
    if not markdown:
        return ""
    # Without the table extension, as the summary has always been made.
    root = SyntaxTreeNode(MarkdownIt("commonmark").parse(markdown))
    texts = [plain_text(node.children) for node in root.walk() if node.type == "inline"]
    return " ".join(texts).strip()


def to_markdown(nodes: Iterable[SyntaxTreeNode], *, depth: int = 0) -> str:
    """Inline nodes back to markdown. A hard break becomes a paragraph break at the top level
    (as in content/llm.yaml) and a backslash line break inside emphasis, which it can't split."""
    parts: list[str] = []
    for node in nodes:
        kind = node.type
        if kind == "text":
            parts.append(node.content)
        elif kind == "softbreak":
            parts.append("\n")
        elif is_break(node):
            parts.append("\n\n" if depth == 0 else "\\\n")
        elif kind in ("strong", "em"):
            inner = to_markdown(node.children, depth=depth + 1)
            parts.append(f"{node.markup}{inner}{node.markup}")
        elif kind == "link":
            inner = to_markdown(node.children, depth=depth + 1)
            parts.append(f"[{inner}]({node.attrs.get('href', '')})")
        elif kind == "image":
            parts.append(f"![{plain_text(node.children)}]({node.attrs.get('src', '')})")
        elif kind == "code_inline":
            parts.append(f"{node.markup}{node.content}{node.markup}")
        else:
            parts.append(node.content)
    text = "".join(parts)
    return re.sub(r"[ \t]+\n", "\n", text).strip()


def links_in(nodes: Iterable[SyntaxTreeNode]) -> list[Link]:
    """Markdown links and bare URLs, in order (images are not links)."""
    found: list[Link] = []
    for node in nodes:
        if node.type == "link":
            found.append(Link(plain_text(node.children), node.attrs.get("href") or None))
        elif node.type == "text":
            found.extend(Link("", match.group(0)) for match in URL.finditer(node.content))
        elif node.type in ("strong", "em"):
            found.extend(links_in(node.children))
    return [link for link in found if link.url and link.url.startswith(("http://", "https://"))]


def images_in(nodes: Iterable[SyntaxTreeNode]) -> list[tuple[str, str]]:
    """(alt text, source) of each image, in order."""
    found: list[tuple[str, str]] = []
    for node in nodes:
        if node.type == "image":
            found.append((plain_text(node.children), node.attrs.get("src", "")))
        elif node.type in ("strong", "em", "link"):
            found.extend(images_in(node.children))
    return found


def text_outside_links(nodes: Iterable[SyntaxTreeNode]) -> str:
    """Plain text that is neither a link, a bare URL nor an image."""
    parts: list[str] = []
    for node in nodes:
        if node.type in ("link", "image"):
            parts.append(" ")
        elif node.type == "text":
            parts.append(URL.sub(" ", node.content))
        elif node.type in ("strong", "em"):
            parts.append(text_outside_links(node.children))
        elif node.type == "code_inline":
            parts.append(node.content)
        elif is_break(node):
            parts.append(" ")
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def only_links(nodes: Iterable[SyntaxTreeNode]) -> bool:
    """Links with nothing but glyphs around them, like "👉 [See README](…)"."""
    nodes = list(nodes)
    return bool(links_in(nodes)) and is_decoration(text_outside_links(nodes))


def strong_text(line: list[SyntaxTreeNode]) -> str | None:
    """The text of a line's leading bold (or italic) run, if the line starts with one."""
    for node in line:
        if node.type == "text" and not node.content.strip():
            continue
        if node.type in ("strong", "em"):
            return plain_text(node.children)
        return None
    return None


def looks_like_title(entry: list[SyntaxTreeNode]) -> bool:
    """A short name ("Entanglement", "Measurement (Born rule)"), not a sentence of prose."""
    if links_in(entry):
        return is_decoration(text_outside_links(entry)) or len(plain_text(entry).split()) <= 8
    text = plain_text(entry).strip()
    return bool(text) and len(text.split()) <= 8 and not text.endswith((".", ":", "!", "?"))


def split_inline_commas(nodes: list[SyntaxTreeNode]) -> list[list[Any]]:
    """Split inline nodes into entries at commas and line breaks outside links/parentheses.

    A text node that holds a separating comma is cut into `_Text` stand-ins, one per piece.
    """
    entries: list[list[Any]] = [[]]
    depth = 0
    for node in nodes:
        if is_break(node):
            entries.append([])
            continue
        if node.type != "text":
            entries[-1].append(node)
            continue
        pieces, depth = cut_at_commas(node.content, depth)
        for index, piece in enumerate(pieces):
            if index:
                entries.append([])
            if piece:
                entries[-1].append(_Text(piece))
    return [e for e in entries if plain_text(e) or links_in(e)]


class _Text:
    """A text piece standing in for a markdown-it text node after splitting at commas."""

    type = "text"
    children: tuple = ()
    markup = ""
    attrs: dict = {}

    def __init__(self, content: str):
        self.content = content
