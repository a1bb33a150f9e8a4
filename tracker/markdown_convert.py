"""Convert a roadmap document of the LLM-roadmap markdown family into content YAML data.

Pure functions over text: no ORM, no files. `convert(text)` returns a `Conversion` whose
`data` follows content/README.md's schema (version 1) and whose `warnings` say, with line
numbers, what could not be placed exactly (each such piece is kept as text, never dropped).

How it reads a document (markdown-it-py, CommonMark + tables, walked as a syntax tree):

- the whole text is normalised first: CRLF → LF, mojibake fixed with ftfy, plus the two
  truncated sequences ftfy cannot see (``â—`` → ❗, a lone ``â`` → ⭐);
- ``#`` is the title; paragraphs before the first ``##`` are the intro, the first quote the
  tagline; the table of contents is skipped (pages build it from the sections);
- each ``##`` becomes a section whose kind comes from its heading (emoji, colons, case and
  dash style ignored): prerequisites, a level (beginner/intermediate/advanced), techniques
  ("… Learning Resources", "Techniques", "Architectures", "Tools", "Domains"), projects,
  outcomes, careers, notes; anything else is a ``kind: text`` section keeping its markdown;
- inside a level: "Core Concepts…" lists (bullets or comma-separated lines, linked or not)
  become concept items, tables become section resources (kind from the column header),
  "Highly Recommended…" lists become ``highly-recommended`` resources, quotes the callout;
- a techniques table's rows become technique items, project bullets become project items.

Effort estimates are defaults from `DEFAULT_EFFORT` (documented in content/README.md); every
item says so in `effort_note`, for an editor to replace with a judgement.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import ftfy
from django.utils.text import slugify
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from tracker.content_io.schema import (
    DEFAULT_ITEM_KIND,
    LEVELS,
    RESERVED_ITEM_SLUGS,
    default_resource_key,
)

# Hours per item kind and level when the document says nothing about effort. Topics are
# refreshers of roughly equal size whatever their place; an item with no level counts as
# intermediate. Keep in step with the table in content/README.md.
DEFAULT_EFFORT: dict[str, dict[str, int]] = {
    "topic": {"beginner": 6, "intermediate": 6, "advanced": 6},
    "concept": {"beginner": 4, "intermediate": 6, "advanced": 8},
    "technique": {"beginner": 5, "intermediate": 6, "advanced": 8},
    "project": {"beginner": 10, "intermediate": 16, "advanced": 24},
}

SECTION_ITEM_KIND = DEFAULT_ITEM_KIND

# Mojibake that ftfy cannot repair because cp1252 has no character for one of the bytes, so
# the byte was lost: ❗ (E2 9D 97) survives as "â—" and ⭐ (E2 AD 90) as a lone "â".
_TRUNCATED_MOJIBAKE = [
    (re.compile("â\u00ad?\u2014"), "❗"),
    (re.compile(r"(?<![^\s(\[])â\u00ad?(?![\w\u00ad])"), "⭐"),
]

_URL = re.compile(r"https?://[^\s<>()\[\]]+[^\s<>()\[\].,;:!?'\"]")
_TRAILING_PAREN = re.compile(r"^(?P<title>.*?)\s*\((?P<note>[^()]*)\)\s*$")
_PARENS = re.compile(r"\s*\([^()]*\)")
_SEPARATOR = " \t-–—:|·•"
_KIND_NOTES = {
    "paper": "paper",
    "book": "book",
    "course": "course",
    "video": "video",
    "playlist": "playlist",
    "documentation": "documentation",
    "docs": "documentation",
    "article": "article",
    "blog": "article",
}


class RoadmapFormatError(ValueError):
    """The document is not a roadmap of this family (e.g. an ordinary README)."""


@dataclass(frozen=True)
class ConversionWarning:
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.line}: warning: {self.message}"


@dataclass
class Conversion:
    data: dict[str, Any]
    warnings: list[ConversionWarning] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Text normalisation and inline helpers


def normalize_text(text: str) -> str:
    """LF line endings and mojibake fixed, before any parsing."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    # Curly quotes are the author's; ftfy would otherwise straighten them.
    text = ftfy.fix_text(text, uncurl_quotes=False)
    for pattern, replacement in _TRUNCATED_MOJIBAKE:
        text = pattern.sub(replacement, text)
    return text


def _is_break(node: SyntaxTreeNode) -> bool:
    return node.type in ("softbreak", "hardbreak") or (
        node.type == "html_inline" and re.fullmatch(r"<br\s*/?>", node.content.strip(), re.I)
    )


def _inline_children(node: SyntaxTreeNode | None) -> list[SyntaxTreeNode]:
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
        if _is_break(node):
            lines.append([])
        else:
            lines[-1].append(node)
    return [line for line in lines if plain_text(line) or _links(line)]


def plain_text(nodes: Iterable[SyntaxTreeNode]) -> str:
    """Text without markup; images count as their alt text, breaks as spaces."""
    parts: list[str] = []
    for node in nodes:
        if node.type in ("text", "code_inline"):
            parts.append(node.content)
        elif _is_break(node):
            parts.append(" ")
        elif node.type == "image":
            parts.append(plain_text(node.children))
        elif node.type == "html_inline":
            continue
        else:
            parts.append(plain_text(node.children))
    return re.sub(r"\s+", " ", "".join(parts)).strip()


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
        elif _is_break(node):
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


@dataclass
class Link:
    text: str
    url: str | None


def _links(nodes: Iterable[SyntaxTreeNode]) -> list[Link]:
    """Markdown links and bare URLs, in order (images are not links)."""
    found: list[Link] = []
    for node in nodes:
        if node.type == "link":
            found.append(Link(plain_text(node.children), node.attrs.get("href") or None))
        elif node.type == "text":
            found.extend(Link("", match.group(0)) for match in _URL.finditer(node.content))
        elif node.type in ("strong", "em"):
            found.extend(_links(node.children))
    return [link for link in found if link.url and link.url.startswith(("http://", "https://"))]


def _images(nodes: Iterable[SyntaxTreeNode]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for node in nodes:
        if node.type == "image":
            found.append((plain_text(node.children), node.attrs.get("src", "")))
        elif node.type in ("strong", "em", "link"):
            found.extend(_images(node.children))
    return found


def _text_outside_links(nodes: Iterable[SyntaxTreeNode]) -> str:
    """Plain text that is neither a link, a bare URL nor an image."""
    parts: list[str] = []
    for node in nodes:
        if node.type in ("link", "image"):
            parts.append(" ")
        elif node.type == "text":
            parts.append(_URL.sub(" ", node.content))
        elif node.type in ("strong", "em"):
            parts.append(_text_outside_links(node.children))
        elif node.type == "code_inline":
            parts.append(node.content)
        elif _is_break(node):
            parts.append(" ")
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _is_decoration(text: str) -> bool:
    """Emoji, arrows and separators only: glyphs like the 👉 before a link, not content."""
    return all(
        ch in _SEPARATOR + ",." or unicodedata.category(ch) in ("So", "Sk", "Sm", "Mn", "Cf")
        for ch in text
    )


def _strong_text(line: list[SyntaxTreeNode]) -> str | None:
    """The text of a line's leading bold (or italic) run, if the line starts with one."""
    for node in line:
        if node.type == "text" and not node.content.strip():
            continue
        if node.type in ("strong", "em"):
            return plain_text(node.children)
        return None
    return None


def _looks_like_title(entry: list[SyntaxTreeNode]) -> bool:
    """A short name ("Entanglement", "Measurement (Born rule)"), not a sentence of prose."""
    if _links(entry):
        return _is_decoration(_text_outside_links(entry)) or len(plain_text(entry).split()) <= 8
    text = plain_text(entry).strip()
    return bool(text) and len(text.split()) <= 8 and not text.endswith((".", ":", "!", "?"))


_BLOCK_NAMES = {
    "fence": "a code block",
    "code_block": "a code block",
    "bullet_list": "a list",
    "ordered_list": "a numbered list",
    "html_block": "raw HTML",
    "table": "a table",
    "paragraph": "a paragraph",
    "blockquote": "a quote",
    "heading": "a heading",
}


def _block_name(node: SyntaxTreeNode) -> str:
    return _BLOCK_NAMES.get(node.type, node.type.replace("_", " "))


def heading_key(text: str) -> str:
    """A heading reduced for matching: no emoji or punctuation, lower case, single spaces."""
    text = "".join(ch if ch.isalnum() or ch in "&/" else " " for ch in text.lower())
    return re.sub(r"\s+", " ", text).strip()


def level_of(text: str) -> str | None:
    words = heading_key(text).split()
    for level in LEVELS:
        if level in words:
            return level
    if {"basic", "basics"} & set(words):
        return "beginner"
    if "expert" in words:
        return "advanced"
    return None


def split_title_note(title: str) -> tuple[str, str | None]:
    """ "Linear Algebra (embeddings, attention)" → ("Linear Algebra", "embeddings, attention")."""
    match = _TRAILING_PAREN.match(title)
    if match and match.group("title"):
        return match.group("title").strip(), match.group("note").strip()
    return title, None


def url_kind(url: str | None, title: str = "") -> str:
    """Resource kind guessed from a link's target (and title words) outside a table."""
    lowered = (url or "").lower()
    words = heading_key(title).split()
    if "arxiv.org" in lowered or lowered.endswith(".pdf") or "paper" in words:
        return "paper"
    if "documentation" in words or "docs" in words or re.search(r"/docs?\b|//docs\.", lowered):
        return "documentation"
    if "youtube.com/playlist" in lowered:
        return "playlist"
    if "youtube.com" in lowered or "youtu.be" in lowered:
        return "video"
    if (
        "course" in words
        or "course" in lowered
        or "/class/" in lowered
        or any(
            host in lowered
            for host in ("coursera.org", "edx.org", "ocw.mit.edu", "kaggle.com/learn")
        )
    ):
        return "course"
    if "book" in words or "oreilly.com/library" in lowered:
        return "book"
    return "article"


def column_meaning(header: str) -> str | None:
    """A table column's meaning from its header, whatever its wording or case."""
    key = heading_key(header)
    words = set(key.replace("/", " ").split())
    if key in ("s no", "sno", "s no.", "no", "#", "") or key.startswith(("s no", "serial")):
        return "row"
    if words & {"level", "difficulty"}:
        return "level"
    if words & {"book", "books"}:
        return "book"
    if words & {"playlist", "playlists"}:
        return "playlist"
    if words & {"course", "courses", "program", "programme", "university"}:
        return "course"
    if words & {"documentation", "docs", "doc"}:
        return "documentation"
    if words & {"paper", "papers"}:
        return "paper"
    if words & {"video", "videos", "youtube", "lecture", "lectures"}:
        return "video"
    if words & {"blog", "article", "articles", "website", "site", "tutorial", "guide"}:
        return "article"
    if "resource" in words or "resources" in words or "link" in words or "links" in words:
        return "article"
    return None


def url_title(url: str) -> str:
    """A readable title for a bare URL: host and path without scheme, www or trailing slash."""
    title = re.sub(r"^https?://(www\.)?", "", url).rstrip("/")
    return title or url


# --------------------------------------------------------------------------------------------
# Document structure


@dataclass
class Block:
    """A ``##`` section with its blocks; ``subsections`` split it at ``###`` (or deeper)."""

    heading: SyntaxTreeNode | None
    title: str
    line: int
    blocks: list[SyntaxTreeNode]


def _line(node: SyntaxTreeNode | None) -> int:
    while node is not None and node.map is None:
        node = node.parent
    return node.map[0] + 1 if node is not None and node.map else 1


def _split(nodes: list[SyntaxTreeNode], level: int) -> tuple[list[SyntaxTreeNode], list[Block]]:
    """Blocks before the first heading of `level` (or higher), then one Block per heading."""
    head: list[SyntaxTreeNode] = []
    parts: list[Block] = []
    for node in nodes:
        if node.type == "heading" and int(node.tag[1]) <= level and int(node.tag[1]) > 1:
            title = plain_text(_inline_children(node))
            parts.append(Block(node, title, _line(node), []))
        elif parts:
            parts[-1].blocks.append(node)
        else:
            head.append(node)
    return head, parts


class _Converter:
    def __init__(self, text: str, *, slug: str | None, previous_slugs: dict | None):
        self.text = normalize_text(text)
        self.lines = self.text.split("\n")
        self.slug = slug
        self.previous_slugs = previous_slugs or {}
        self.warnings: list[ConversionWarning] = []
        self.md = MarkdownIt("commonmark").enable("table")

    # -- helpers -------------------------------------------------------------------------

    def warn(self, node_or_line: SyntaxTreeNode | int | None, message: str) -> None:
        line = node_or_line if isinstance(node_or_line, int) else _line(node_or_line)
        self.warnings.append(ConversionWarning(line, message))

    def source(self, node: SyntaxTreeNode) -> str:
        """A block's markdown exactly as written (after normalisation)."""
        if not node.map:
            return ""
        start, end = node.map
        return "\n".join(self.lines[start:end]).strip("\n")

    def keep_as_text(self, section: dict, node: SyntaxTreeNode, why: str) -> None:
        self.warn(node, f"{why}; kept as text in the body of section {section['title']!r}")
        self._append(section, "body", self.source(node))

    @staticmethod
    def _append(target: dict, key: str, markdown: str) -> None:
        if not markdown:
            return
        target[key] = f"{target[key]}\n\n{markdown}" if target.get(key) else markdown

    def block_markdown(self, node: SyntaxTreeNode) -> str:
        """A paragraph or quote as markdown; quotes lose their ``>`` (pages style them)."""
        if node.type == "paragraph":
            return to_markdown(_inline_children(node))
        if node.type == "blockquote":
            return "\n\n".join(filter(None, (self.block_markdown(c) for c in node.children)))
        return self.source(node)

    # -- document ------------------------------------------------------------------------

    def run(self) -> Conversion:
        root = SyntaxTreeNode(self.md.parse(self.text))
        nodes = list(root.children)
        h1_index = next(
            (i for i, n in enumerate(nodes) if n.type == "heading" and n.tag == "h1"), None
        )
        if h1_index is None:
            raise RoadmapFormatError("no '# Title' heading: this is not a roadmap document")
        title = plain_text(_inline_children(nodes[h1_index]))
        data: dict[str, Any] = {"schema": 1, "slug": self.slug or roadmap_slug(title)}
        data["title"] = title
        for node in nodes[:h1_index]:
            self.warn(node, "text before the '#' title; kept in the intro")
        preamble, parts = _split(nodes[h1_index + 1 :], 2)

        intro: list[str] = [self.source(n) for n in nodes[:h1_index] if n.type != "hr"]
        tagline = None
        for node in preamble:
            if node.type == "hr":
                continue
            if node.type == "blockquote" and tagline is None:
                tagline = self.block_markdown(node)
            elif node.type == "paragraph":
                intro.append(self.block_markdown(node))
            else:
                if node.type == "heading":
                    self.warn(node, "a heading before the first '##' section; kept in the intro")
                intro.append(self.source(node))
        summary = plain_text_of_markdown(tagline or (intro[0] if intro else ""))
        if summary:
            data["summary"] = summary
        if intro:
            data["intro"] = "\n\n".join(filter(None, intro))
        if tagline:
            data["tagline"] = tagline

        sections: list[dict] = []
        for part in parts:
            section = self.section(part)
            if section is not None:
                sections.append(section)
        self.assign_slugs(sections)
        if not any(s["kind"] == "level" for s in sections) or not any(
            s.get("items") for s in sections
        ):
            raise RoadmapFormatError(
                "no level sections ('## Beginner Level …') with concepts or projects: "
                "this does not look like a roadmap document"
            )
        data["sections"] = sections
        self.finish_items(sections)
        return Conversion(data, self.warnings)

    def section(self, part: Block) -> dict | None:
        key = heading_key(part.title)
        if key in ("table of contents", "contents", "toc"):
            return None  # generated by pages from the sections (content/README.md)
        if "prerequisite" in key or key in ("requirements", "before you start"):
            return self.prerequisites(part)
        if "project" in key:
            return self.projects(part)
        if "outcome" in key:
            return self.entries_section(part, "outcomes")
        if "career" in key:
            return self.entries_section(part, "careers")
        if key in ("final notes", "notes", "final note", "final words"):
            return self.notes(part)
        words = set(key.split())
        if "learning resources" in key or words & {
            "techniques",
            "technique",
            "architectures",
            "tools",
            "domains",
            "practices",
        }:
            return self.techniques(part)
        if level_of(part.title):
            return self.level(part)
        if key.startswith("highly recommended"):
            section = {"slug": "", "kind": "text", "title": part.title}
            self.highly_recommended(section, part.blocks)
            return section
        return self.text_section(part)

    def text_section(self, part: Block) -> dict:
        self.warn(part.heading, f"section {part.title!r} is not a roadmap section; kept as text")
        section = {"slug": "", "kind": "text", "title": part.title}
        body = [self.source(n) for n in part.blocks if n.type != "hr"]
        if body:
            section["body"] = "\n\n".join(body)
        return section

    # -- prerequisites ---------------------------------------------------------------------

    def prerequisites(self, part: Block) -> dict:
        section: dict[str, Any] = {"slug": "", "kind": "prerequisites", "title": part.title}
        items: list[dict] = []
        resources: list[dict] = []
        head, subs = _split(part.blocks, 6)
        for group, blocks in [(None, head)] + [(b.title, b.blocks) for b in subs]:
            for node in blocks:
                if node.type == "hr":
                    continue
                if node.type == "bullet_list" or node.type == "ordered_list":
                    for li in node.children:
                        self.prereq_group(li, group, items, resources, section)
                elif node.type == "paragraph" and not items and group is None:
                    self._append(section, "body", self.block_markdown(node))
                else:
                    self.keep_as_text(section, node, "text among the prerequisites")
        if resources:
            section["resources"] = resources
        section["items"] = items
        return section

    def prereq_group(self, li, group, items, resources, section) -> None:
        paragraph = next((c for c in li.children if c.type == "paragraph"), None)
        lines = split_lines(_inline_children(paragraph))
        nested = [c for c in li.children if c.type in ("bullet_list", "ordered_list")]
        first = lines[0] if lines else []
        strong = _strong_text(first)
        if not nested and strong is None:
            self.prereq_item(li, group, items, resources, section)
            return
        # "**Group**" with sub-bullets, or "**Group**: a, [b](url), c" on one line.
        name = (strong or plain_text(first)).strip(_SEPARATOR)
        if strong is not None:
            start = next(i for i, n in enumerate(first) if n.type in ("strong", "em")) + 1
            for entry in split_inline_commas(first[start:]):
                topic = self.topic_from_nodes(entry, name, li)
                if topic is not None:
                    items.append(topic)
        for line in lines[1:]:
            self.prereq_extra_line(line, name, None, resources, section, li)
        for lst in nested:
            for sub in lst.children:
                self.prereq_item(sub, name, items, resources, section)

    def topic_from_nodes(self, nodes, group, node) -> dict | None:
        links = _links(nodes)
        title = links[0].text if links and links[0].text else _text_outside_links(nodes)
        title = title.strip(_SEPARATOR) or (url_title(links[0].url) if links else "")
        if not title:
            return None
        item = self.topic(title, group, node)
        if links:
            item["resources"] = [
                self.resource(link.text or item["title"], link.url, group="link") for link in links
            ]
        return item

    def prereq_item(self, li, group, items, resources, section) -> None:
        paragraph = next((c for c in li.children if c.type == "paragraph"), None)
        lines = split_lines(_inline_children(paragraph))
        if not lines:
            return
        item = self.topic_from_nodes(lines[0], group, li)
        if item is None:
            self.keep_as_text(section, li, "a prerequisite without a title")
            return
        items.append(item)
        for line in lines[1:]:
            self.prereq_extra_line(line, group, item, resources, section, li)
        for child in li.children:
            if child.type in ("bullet_list", "ordered_list", "blockquote", "fence"):
                self._append(item, "description", self.source(child))

    def prereq_extra_line(self, line, group, item, resources, section, node) -> None:
        links = _links(line)
        leftover = _text_outside_links(line)
        if links and _is_decoration(leftover):
            # e.g. "👉 [See README.md#…](…)": a pointer to reading for the whole group.
            for link in links:
                resource = self.resource(link.text or url_title(link.url), link.url, group=None)
                if group:
                    resource["group"] = group
                resources.append(resource)
        elif item is not None:
            self._append(item, "description", to_markdown(line))
        else:
            self.warn(node, f"line {plain_text(line)!r} under a prerequisite group")
            self._append(section, "body", to_markdown(line))

    def topic(self, title: str, group: str | None, node) -> dict:
        title, note = split_title_note(title.strip())
        item: dict[str, Any] = {"kind": "topic", "title": title, "_line": _line(node)}
        if note:
            item["note"] = note
            if "optional" in note.lower():
                item["optional"] = True
        if group:
            item["group"] = group
        return item

    # -- levels ------------------------------------------------------------------------------

    def level(self, part: Block) -> dict:
        level = level_of(part.title)
        section: dict[str, Any] = {
            "slug": "",
            "kind": "level",
            "level": level,
            "title": part.title,
        }
        section_resources: list[dict] = []
        items: list[dict] = []
        head, subs = _split(part.blocks, 6)
        self.level_blocks(section, head, None, items, section_resources, top=True)
        for sub in subs:
            key = heading_key(sub.title)
            if key.startswith(("highly recommended", "recommended")) or "must read" in key:
                self.highly_recommended(section, sub.blocks, section_resources)
            elif "concept" in key or "topics" in key or "key ideas" in key:
                group = concept_group(sub.title)
                self.level_blocks(section, sub.blocks, group, items, section_resources)
            elif any(n.type == "table" for n in sub.blocks) and "resource" in key:
                self.level_blocks(section, sub.blocks, None, items, section_resources)
            else:
                self.warn(sub.heading, f"subsection {sub.title!r} is not a roadmap part")
                self._append(section, "body", self.source(sub.heading))
                for node in sub.blocks:
                    if node.type != "hr":
                        self._append(section, "body", self.source(node))
        if section_resources:
            section["resources"] = section_resources
        section["items"] = items
        return section

    def level_blocks(self, section, blocks, group, items, resources, *, top=False) -> None:
        for node in blocks:
            if node.type == "hr":
                continue
            if node.type == "table":
                self.level_table(section, node, resources)
            elif node.type == "blockquote":
                self._append(section, "callout", self.block_markdown(node))
            elif node.type in ("bullet_list", "ordered_list"):
                for li in node.children:
                    items.extend(self.concepts_from_list_item(li, group))
            elif node.type == "paragraph":
                entries = split_inline_commas(_inline_children(node))
                linked = all(_links(e) and _is_decoration(_text_outside_links(e)) for e in entries)
                if top and not items and not linked:
                    self._append(section, "body", self.block_markdown(node))
                elif linked or (not top and all(_looks_like_title(e) for e in entries)):
                    items.extend(self.concepts_from_line_list(node, group))
                else:
                    self.keep_as_text(section, node, "a paragraph among the concepts")
            else:
                self.keep_as_text(section, node, _block_name(node))

    def concept(self, title: str, links: list[Link], group, node, description=None) -> dict:
        item: dict[str, Any] = {"kind": "concept", "title": title, "_line": _line(node)}
        if group:
            item["group"] = group
        if description:
            item["description"] = description
        if links:
            item["resources"] = [
                self.resource(link.text or title, link.url, group="link") for link in links
            ]
        return item

    def concepts_from_list_item(self, li, group) -> list[dict]:
        paragraph = next((c for c in li.children if c.type == "paragraph"), None)
        lines = split_lines(_inline_children(paragraph))
        if not lines:
            return []
        first = lines[0]
        links = _links(first)
        leftover = _text_outside_links(first)
        if links and links[0].text:
            title = links[0].text
            description = leftover.strip(_SEPARATOR) or None
        else:
            title = (_strong_text(first) or leftover or url_title(links[0].url)).strip(_SEPARATOR)
            rest = leftover[len(title) :].strip(_SEPARATOR) if leftover.startswith(title) else ""
            description = rest or None
        more = [to_markdown(line) for line in lines[1:]]
        for line in lines[1:]:
            links.extend(_links(line))
        for child in li.children:
            if child.type != "paragraph":
                more.append(self.source(child))
        text = "\n\n".join(filter(None, [description, *more])) or None
        return [self.concept(title, links, group, li, text)]

    def concepts_from_line_list(self, paragraph, group) -> list[dict]:
        """'[A](u), [B](v), C' lines: one concept per comma-separated entry."""
        concepts = []
        for entry in split_inline_commas(_inline_children(paragraph)):
            links = _links(entry)
            title = links[0].text if links and links[0].text else plain_text(entry)
            title = title.strip(_SEPARATOR)
            if not title and links:
                title = url_title(links[0].url)
            if title:
                concepts.append(self.concept(title, links, group, paragraph))
        return concepts

    def level_table(self, section, table, resources) -> None:
        headers, rows = table_cells(table)
        if section.get("table_headers") and section["table_headers"] != headers:
            self.warn(table, "a second table with other columns; its rows join the section's")
        else:
            section["table_headers"] = headers
        meanings = [column_meaning(h) for h in headers]
        for index, (header, meaning) in enumerate(zip(headers, meanings, strict=True)):
            if meaning is None:
                self.warn(table, f"column {header!r} has no known meaning; cells kept as articles")
                meanings[index] = "article"
        for number, (row_node, cells) in enumerate(rows, start=1):
            row, level = self.row_facts(cells, meanings, number, row_node)
            for meaning, cell in zip(meanings, cells, strict=False):
                if meaning in ("row", "level"):
                    continue
                for resource in self.cell_resources(cell, meaning):
                    if level and level != section["level"]:
                        resource["level"] = level  # only when it differs from the default
                    resource["group"] = "table"
                    resource["row"] = row
                    resources.append(resource)

    def row_facts(self, cells, meanings, number, node) -> tuple[int, str | None]:
        row, level = number, None
        for meaning, cell in zip(meanings, cells, strict=False):
            text = plain_text(cell)
            if meaning == "row" and text:
                if text.rstrip(".").isdigit() and int(text.rstrip(".")) >= 1:
                    row = int(text.rstrip("."))
                else:
                    self.warn(node, f"row number {text!r} is not a number; using {number}")
            elif meaning == "level" and text:
                level = level_of(text)
                if level is None:
                    self.warn(node, f"level {text!r} is not beginner/intermediate/advanced")
        return row, level

    def cell_resources(self, cell: list[SyntaxTreeNode], kind: str) -> list[dict]:
        """Each line of a cell (``<br>`` splits lines) is one resource: linked, bare or named."""
        resources = []
        for line in split_lines(cell):
            links = _links(line)
            leftover = _text_outside_links(line).strip(_SEPARATOR)
            if not links:
                title = plain_text(line).strip()
                if title and title not in ("-", "–", "—", "n/a", "N/A"):
                    resources.append(self.resource(title, None, kind=kind))
                continue
            for link in links:
                title = link.text or leftover or url_title(link.url)
                resources.append(self.resource(title, link.url, kind=kind))
        return resources

    def highly_recommended(self, section, blocks, resources=None) -> None:
        target = resources if resources is not None else section.setdefault("resources", [])
        for node in blocks:
            if node.type == "hr":
                continue
            if node.type in ("bullet_list", "ordered_list"):
                for li in node.children:
                    paragraph = next((c for c in li.children if c.type == "paragraph"), None)
                    found = self.recommended_entry(_inline_children(paragraph), li, section)
                    target.extend(found)
            elif node.type == "paragraph" and _links(_inline_children(node)):
                target.extend(self.recommended_entry(_inline_children(node), node, section))
            elif node.type == "blockquote":
                self._append(section, "callout", self.block_markdown(node))
            elif node.type == "table" and resources is not None:
                self.level_table(section, node, resources)
            else:
                self.keep_as_text(section, node, "text among the highly recommended resources")

    def recommended_entry(self, nodes, node, section) -> list[dict]:
        lines = split_lines(nodes)
        if not lines:
            return []
        links = [link for line in lines for link in _links(line)]
        title = (
            _strong_text(lines[0])
            or _text_outside_links(lines[0])
            or (links[0].text if links else "")
        ).strip(_SEPARATOR)
        if not links:
            if not title:
                return []
            links = [Link(title, None)]
        found = []
        notes = [_text_outside_links(line) for line in lines[1:]]
        extra = " ".join(n for n in notes if n and not _is_decoration(n))
        for link in links:
            text = title if len(links) == 1 or not link.text else link.text
            resource = self.resource(text or url_title(link.url), link.url, group=None)
            resource["group"] = "highly-recommended"
            if extra:
                resource["note"] = f"{resource['note']}; {extra}" if "note" in resource else extra
            found.append(resource)
        return found

    def resource(self, title: str, url: str | None, *, kind: str | None = None, group=None):
        title = title.strip()
        resource: dict[str, Any] = {"title": title}
        if url:
            resource["url"] = url
        note = None
        _, paren = split_title_note(title)
        if paren and paren.lower() in _KIND_NOTES:
            # "Attention Is All You Need (Paper)": the author names the kind.
            note = paren
            kind = kind or _KIND_NOTES[paren.lower()]
        resource["kind"] = kind or url_kind(url, title)
        if group:
            resource["group"] = group
        if note:
            resource["note"] = note
        return resource

    # -- techniques ------------------------------------------------------------------------

    def techniques(self, part: Block) -> dict:
        section: dict[str, Any] = {"slug": "", "kind": "techniques", "title": part.title}
        items: list[dict] = []
        head, subs = _split(part.blocks, 6)
        for sub in subs:
            self.warn(sub.heading, f"subheading {sub.title!r} in a techniques section")
            self._append(section, "body", self.source(sub.heading))
        for node in [*head, *(n for s in subs for n in s.blocks)]:
            if node.type == "hr":
                continue
            if node.type == "table":
                items.extend(self.technique_table(section, node))
            elif node.type in ("bullet_list", "ordered_list"):
                for li in node.children:
                    for item in self.concepts_from_list_item(li, None):
                        item["kind"] = "technique"
                        items.append(item)
            elif node.type == "paragraph" and not items:
                self._append(section, "body", self.block_markdown(node))
            elif node.type == "blockquote":
                self._append(section, "callout", self.block_markdown(node))
            else:
                self.keep_as_text(section, node, _block_name(node))
        section["items"] = items
        return section

    def technique_table(self, section, table) -> list[dict]:
        headers, rows = table_cells(table)
        section.setdefault("table_headers", headers)
        meanings = [column_meaning(h) for h in headers]
        try:
            title_col = meanings.index(None)
        except ValueError:
            # Every column names a resource kind: the first resource column names the item.
            title_col = next(i for i, m in enumerate(meanings) if m not in ("row", "level"))
        meanings[title_col] = "title"
        for index, (header, meaning) in enumerate(zip(headers, meanings, strict=True)):
            if meaning is None:
                self.warn(table, f"column {header!r} has no known meaning; cells kept as articles")
                meanings[index] = "article"
        items = []
        for number, (row_node, cells) in enumerate(rows, start=1):
            row, level = self.row_facts(cells, meanings, number, row_node)
            cell = cells[title_col] if title_col < len(cells) else []
            links = _links(cell)
            title = (links[0].text if links and links[0].text else plain_text(cell)).strip()
            if not title:
                self.warn(row_node, "a table row without a title; kept as text")
                self._append(section, "body", self.source_row(row_node))
                continue
            item: dict[str, Any] = {"kind": "technique", "title": title, "_line": _line(row_node)}
            if level:
                item["level"] = level
            resources = [
                self.resource(link.text or title, link.url, group="link") for link in links
            ]
            for meaning, other in zip(meanings, cells, strict=False):
                if meaning in ("row", "level", "title"):
                    continue
                for resource in self.cell_resources(other, meaning):
                    resource["group"] = "table"
                    resource["row"] = row
                    resources.append(resource)
            if resources:
                item["resources"] = resources
            items.append(item)
        return items

    def source_row(self, row_node) -> str:
        return self.lines[row_node.map[0]] if row_node.map else ""

    # -- projects ----------------------------------------------------------------------------

    def projects(self, part: Block) -> dict:
        section: dict[str, Any] = {"slug": "", "kind": "projects", "title": part.title}
        items: list[dict] = []
        head, subs = _split(part.blocks, 6)
        for group, blocks in [(None, head)] + [(b.title, b.blocks) for b in subs]:
            level = level_of(group) if group else None
            for node in blocks:
                if node.type == "hr":
                    continue
                if node.type in ("bullet_list", "ordered_list"):
                    for li in node.children:
                        items.append(self.project(li, group, level))
                elif node.type in ("paragraph", "blockquote") and not items and group is None:
                    self._append(section, "body", self.block_markdown(node))
                else:
                    self.keep_as_text(section, node, "text among the projects")
        section["items"] = items
        return section

    def project(self, li, group, level) -> dict:
        paragraph = next((c for c in li.children if c.type == "paragraph"), None)
        lines = split_lines(_inline_children(paragraph))
        item: dict[str, Any] = {"kind": "project", "title": "", "_line": _line(li)}
        resources: list[dict] = []
        description: list[str] = []
        for index, line in enumerate(lines):
            text = plain_text(line)
            images = _images(line)
            links = _links(line)
            label, _, value = text.partition(":")
            label_key = heading_key(label)
            if index == 0:
                strong = _strong_text(line)
                title = (links[0].text if links and links[0].text else None) or strong or text
                item["title"] = title.strip(_SEPARATOR)
                resources.extend(
                    self.resource(link.text or title, link.url, group="link") for link in links
                )
                rest = _text_outside_links(line)
                rest = rest[len(title) :] if rest.startswith(title) else rest
                if rest.strip(_SEPARATOR) and not images:
                    description.append(rest.strip(_SEPARATOR))
            elif images and not _text_outside_links(line):
                alt, src = images[0]
                item["badge_url"] = src
                level = level or level_of(alt) or level_of(src.replace("-", " "))
            elif label_key in ("skills", "skill", "skills practised", "tech", "stack"):
                item["skills"] = split_commas(value)
            elif label_key in ("dataset", "datasets", "data") or (
                links and "dataset" in text.lower()
            ):
                for link in links:
                    title = link.text or url_title(link.url)
                    resources.append(
                        self.resource(title, link.url, kind="article", group="dataset")
                    )
                if not links:
                    description.append(to_markdown(line))
            elif links and _is_decoration(_text_outside_links(line)):
                resources.extend(
                    self.resource(link.text or url_title(link.url), link.url, group="link")
                    for link in links
                )
            else:
                description.append(to_markdown(line))
        for child in li.children:
            if child.type != "paragraph":
                description.append(self.source(child))
        if level:
            item["level"] = level
        if group:
            item["group"] = group
        if description:
            item["description"] = "\n\n".join(description)
        if resources:
            item["resources"] = resources
        return item

    # -- outcomes, careers, notes ------------------------------------------------------------

    def entries_section(self, part: Block, kind: str) -> dict:
        section: dict[str, Any] = {"slug": "", "kind": kind, "title": part.title}
        entries: list[str] = []
        for node in part.blocks:
            if node.type == "hr":
                continue
            if node.type in ("bullet_list", "ordered_list"):
                for li in node.children:
                    paragraph = next((c for c in li.children if c.type == "paragraph"), None)
                    entries.append(plain_text(_inline_children(paragraph)))
                    for child in li.children:
                        if child.type != "paragraph":
                            self.keep_as_text(section, child, "a nested list in an entry")
            elif node.type in ("paragraph", "blockquote") and not entries:
                self._append(section, "body", self.block_markdown(node))
            else:
                self.keep_as_text(section, node, f"text after the {kind} list")
        if entries:
            section["entries"] = [e for e in entries if e]
        return section

    def notes(self, part: Block) -> dict:
        section: dict[str, Any] = {"slug": "", "kind": "notes", "title": part.title}
        for node in part.blocks:
            if node.type == "hr":
                continue
            if node.type in ("paragraph", "blockquote"):
                self._append(section, "body", self.block_markdown(node))
            else:
                self.keep_as_text(section, node, f"{_block_name(node)} in the notes")
        return section

    # -- slugs, defaults, ordering of keys ---------------------------------------------------

    def assign_slugs(self, sections: list[dict]) -> None:
        fixed = {
            "prerequisites": "prerequisites",
            "techniques": "techniques",
            "projects": "projects",
            "outcomes": "outcomes",
            "careers": "careers",
            "notes": "notes",
        }
        taken: set[str] = set()
        for section in sections:
            if section["kind"] == "level":
                base = section["level"]
            else:
                base = fixed.get(section["kind"]) or slugify_title(section["title"], "section")
            section["slug"] = unique_slug(base, taken)
        assign_item_slugs([i for s in sections for i in s.get("items", [])], self.previous_slugs)

    def finish_items(self, sections: list[dict]) -> None:
        for section in sections:
            default_kind = SECTION_ITEM_KIND.get(section["kind"])
            items = []
            for item in section.get("items", []):
                line = item.pop("_line")
                kind = item["kind"]
                level = item.get("level") or section.get("level")
                if not item["title"]:
                    self.warn(line, "an item without a title")
                hours, note = default_effort(kind, level)
                ordered = {"slug": item["slug"]}
                if kind != default_kind:
                    ordered["kind"] = kind
                for key in ("title", "level", "group", "description", "note", "optional"):
                    if key in item:
                        ordered[key] = item[key]
                for key in ("badge_url", "skills"):
                    if key in item:
                        ordered[key] = item[key]
                ordered["effort_hours"] = hours
                ordered["effort_note"] = note
                if item.get("resources"):
                    ordered["resources"] = item["resources"]
                items.append(ordered)
            if "items" in section:
                section["items"] = items
                if not items and section["kind"] not in ("level",):
                    del section["items"]
            if section["kind"] != "level":
                section.pop("level", None)
            self.dedupe_keys(section)
            order = ["slug", "kind", "title", "level", "body", "entries", "callout"]
            order += ["table_headers", "resources", "items"]
            rebuilt = {k: section[k] for k in order if k in section and section[k] not in ("", [])}
            if section["kind"] == "level" and "items" not in rebuilt:
                rebuilt["items"] = []
            section.clear()
            section.update(rebuilt)

    def dedupe_keys(self, section: dict) -> None:
        """Give an explicit `key` to a resource whose default key another one already has."""
        owners = [(f"section:{section['slug']}", section.get("resources", []))]
        owners += [(f"item:{i['slug']}", i.get("resources", [])) for i in section.get("items", [])]
        seen: set[str] = set()
        for owner, resources in owners:
            for resource in resources:
                group, url = resource.get("group", ""), resource.get("url", "")
                base = default_resource_key(owner, group, url, resource["title"])
                key, n = base, 1
                while key in seen:
                    n += 1
                    key = f"{base[:290]}#{n}"
                if key != base:
                    resource["key"] = key
                seen.add(key)


def plain_text_of_markdown(markdown: str) -> str:
    if not markdown:
        return ""
    tokens = MarkdownIt("commonmark").parse(markdown)
    root = SyntaxTreeNode(tokens)
    texts = []
    for node in root.walk():
        if node.type == "inline":
            texts.append(plain_text(node.children))
    return " ".join(texts).strip()


def split_commas(text: str) -> list[str]:
    """Split on commas outside parentheses: 'A (x, y), B' → ['A (x, y)', 'B']."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip(_SEPARATOR) for p in parts if p.strip(_SEPARATOR)]


def split_inline_commas(nodes: list[SyntaxTreeNode]) -> list[list[SyntaxTreeNode]]:
    """Split inline nodes into entries at commas and line breaks outside links/parentheses.

    Text nodes that contain a separating comma are split into new text pseudo-nodes; the
    pieces are plain strings wrapped in a tiny stand-in with ``type == "text"``.
    """
    entries: list[list[Any]] = [[]]
    depth = 0
    for node in nodes:
        if _is_break(node):
            entries.append([])
            continue
        if node.type != "text":
            entries[-1].append(node)
            continue
        buffer = []
        for ch in node.content:
            if ch in "([":
                depth += 1
            elif ch in ")]":
                depth = max(0, depth - 1)
            if ch == "," and depth == 0:
                if buffer:
                    entries[-1].append(_Text("".join(buffer)))
                entries.append([])
                buffer = []
            else:
                buffer.append(ch)
        if buffer:
            entries[-1].append(_Text("".join(buffer)))
    return [e for e in entries if plain_text(e) or _links(e)]


class _Text:
    """A text piece standing in for a markdown-it text node after splitting at commas."""

    type = "text"
    children: tuple = ()
    markup = ""
    attrs: dict = {}

    def __init__(self, content: str):
        self.content = content


def table_cells(table: SyntaxTreeNode) -> tuple[list[str], list[tuple[SyntaxTreeNode, list]]]:
    headers: list[str] = []
    rows: list[tuple[SyntaxTreeNode, list]] = []
    for part in table.children:
        for tr in part.children:
            cells = [_inline_children(cell) for cell in tr.children]
            if part.type == "thead":
                headers = [plain_text(cell) for cell in cells]
            else:
                rows.append((tr, cells))
    return headers, rows


def concept_group(title: str) -> str:
    """'Core Concepts:' and 'Core Concepts (Advanced)' → 'Core Concepts' (the level is known)."""
    title = title.strip().rstrip(":").strip()
    base, note = split_title_note(title)
    if note and level_of(note):
        title = base
    return "".join(ch for ch in title if unicodedata.category(ch) != "So").strip()


def roadmap_slug(title: str) -> str:
    """'Large Language Models (LLM) Roadmap' → 'llm'; 'Data Science Roadmap' → 'data-science'."""
    match = re.search(r"\(([A-Za-z0-9 &/-]{2,20})\)", title)
    if match:
        return slugify(match.group(1)) or "roadmap"
    base = re.sub(r"\broad\s*map\b", "", title, flags=re.I)
    return slugify_title(base, "roadmap")


def slugify_title(title: str, fallback: str) -> str:
    # Dashes between words ("Deutsch–Jozsa") separate them; slugify alone would glue them.
    slug = slugify(re.sub("[\u2013\u2014]", " ", title))[:80].strip("-")
    return slug or fallback


def unique_slug(base: str, taken: set[str]) -> str:
    slug, n = base, 1
    while slug in taken:
        n += 1
        suffix = f"-{n}"
        slug = f"{base[: 80 - len(suffix)]}{suffix}"
    taken.add(slug)
    return slug


def assign_item_slugs(items: list[dict], previous: dict[tuple[str, str], str]) -> None:
    """Slugs from titles, the way content/llm.yaml was made by hand:

    - the title without parenthetical asides ("Evaluation Metrics (Perplexity, …)" →
      ``evaluation-metrics``);
    - a prerequisite topic whose slug a concept also wants is ``prereq-<slug>`` and the concept
      keeps its full title ("Tokenization" vs "Tokenization (BPE, WordPiece)");
    - a technique row that names a concept's or topic's subject (same slug, or a slug starting
      with it) is ``technique-<slug>``; a project clashing with a concept is ``project-<slug>``;
    - an item found in `previous` (same kind and title) keeps its earlier slug, so that
      re-converting a revised document never orphans learners' progress;
    - anything still taken, or reserved for a roadmap page ("follow"), gets ``-2``, ``-3``.
    """
    bases = [slugify_title(_PARENS.sub("", item["title"]), item["kind"]) for item in items]
    concept_slugs = {b for b, i in zip(bases, items, strict=True) if i["kind"] == "concept"}
    topic_slugs = {b for b, i in zip(bases, items, strict=True) if i["kind"] == "topic"}
    wanted = []
    for base, item in zip(bases, items, strict=True):
        kind = item["kind"]
        slug = base
        if kind == "topic" and base in concept_slugs:
            slug = f"prereq-{base}"
        elif kind == "concept" and base in topic_slugs:
            slug = slugify_title(item["title"], base)
            if slug == base:
                slug = f"concept-{base}"
        elif kind == "technique" and any(
            c == base or c.startswith(f"{base}-") for c in concept_slugs | topic_slugs
        ):
            slug = f"technique-{base}"
        elif kind == "project" and base in concept_slugs | topic_slugs:
            slug = f"project-{base}"
        wanted.append(previous.get((kind, item["title"].casefold()), slug[:80].strip("-")))
    # Slugs kept from `previous` are claimed first, so that no new item takes one of them.
    keys = [(item["kind"], item["title"].casefold()) for item in items]
    reserved = {slug for slug, key in zip(wanted, keys, strict=True) if key in previous}
    # Slugs that name roadmap pages (/roadmaps/<slug>/follow/) are never an item's.
    taken: set[str] = set(RESERVED_ITEM_SLUGS)
    for slug, key, item in zip(wanted, keys, items, strict=True):
        if key in previous and slug not in taken:
            item["slug"] = slug
        else:
            avoid = taken if key in previous else taken | reserved
            item["slug"] = unique_slug(slug, set(avoid))
        taken.add(item["slug"])


def previous_slugs(data: dict) -> dict[tuple[str, str], str]:
    """(kind, title) → slug of every item of an existing roadmap YAML (see assign_item_slugs)."""
    found = {}
    for section in data.get("sections", []):
        default_kind = SECTION_ITEM_KIND.get(section.get("kind", ""), "")
        for item in section.get("items", []) or []:
            kind = item.get("kind", default_kind)
            found[(kind, str(item.get("title", "")).casefold())] = item["slug"]
    return found


def default_effort(kind: str, level: str | None) -> tuple[int, str]:
    if kind == "topic":
        what = "a prerequisite topic"
    elif level in LEVELS:
        what = f"{'an' if level[0] in 'aeiou' else 'a'} {level} {kind}"
    else:
        what = f"a {kind} with no level (counted as intermediate)"
    hours = DEFAULT_EFFORT[kind][level if level in LEVELS else "intermediate"]
    return hours, f"default estimate for {what}; not yet reviewed (roadmap_from_markdown)"


def iter_urls(data: dict) -> Iterator[str]:
    """Every URL of converted data: resources, badges, and links inside markdown text."""

    def walk(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in ("url", "badge_url") and isinstance(inner, str):
                    yield inner
                else:
                    yield from walk(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from walk(inner)
        elif isinstance(value, str):
            yield from (m.group(0) for m in _URL.finditer(value))
            yield from re.findall(r"\]\((https?://[^)\s]+)\)", value)

    yield from walk(data)


def convert(text: str, *, slug: str | None = None, previous: dict | None = None) -> Conversion:
    """Convert a roadmap markdown document; raises RoadmapFormatError for non-roadmaps.

    `previous` is an existing YAML's data for the same roadmap: its items' slugs are kept.
    """
    previous_map = previous_slugs(previous) if previous else None
    return _Converter(text, slug=slug, previous_slugs=previous_map).run()


def document_urls(text: str) -> list[str]:
    """Every http(s) URL a document mentions (links, images, bare), for fidelity checks."""
    md = MarkdownIt("commonmark").enable("table")
    root = SyntaxTreeNode(md.parse(normalize_text(text)))
    urls = []
    for node in root.walk():
        if node.type == "link":
            urls.append(node.attrs.get("href", ""))
        elif node.type == "image":
            urls.append(node.attrs.get("src", ""))
        elif node.type == "text":
            urls.extend(m.group(0) for m in _URL.finditer(node.content))
    return [u for u in urls if u.startswith(("http://", "https://"))]
