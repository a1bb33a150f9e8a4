"""The document being converted: its normalised lines, the warnings so far, and its blocks
grouped under their headings."""

from dataclasses import dataclass, field
from typing import Any

from markdown_it.tree import SyntaxTreeNode

from tracker.markdown_convert.inline import inline_children, plain_text, to_markdown

LISTS = ("bullet_list", "ordered_list")


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


@dataclass
class Block:
    """A heading with the blocks under it, up to the next heading of its level or higher."""

    heading: SyntaxTreeNode | None
    title: str
    blocks: list[SyntaxTreeNode]


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


def block_name(node: SyntaxTreeNode) -> str:
    """What a block is, in words, for warnings."""
    return _BLOCK_NAMES.get(node.type, node.type.replace("_", " "))


def line_of(node: SyntaxTreeNode | None) -> int:
    """The 1-based source line of a node (inline nodes take their block's)."""
    while node is not None and node.map is None:
        node = node.parent
    return node.map[0] + 1 if node is not None and node.map else 1


def split_at_headings(
    nodes: list[SyntaxTreeNode], level: int
) -> tuple[list[SyntaxTreeNode], list[Block]]:
    """Blocks before the first heading of `level` (or higher), then one Block per heading."""
    head: list[SyntaxTreeNode] = []
    parts: list[Block] = []
    for node in nodes:
        if node.type == "heading" and int(node.tag[1]) <= level and int(node.tag[1]) > 1:
            title = plain_text(inline_children(node))
            parts.append(Block(node, title, []))
        elif parts:
            parts[-1].blocks.append(node)
        else:
            head.append(node)
    return head, parts


def groups(part: Block) -> list[tuple[str | None, list[SyntaxTreeNode]]]:
    """A section's blocks by subheading: (None, blocks before any), then (title, blocks)."""
    head, subs = split_at_headings(part.blocks, 6)
    return [(None, head)] + [(sub.title, sub.blocks) for sub in subs]


def append_markdown(target: dict, key: str, markdown: str) -> None:
    """Add a paragraph to a markdown field (body, callout, description)."""
    if not markdown:
        return
    target[key] = f"{target[key]}\n\n{markdown}" if target.get(key) else markdown


def new_section(kind: str, part: Block) -> dict[str, Any]:
    # The slug is given once all sections are known (slugs.assign_slugs).
    return {"slug": "", "kind": kind, "title": part.title}


class Document:
    """The normalised text of a document and the warnings given about it so far."""

    def __init__(self, text: str):
        self.lines = text.split("\n")
        self.warnings: list[ConversionWarning] = []

    def warn(self, node_or_line: SyntaxTreeNode | int | None, message: str) -> None:
        line = node_or_line if isinstance(node_or_line, int) else line_of(node_or_line)
        self.warnings.append(ConversionWarning(line, message))

    def source(self, node: SyntaxTreeNode) -> str:
        """A block's markdown exactly as written (after normalisation)."""
        if not node.map:
            return ""
        start, end = node.map
        return "\n".join(self.lines[start:end]).strip("\n")

    def source_line(self, node: SyntaxTreeNode) -> str:
        """The first line of a block as written (a table row is one line)."""
        return self.lines[node.map[0]] if node.map else ""

    def block_markdown(self, node: SyntaxTreeNode) -> str:
        """A paragraph or quote as markdown; quotes lose their ``>`` (pages style them)."""
        if node.type == "paragraph":
            return to_markdown(inline_children(node))
        if node.type == "blockquote":
            return "\n\n".join(filter(None, (self.block_markdown(c) for c in node.children)))
        return self.source(node)

    def keep_as_text(self, section: dict, node: SyntaxTreeNode, why: str) -> None:
        """Warn about a block that has no place in the schema and keep it in the body."""
        self.warn(node, f"{why}; kept as text in the body of section {section['title']!r}")
        append_markdown(section, "body", self.source(node))
