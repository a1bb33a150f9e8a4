"""Level sections ("## Beginner Level …"): concepts, resource tables, recommended reading."""

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
from tracker.markdown_convert.inline import (
    Link,
    first_paragraph,
    images_in,
    inline_children,
    links_in,
    list_item_lines,
    looks_like_title,
    only_links,
    plain_text,
    split_inline_commas,
    strong_text,
    text_outside_links,
    to_markdown,
)
from tracker.markdown_convert.resources import link_resources, recommended_resources
from tracker.markdown_convert.tables import (
    column_meaning,
    resolve_unknown_columns,
    row_facts,
    row_resources,
    table_cells,
)
from tracker.markdown_convert.text import SEPARATOR, concept_group, heading_key, level_of, url_title


def level_section(doc: Document, part: Block) -> dict[str, Any]:
    # Items and resources are added as the blocks are read; the finishing pass drops empty
    # lists (a level keeps its `items`).
    section: dict[str, Any] = new_section("level", part)
    section.update(level=level_of(part.title), resources=[], items=[])
    head, subs = split_at_headings(part.blocks, 6)
    level_blocks(doc, section, head, None, top=True)
    for sub in subs:
        level_subsection(doc, section, sub)
    return section


def level_subsection(doc: Document, section, sub: Block) -> None:
    key = heading_key(sub.title)
    if key.startswith(("highly recommended", "recommended")) or "must read" in key:
        highly_recommended(doc, section, sub.blocks, tables=True)
    elif "concept" in key or "topics" in key or "key ideas" in key:
        level_blocks(doc, section, sub.blocks, concept_group(sub.title))
    elif any(n.type == "table" for n in sub.blocks) and "resource" in key:
        level_blocks(doc, section, sub.blocks, None)
    else:
        doc.warn(sub.heading, f"subsection {sub.title!r} is not a roadmap part")
        append_markdown(section, "body", doc.source(sub.heading))
        for node in sub.blocks:
            if node.type != "hr":
                append_markdown(section, "body", doc.source(node))


def level_blocks(doc: Document, section, blocks, group, *, top=False) -> None:
    """Concept lists, tables and quotes; `top` is the part before any subheading, where a
    first paragraph introduces the level rather than listing concepts."""
    items = section["items"]
    for node in blocks:
        if node.type == "hr":
            continue
        if node.type == "table":
            level_table(doc, section, node)
        elif node.type == "blockquote":
            append_markdown(section, "callout", doc.block_markdown(node))
        elif node.type in LISTS:
            found = (concept_from_list_item(doc, li, group) for li in node.children)
            items.extend(item for item in found if item is not None)
        elif node.type == "paragraph":
            entries = split_inline_commas(inline_children(node))
            linked = all(only_links(e) for e in entries)
            if top and not items and not linked:
                append_markdown(section, "body", doc.block_markdown(node))
            elif linked or (not top and all(looks_like_title(e) for e in entries)):
                items.extend(concepts_from_line_list(node, group))
            else:
                doc.keep_as_text(section, node, "a paragraph among the concepts")
        else:
            doc.keep_as_text(section, node, block_name(node))


def concept(title: str, links: list[Link], group, node, description=None) -> dict[str, Any]:
    item: dict[str, Any] = {"kind": "concept", "title": title, "_line": line_of(node)}
    if group:
        item["group"] = group
    if description:
        item["description"] = description
    if links:
        item["resources"] = link_resources(links, title)
    return item


def concept_from_list_item(doc: Document, li: SyntaxTreeNode, group) -> dict[str, Any] | None:
    """A bullet: its link text or bold lead is the title; the rest describes it (technique
    bullets read the same way)."""
    lines = list_item_lines(li)
    if not lines:
        return None
    first = lines[0]
    links = links_in(first)
    leftover = text_outside_links(first)
    if links and links[0].text:
        title = links[0].text
        description = leftover.strip(SEPARATOR) or None
    else:
        title = (strong_text(first) or leftover or url_title(links[0].url)).strip(SEPARATOR)
        rest = leftover[len(title) :].strip(SEPARATOR) if leftover.startswith(title) else ""
        description = rest or None
    more = [to_markdown(line) for line in lines[1:]]
    for line in lines[1:]:
        links.extend(links_in(line))
    more.extend(doc.source(child) for child in li.children if child.type != "paragraph")
    text = "\n\n".join(filter(None, [description, *more])) or None
    return concept(title, links, group, li, text)


def concepts_from_line_list(paragraph: SyntaxTreeNode, group) -> list[dict[str, Any]]:
    """'[A](u), [B](v), C' lines: one concept per comma-separated entry."""
    concepts = []
    for entry in split_inline_commas(inline_children(paragraph)):
        links = links_in(entry)
        title = links[0].text if links and links[0].text else plain_text(entry)
        title = title.strip(SEPARATOR)
        if not title and links:
            title = url_title(links[0].url)
        if title:
            concepts.append(concept(title, links, group, paragraph))
    return concepts


def level_table(doc: Document, section, table: SyntaxTreeNode) -> None:
    """Each row's resources join the section's, with the row's number and level."""
    headers, rows = table_cells(table)
    if section.get("table_headers") and section["table_headers"] != headers:
        doc.warn(table, "a second table with other columns; its rows join the section's")
    else:
        section["table_headers"] = headers
    meanings = [column_meaning(h) for h in headers]
    resolve_unknown_columns(doc, table, headers, meanings)
    for number, (row_node, cells) in enumerate(rows, start=1):
        row, level = row_facts(doc, cells, meanings, number, row_node)
        # A level equal to the section's is the default, so it is not written.
        differs = level if level and level != section["level"] else None
        section["resources"].extend(row_resources(cells, meanings, row, level=differs))


def highly_recommended(doc: Document, section, blocks, *, tables: bool = False) -> None:
    """ "Highly Recommended" lists, as the section's resources; `tables` in a level, where a
    table of resources reads as the level's own."""
    target = section.setdefault("resources", [])
    for node in blocks:
        if node.type == "hr":
            continue
        if node.type in LISTS:
            for li in node.children:
                entry = inline_children(first_paragraph(li))
                target.extend(recommended_resources(entry))
                # A resource has no place for a badge or a nested list: keep the entry's text.
                if images_in(entry) or any(c.type != "paragraph" for c in li.children):
                    doc.keep_as_text(section, li, "an image or nested list in a recommended entry")
        elif node.type == "paragraph" and links_in(inline_children(node)):
            target.extend(recommended_resources(inline_children(node)))
        elif node.type == "blockquote" or (node.type == "paragraph" and _is_remark(node)):
            append_markdown(section, "callout", doc.block_markdown(node))
        elif node.type == "table" and tables:
            level_table(doc, section, node)
        else:
            doc.keep_as_text(section, node, "text among the highly recommended resources")


def _is_remark(paragraph: SyntaxTreeNode) -> bool:
    """A paragraph without links that is all one emphasis or opens with ❗: the family's
    closing remark, which ml_roadmap.md writes as "_*❗ …_" rather than as a "> ❗ *…*" quote."""
    nodes = inline_children(paragraph)
    if links_in(nodes):
        return False
    visible = [n for n in nodes if n.type != "text" or n.content.strip()]
    emphasised = len(visible) == 1 and visible[0].type in ("em", "strong")
    return emphasised or plain_text(nodes).startswith("❗")
