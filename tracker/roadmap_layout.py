"""How a roadmap page lays out loaded rows: sections, item groups and the resource tables,
the way the source document does.

No queries: every function works on rows already loaded (prefetched lists), so it is tested
with plain objects.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.utils.text import slugify

# The choices only, for labels and kinds: nothing here queries.
from tracker.models.content import Item, Level, Resource, Section

if TYPE_CHECKING:
    from tracker.models.content import Roadmap

TABLE_GROUP = "table"
RECOMMENDED_GROUP = "highly-recommended"
RECOMMENDED_TITLE = "Highly Recommended Resources"

_KIND_LABELS = dict(Resource.Kind.choices)
_LEVEL_LABELS = dict(Level.choices)
_ITEM_ANCHOR = re.compile(r"^item-\d+$")  # item rows' ids, which sections must not take
_NUMBER_HEADER = re.compile(r"^\s*(s\.?\s*no\.?|no\.?|#|number)\s*$", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# Resource tables


@dataclass
class Column:
    kind: str
    label: str


@dataclass
class TableRow:
    number: int | None
    cells: list[list[Resource]]
    level: str = ""
    level_label: str = ""


@dataclass
class ResourceTable:
    number_header: str
    columns: list[Column]
    level_header: str
    rows: list[TableRow]


def _split_headers(headers: Sequence[str], leading: int) -> tuple[str, list[str], str]:
    """Split a header row into (number header, middle headers, level header).

    `leading` is how many leading headers describe something other than resources (1 for a
    plain resource table: "S.No"; 2 for the techniques table: "S.No", "Technique").
    """
    headers = [str(h) for h in headers]
    number = "S.No"
    if headers and _NUMBER_HEADER.match(headers[0]):
        number = headers[0]
    middle = headers[leading:] if len(headers) >= leading else []
    level = "Level"
    if middle and middle[-1].strip().lower() == "level":
        level = middle[-1]
        middle = middle[:-1]
    return number, middle, level


def table_columns(resources: Sequence[Resource], headers: Sequence[str]) -> list[Column]:
    """One column per resource kind.

    When every kind present names exactly one header (the header "Best YouTube Playlist"
    names the kind "playlist"), the columns follow the headers and keep their wording, empty
    columns included; otherwise they follow the kinds in order of first appearance.
    """
    present = list(dict.fromkeys(resource.kind for resource in resources))
    by_header: list[Column] = []
    for header in headers:
        words = header.lower()
        matches = [
            kind for kind, label in _KIND_LABELS.items() if kind in words or label.lower() in words
        ]
        if len(set(matches)) != 1:
            by_header = []
            break
        by_header.append(Column(kind=matches[0], label=header))
    header_kinds = [column.kind for column in by_header]
    if (
        by_header
        and len(set(header_kinds)) == len(header_kinds)
        and set(present) <= set(header_kinds)
    ):
        return by_header
    return [Column(kind=kind, label=_KIND_LABELS.get(kind, kind.title())) for kind in present]


def row_cells(resources: Iterable[Resource], columns: Sequence[Column]) -> list[list[Resource]]:
    cells: dict[str, list[Resource]] = {column.kind: [] for column in columns}
    for resource in resources:
        if resource.kind in cells:
            cells[resource.kind].append(resource)
    return [cells[column.kind] for column in columns]


def _level_of(resources: Iterable[Resource], default: str) -> str:
    return next((resource.level for resource in resources if resource.level), default)


def resource_table(
    resources: Sequence[Resource], headers: Sequence[str], *, default_level: str = ""
) -> ResourceTable | None:
    """Rebuild a document table from its cells: resources with a `row`, grouped by row."""
    if not resources:
        return None
    number_header, middle, level_header = _split_headers(headers, leading=1)
    columns = table_columns(resources, middle)
    rows: dict[int | None, list[Resource]] = {}
    for resource in resources:
        rows.setdefault(resource.row, []).append(resource)
    # Rows without a number go last, in the order they were written.
    ordered = sorted(rows.items(), key=lambda pair: (pair[0] is None, pair[0] or 0))
    table_rows = []
    for number, cells in ordered:
        level = _level_of(cells, default_level)
        table_rows.append(
            TableRow(
                number=number,
                cells=row_cells(cells, columns),
                level=level,
                level_label=_LEVEL_LABELS.get(level, ""),
            )
        )
    return ResourceTable(
        number_header=number_header,
        columns=columns,
        level_header=level_header,
        rows=table_rows,
    )


# ---------------------------------------------------------------------------------------------
# Techniques: a table whose rows are items


@dataclass
class ItemTable:
    number_header: str
    item_header: str
    columns: list[Column]
    level_header: str


@dataclass
class ItemTableRow:
    number: int | None
    cells: list[list[Resource]]
    # The item's resources that are not table cells (shown under its title).
    extra: list[Resource]


def _in_page_order(resources: Iterable[Resource]) -> list[Resource]:
    # As the page's prefetch orders them, also when they were not prefetched: the model's
    # ordering leaves ties to chance, and the columns follow the kinds' first appearance.
    return sorted(resources, key=lambda resource: (resource.order, resource.id))


def item_table(section: Section, items: Sequence[Item]) -> ItemTable:
    headers = [str(h) for h in (section.table_headers or [])]
    number_header, middle, level_header = _split_headers(headers, leading=2)
    item_header = headers[1] if len(headers) > 1 else "Item"
    cells = [
        resource
        for item in items
        for resource in _in_page_order(item.resources.all())
        if resource.group == TABLE_GROUP
    ]
    return ItemTable(
        number_header=number_header,
        item_header=item_header,
        columns=table_columns(cells, middle),
        level_header=level_header,
    )


def item_table_row(item: Item, columns: Sequence[Column] | None = None) -> ItemTableRow:
    """An item's cells in its section's table. Without `columns` (a row re-rendered on its
    own), they are worked out from the item's section as for the whole table."""
    resources = _in_page_order(item.resources.all())
    if columns is None:
        columns = item_table(item.section, [item]).columns
    table = [resource for resource in resources if resource.group == TABLE_GROUP]
    return ItemTableRow(
        number=min((r.row for r in table if r.row), default=None),
        cells=row_cells(table, columns),
        extra=[resource for resource in resources if resource.group != TABLE_GROUP],
    )


def is_table_item(item: Item) -> bool:
    return item.section.kind == Section.Kind.TECHNIQUES


# The kind every item of a section has unless it says otherwise: its row need not repeat it.
_SECTION_ITEM_KIND = {
    Section.Kind.PREREQUISITES: Item.Kind.TOPIC,
    Section.Kind.LEVEL: Item.Kind.CONCEPT,
    Section.Kind.TECHNIQUES: Item.Kind.TECHNIQUE,
    Section.Kind.PROJECTS: Item.Kind.PROJECT,
}


def row_tags(item: Item) -> list[tuple[str, str]]:
    """The tags on an item's roadmap row, as (css class, text): its kind and level only where
    its section's heading does not already say them (a level section's items are all of its
    level), and Optional."""
    section = item.section
    tags = []
    if _SECTION_ITEM_KIND.get(section.kind) != item.kind:
        tags.append(("tag", item.get_kind_display()))
    if item.level and item.level != section.level:
        tags.append((f"tag tag-level-{item.level}", item.get_level_display()))
    if item.optional:
        tags.append(("tag", "Optional"))
    return tags


# ---------------------------------------------------------------------------------------------
# Sections


@dataclass
class ItemGroup:
    title: str
    anchor: str
    items: list[Item] = field(default_factory=list)
    # Section resources filed under this group's name (the 👉 link under "Mathematics").
    resources: list[Resource] = field(default_factory=list)


@dataclass
class SectionBlock:
    section: Section
    anchor: str
    groups: list[ItemGroup]
    table: ResourceTable | None
    item_table: ItemTable | None
    recommended: list[Resource]
    recommended_anchor: str
    other_resources: list[Resource]

    @property
    def toc_children(self) -> list[tuple[str, str]]:
        children = [(group.title, group.anchor) for group in self.groups if group.title]
        if self.recommended:
            children.append((RECOMMENDED_TITLE, self.recommended_anchor))
        return children

    @property
    def quoted(self) -> bool:
        # The document writes these sections' text as a quote; the YAML stores it without ">".
        return self.section.kind in {Section.Kind.PROJECTS, Section.Kind.NOTES}


def _group_title(item: Item, section: Section) -> str:
    if item.group:
        return item.group
    if section.kind == Section.Kind.PROJECTS and item.level:
        return f"{_LEVEL_LABELS[item.level]} Projects"
    return ""


def section_block(section: Section, used_anchors: set[str]) -> SectionBlock:
    """Arrange one section's prefetched items and resources."""

    def anchor(*parts: str) -> str:
        base = slugify("-".join(parts)) or "section"
        if _ITEM_ANCHOR.match(base):
            base = f"section-{base}"
        candidate, n = base, 1
        while candidate in used_anchors:
            n += 1
            candidate = f"{base}-{n}"
        used_anchors.add(candidate)
        return candidate

    section_anchor = anchor(section.slug)
    groups: dict[str, ItemGroup] = {}
    items = list(section.items.all())
    for item in items:
        title = _group_title(item, section)
        if title not in groups:
            groups[title] = ItemGroup(
                title=title, anchor=anchor(section.slug, title) if title else section_anchor
            )
        groups[title].items.append(item)

    table_cells: list[Resource] = []
    recommended: list[Resource] = []
    other: list[Resource] = []
    for resource in section.resources.all():
        if resource.group == TABLE_GROUP:
            table_cells.append(resource)
        elif resource.group == RECOMMENDED_GROUP:
            recommended.append(resource)
        elif resource.group and resource.group in groups:
            groups[resource.group].resources.append(resource)
        else:
            # Never lose a link: a resource that fits no place still shows.
            other.append(resource)

    is_techniques = section.kind == Section.Kind.TECHNIQUES
    return SectionBlock(
        section=section,
        anchor=section_anchor,
        groups=list(groups.values()),
        table=resource_table(table_cells, section.table_headers or [], default_level=section.level),
        item_table=item_table(section, items) if is_techniques and items else None,
        recommended=recommended,
        recommended_anchor=anchor(section.slug, RECOMMENDED_GROUP) if recommended else "",
        other_resources=other,
    )


# Ids the page itself uses, which a section anchor must not take.
_RESERVED_ANCHORS = {"main", "contents", "toc-heading", "roadmap-heading"}


def roadmap_blocks(roadmap: Roadmap) -> list[SectionBlock]:
    used = set(_RESERVED_ANCHORS)
    return [section_block(section, used) for section in roadmap.sections.all()]


def page_order(items: Iterable[Item]) -> list[Item]:
    """Items (with their section, in section then item order) as their roadmap page shows
    them: each section's items gathered under their group headings, in first-seen order, as
    `section_block` does. Previous/next on item pages walk this order."""
    sections: dict[int, dict[str, list[Item]]] = {}
    for item in items:
        groups = sections.setdefault(item.section_id, {})
        groups.setdefault(_group_title(item, item.section), []).append(item)
    return [item for groups in sections.values() for group in groups.values() for item in group]


def _plain_title(title: str) -> str:
    return " ".join(title.casefold().split()).strip(" .:;,-–—")


def repeated_title_host(resource_title: str, url: str, item_title: str) -> str:
    """The host to show instead of a link's label when the label only repeats its item's
    title (which the row or page heading already shows), else "". E.g. "AI Ethics" under the
    item "AI Ethics" reads better as "plato.stanford.edu"."""
    if not url or not item_title or _plain_title(resource_title) != _plain_title(item_title):
        return ""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def page_items(roadmap: Roadmap) -> list[Item]:
    """Every item on a loaded roadmap page, from the prefetched sections."""
    return [item for section in roadmap.sections.all() for item in section.items.all()]
