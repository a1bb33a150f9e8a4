"""Techniques sections ("## … Learning Resources", "Architectures", "Tools"): one technique
item per table row or bullet."""

from typing import Any

from markdown_it.tree import SyntaxTreeNode

from tracker.markdown_convert.document import (
    LISTS,
    Block,
    Document,
    append_markdown,
    block_name,
    line_of,
    new_section,
    split_at_headings,
)
from tracker.markdown_convert.inline import links_in, plain_text
from tracker.markdown_convert.levels import concept_from_list_item
from tracker.markdown_convert.resources import link_resources
from tracker.markdown_convert.tables import (
    column_meaning,
    resolve_unknown_columns,
    row_facts,
    row_resources,
    table_cells,
)


def techniques_section(doc: Document, part: Block) -> dict[str, Any]:
    section = new_section("techniques", part)
    items: list[dict] = []
    head, subs = split_at_headings(part.blocks, 6)
    # Subheadings have no place here: their titles go to the body, their blocks read on.
    for sub in subs:
        doc.warn(sub.heading, f"subheading {sub.title!r} in a techniques section")
        append_markdown(section, "body", doc.source(sub.heading))
    for node in [*head, *(n for s in subs for n in s.blocks)]:
        if node.type == "hr":
            continue
        if node.type == "table":
            items.extend(technique_table(doc, section, node))
        elif node.type in LISTS:
            for li in node.children:
                item = concept_from_list_item(doc, li, None)
                if item is not None:
                    item["kind"] = "technique"
                    items.append(item)
        elif node.type == "paragraph" and not items:
            append_markdown(section, "body", doc.block_markdown(node))
        elif node.type == "blockquote":
            append_markdown(section, "callout", doc.block_markdown(node))
        else:
            doc.keep_as_text(section, node, block_name(node))
    section["items"] = items
    return section


def title_column(meanings: list[str | None]) -> int:
    """The column that names the technique: the first whose header is not a resource kind."""
    try:
        return meanings.index(None)
    except ValueError:
        # Every column names a resource kind: the first resource column names the item.
        return next(i for i, m in enumerate(meanings) if m not in ("row", "level"))


def technique_table(doc: Document, section, table: SyntaxTreeNode) -> list[dict[str, Any]]:
    headers, rows = table_cells(table)
    section.setdefault("table_headers", headers)
    meanings = [column_meaning(h) for h in headers]
    title_col = title_column(meanings)
    meanings[title_col] = "title"
    resolve_unknown_columns(doc, table, headers, meanings)
    items = []
    for number, (row_node, cells) in enumerate(rows, start=1):
        row, level = row_facts(doc, cells, meanings, number, row_node)
        cell = cells[title_col] if title_col < len(cells) else []
        links = links_in(cell)
        title = (links[0].text if links and links[0].text else plain_text(cell)).strip()
        if not title:
            doc.warn(row_node, "a table row without a title; kept as text")
            append_markdown(section, "body", doc.source_line(row_node))
            continue
        item: dict[str, Any] = {"kind": "technique", "title": title, "_line": line_of(row_node)}
        if level:
            item["level"] = level
        resources = link_resources(links, title) + row_resources(cells, meanings, row)
        if resources:
            item["resources"] = resources
        items.append(item)
    return items
