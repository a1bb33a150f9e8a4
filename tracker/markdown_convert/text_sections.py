"""Sections without items: outcomes and careers (entry lists), final notes, a top-level
"Highly Recommended" list, and any other section, kept as text."""

from typing import Any

from tracker.markdown_convert.document import (
    LISTS,
    Block,
    Document,
    append_markdown,
    block_name,
    new_section,
)
from tracker.markdown_convert.inline import first_paragraph, inline_children, plain_text
from tracker.markdown_convert.levels import highly_recommended


def entries_section(doc: Document, part: Block, kind: str) -> dict[str, Any]:
    """A list of one-line entries ("What you will be able to do", "Roles")."""
    section = new_section(kind, part)
    entries: list[str] = []
    for node in part.blocks:
        if node.type == "hr":
            continue
        if node.type in LISTS:
            for li in node.children:
                entries.append(plain_text(inline_children(first_paragraph(li))))
                for child in li.children:
                    if child.type != "paragraph":
                        doc.keep_as_text(section, child, "a nested list in an entry")
        elif node.type in ("paragraph", "blockquote") and not entries:
            append_markdown(section, "body", doc.block_markdown(node))
        else:
            doc.keep_as_text(section, node, f"text after the {kind} list")
    if entries:
        section["entries"] = [e for e in entries if e]
    return section


def outcomes_section(doc: Document, part: Block) -> dict[str, Any]:
    return entries_section(doc, part, "outcomes")


def careers_section(doc: Document, part: Block) -> dict[str, Any]:
    return entries_section(doc, part, "careers")


def notes_section(doc: Document, part: Block) -> dict[str, Any]:
    section = new_section("notes", part)
    for node in part.blocks:
        if node.type == "hr":
            continue
        if node.type in ("paragraph", "blockquote"):
            append_markdown(section, "body", doc.block_markdown(node))
        else:
            doc.keep_as_text(section, node, f"{block_name(node)} in the notes")
    return section


def recommended_section(doc: Document, part: Block) -> dict[str, Any]:
    """A "## Highly Recommended" section outside any level: its resources are the section's."""
    section = new_section("text", part)
    highly_recommended(doc, section, part.blocks)
    return section


def text_section(doc: Document, part: Block) -> dict[str, Any]:
    """A section the schema has no kind for, kept as written."""
    doc.warn(part.heading, f"section {part.title!r} is not a roadmap section; kept as text")
    section = new_section("text", part)
    body = [doc.source(n) for n in part.blocks if n.type != "hr"]
    if body:
        section["body"] = "\n\n".join(body)
    return section
