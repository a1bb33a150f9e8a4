"""Tables of resources: what each column means and the resources of each row."""

from typing import Any

from markdown_it.tree import SyntaxTreeNode

from tracker.markdown_convert.document import Document
from tracker.markdown_convert.inline import (
    inline_children,
    links_in,
    plain_text,
    split_lines,
    text_outside_links,
)
from tracker.markdown_convert.resources import resource
from tracker.markdown_convert.text import SEPARATOR, heading_key, level_of, url_title

# Columns that describe the row rather than hold resources.
_ROW_FACTS = ("row", "level", "title")
_NOTHING = ("-", "–", "—", "n/a", "N/A")
# Header words → the resource kind of the column's cells, first match wins.
_COLUMN_KINDS = [
    ({"level", "difficulty"}, "level"),
    ({"book", "books"}, "book"),
    ({"playlist", "playlists"}, "playlist"),
    ({"course", "courses", "program", "programme", "university"}, "course"),
    ({"documentation", "docs", "doc"}, "documentation"),
    ({"paper", "papers"}, "paper"),
    ({"video", "videos", "youtube", "lecture", "lectures"}, "video"),
    ({"blog", "article", "articles", "website", "site", "tutorial", "guide"}, "article"),
    ({"resource", "resources", "link", "links"}, "article"),
]


def table_cells(table: SyntaxTreeNode) -> tuple[list[str], list[tuple[SyntaxTreeNode, list]]]:
    """The header texts, and each body row with the inline nodes of its cells."""
    headers: list[str] = []
    rows: list[tuple[SyntaxTreeNode, list]] = []
    for part in table.children:
        for tr in part.children:
            cells = [inline_children(cell) for cell in tr.children]
            if part.type == "thead":
                headers = [plain_text(cell) for cell in cells]
            else:
                rows.append((tr, cells))
    return headers, rows


def column_meaning(header: str) -> str | None:
    """A table column's meaning from its header, whatever its wording or case."""
    key = heading_key(header)
    words = set(key.replace("/", " ").split())
    if key in ("s no", "sno", "s no.", "no", "#", "") or key.startswith(("s no", "serial")):
        return "row"
    return next((meaning for names, meaning in _COLUMN_KINDS if words & names), None)


def resolve_unknown_columns(doc: Document, table, headers: list, meanings: list) -> None:
    """A column of unknown meaning still holds resources: keep its cells as articles."""
    for index, (header, meaning) in enumerate(zip(headers, meanings, strict=True)):
        if meaning is None:
            doc.warn(table, f"column {header!r} has no known meaning; cells kept as articles")
            meanings[index] = "article"


def row_facts(doc: Document, cells, meanings, number: int, node) -> tuple[int, str | None]:
    """A row's number (its "S.No" cell, else its position) and its level cell, if any."""
    row, level = number, None
    for meaning, cell in zip(meanings, cells, strict=False):
        text = plain_text(cell)
        if meaning == "row" and text:
            if text.rstrip(".").isdigit() and int(text.rstrip(".")) >= 1:
                row = int(text.rstrip("."))
            else:
                doc.warn(node, f"row number {text!r} is not a number; using {number}")
        elif meaning == "level" and text:
            level = level_of(text)
            if level is None:
                doc.warn(node, f"level {text!r} is not beginner/intermediate/advanced")
    return row, level


def row_resources(cells, meanings, row: int, *, level: str | None = None) -> list[dict]:
    """The resources in a row's resource columns, in column order."""
    found = []
    for meaning, cell in zip(meanings, cells, strict=False):
        if meaning in _ROW_FACTS:
            continue
        for cell_resource in cell_resources(cell, meaning):
            if level:
                cell_resource["level"] = level
            cell_resource["group"] = "table"
            cell_resource["row"] = row
            found.append(cell_resource)
    return found


def cell_resources(cell: list[SyntaxTreeNode], kind: str) -> list[dict[str, Any]]:
    """Each line of a cell (``<br>`` splits lines) is one resource: linked, bare or named."""
    found = []
    for line in split_lines(cell):
        links = links_in(line)
        leftover = text_outside_links(line).strip(SEPARATOR)
        if not links:
            title = plain_text(line).strip()
            if title and title not in _NOTHING:
                found.append(resource(title, None, kind=kind))
            continue
        for link in links:
            title = link.text or leftover or url_title(link.url)
            found.append(resource(title, link.url, kind=kind))
    return found
