"""The prerequisites section: topic items, grouped by bold lead or subheading."""

from typing import Any

from markdown_it.tree import SyntaxTreeNode

from tracker.markdown_convert.document import (
    LISTS,
    Block,
    Document,
    append_markdown,
    groups,
    line_of,
    new_section,
)
from tracker.markdown_convert.inline import (
    links_in,
    list_item_lines,
    only_links,
    plain_text,
    split_inline_commas,
    strong_text,
    text_outside_links,
    to_markdown,
)
from tracker.markdown_convert.resources import link_resources, pointer_resources
from tracker.markdown_convert.text import SEPARATOR, split_commas, split_title_note, url_title


def prerequisites_section(doc: Document, part: Block) -> dict[str, Any]:
    # Filled as the blocks are read; the finishing pass drops an empty `resources`.
    section = new_section("prerequisites", part)
    section.update(resources=[], items=[])
    for group, blocks in groups(part):
        for node in blocks:
            if node.type == "hr":
                continue
            if node.type in LISTS:
                for li in node.children:
                    prerequisite_group(doc, section, li, group)
            elif node.type == "paragraph" and not section["items"] and group is None:
                append_markdown(section, "body", doc.block_markdown(node))
            else:
                doc.keep_as_text(section, node, "text among the prerequisites")
    return section


def prerequisite_group(doc: Document, section, li, group: str | None) -> None:
    """A bullet: one topic, or a "**Group**" whose topics follow on its line or below it."""
    lines = list_item_lines(li)
    nested = [c for c in li.children if c.type in LISTS]
    first = lines[0] if lines else []
    strong = strong_text(first)
    if not nested and strong is None:
        if not labelled_line(section, li, group):
            prerequisite_item(doc, section, li, group)
        return
    # "**Group**" with sub-bullets, or "**Group**: a, [b](url), c" on one line.
    name = (strong or plain_text(first)).strip(SEPARATOR)
    if strong is not None:
        start = next(i for i, n in enumerate(first) if n.type in ("strong", "em")) + 1
        for entry in split_inline_commas(first[start:]):
            found = topic_from_nodes(entry, name, li)
            if found is not None:
                section["items"].append(found)
    for line in lines[1:]:
        extra_line(doc, section, line, name, None, li)
    for lst in nested:
        for sub in lst.children:
            prerequisite_item(doc, section, sub, name)


def labelled_line(section, li, group: str | None) -> bool:
    """ "Label: [a, b]" or "Label: [link](url)" without bold, as ml_roadmap.md writes them: a
    group of topics in brackets, or one topic named by its label with the link as reading."""
    lines = list_item_lines(li)
    if len(lines) != 1 or lines[0][0].type != "text":
        return False
    label, colon, after = lines[0][0].content.partition(":")
    label, rest = label.strip(SEPARATOR), lines[0][1:]
    if not colon or not label or len(label.split()) > 3:
        return False
    if not after.strip() and only_links(rest):
        item = topic(label, group, li)
        item["resources"] = link_resources(links_in(rest), item["title"])
        section["items"].append(item)
        return True
    after = after.strip()
    # Brackets without a link target are a list, not a link: "[Numpy, Pandas]".
    if rest or not (after.startswith("[") and after.endswith("]")):
        return False
    section["items"].extend(topic(title, label, li) for title in split_commas(after[1:-1]))
    return True


def prerequisite_item(doc: Document, section, li, group: str | None) -> None:
    lines = list_item_lines(li)
    if not lines:
        return
    item = topic_from_nodes(lines[0], group, li)
    if item is None:
        doc.keep_as_text(section, li, "a prerequisite without a title")
        return
    section["items"].append(item)
    for line in lines[1:]:
        extra_line(doc, section, line, group, item, li)
    for child in li.children:
        if child.type in (*LISTS, "blockquote", "fence"):
            append_markdown(item, "description", doc.source(child))


def extra_line(doc: Document, section, line, group, item: dict | None, node) -> None:
    """A topic's or group's later line: a pointer to reading, or more description."""
    if only_links(line):
        section["resources"].extend(pointer_resources(links_in(line), group))
    elif item is not None:
        append_markdown(item, "description", to_markdown(line))
    else:
        doc.warn(node, f"line {plain_text(line)!r} under a prerequisite group")
        append_markdown(section, "body", to_markdown(line))


def topic_from_nodes(nodes, group: str | None, node: SyntaxTreeNode) -> dict | None:
    """A topic named by its first link's text (else its text); its links are its resources."""
    links = links_in(nodes)
    title = links[0].text if links and links[0].text else text_outside_links(nodes)
    title = title.strip(SEPARATOR) or (url_title(links[0].url) if links else "")
    if not title:
        return None
    item = topic(title, group, node)
    if links:
        item["resources"] = link_resources(links, item["title"])
    return item


def topic(title: str, group: str | None, node: SyntaxTreeNode) -> dict[str, Any]:
    title, note = split_title_note(title.strip())
    item: dict[str, Any] = {"kind": "topic", "title": title, "_line": line_of(node)}
    if note:
        item["note"] = note
        if "optional" in note.lower():
            item["optional"] = True
    if group:
        item["group"] = group
    return item
