"""Reads of roadmaps: the list, one roadmap's page, an item, followed roadmaps and twins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.urls import reverse

from tracker import page_cache, roadmap_layout, roadmap_map
from tracker.models import (
    Item,
    Level,
    Progress,
    Resource,
    Roadmap,
    RoadmapFollow,
    Section,
    Status,
    Theme,
)


def roadmaps_for_list() -> QuerySet[Roadmap]:
    """Active roadmaps with their active items' count and total hours, in one query."""
    active_items = Q(items__archived_at__isnull=True)
    # Explicit: Meta.ordering does not apply to a query with aggregates (GROUP BY).
    return (
        Roadmap.objects.active()
        .annotate(
            item_count=Count("items", filter=active_items),
            total_hours=Sum("items__effort_hours", filter=active_items),
        )
        .order_by("order", "title")
    )


@dataclass
class ThemeGroup:
    """One heading of /roadmaps/: a theme (slug "" for roadmaps without one) and its roadmaps."""

    slug: str
    title: str
    roadmaps: list[Roadmap] = field(default_factory=list)


OTHER_THEME = "Other roadmaps"


def catalogue(roadmaps: Iterable[Roadmap], *, theme: str = "") -> list[ThemeGroup]:
    """The roadmaps grouped by theme, in `Theme`'s order (those without one last), each group
    in the roadmaps' own order; only `theme`'s group when it names one. No query of its own:
    it groups what the list's one query read."""
    groups = {value: ThemeGroup(value, label) for value, label in Theme.choices}
    groups[""] = ThemeGroup("", OTHER_THEME)
    for roadmap in roadmaps:
        groups.get(roadmap.theme, groups[""]).roadmaps.append(roadmap)
    return [g for g in groups.values() if g.roadmaps and (not theme or g.slug == theme)]


def _resources():
    # imported_values is the importer's bookkeeping (a copy of every field): never shown.
    return Resource.objects.active().defer("imported_values").order_by("order", "id")


def _items():
    return (
        Item.objects.active()
        .select_related("roadmap")
        .defer("imported_values", "roadmap__imported_values")
    )


def roadmap_for_page(slug: str) -> Roadmap | None:
    """An active roadmap with everything its page shows, in six queries whatever its size:
    roadmap, sections, section resources, items (joined to their roadmap for URLs), item
    resources, item prerequisites. Archived rows are left out at every level.
    """
    items = (
        _items()
        .prefetch_related(
            Prefetch("resources", queryset=_resources()),
            Prefetch("prerequisites", queryset=_items().order_by("order", "id")),
        )
        .order_by("order", "id")
    )
    sections = (
        Section.objects.active()
        .defer("imported_values")
        .prefetch_related(
            Prefetch("items", queryset=items),
            Prefetch("resources", queryset=_resources()),
        )
        .order_by("order", "id")
    )
    return (
        Roadmap.objects.active()
        .filter(slug=slug)
        .prefetch_related(Prefetch("sections", queryset=sections))
        .first()
    )


def _active_item(roadmap_slug: str, item_slug: str, *, with_dependents: bool) -> Item | None:
    """An active item of an active roadmap with its roadmap, section, resources and (active)
    prerequisites, and its dependents when asked."""
    linked_items = _items().order_by("order", "id")
    prefetches = [
        Prefetch("resources", queryset=_resources()),
        Prefetch("prerequisites", queryset=linked_items),
    ]
    if with_dependents:
        prefetches.append(Prefetch("dependents", queryset=linked_items))
    return (
        Item.objects.active()
        .defer("imported_values", "section__imported_values", "roadmap__imported_values")
        .filter(roadmap__slug=roadmap_slug, roadmap__archived_at__isnull=True, slug=item_slug)
        .select_related("roadmap", "section")
        .prefetch_related(*prefetches)
        .first()
    )


def item_for_page(roadmap_slug: str, item_slug: str) -> Item | None:
    """The item page's item, with its dependents too: four queries."""
    return _active_item(roadmap_slug, item_slug, with_dependents=True)


def item_for_row(roadmap_slug: str, item_slug: str) -> Item | None:
    """What a status change re-renders (the item's row or status block). Cached per content
    version, so a status change reads its item with no query at all.
    """

    def load() -> Item | None:
        return _active_item(roadmap_slug, item_slug, with_dependents=False)

    return page_cache.content_cached(f"item-row:{roadmap_slug}:{item_slug}", load)


@dataclass(frozen=True)
class Neighbour:
    slug: str
    title: str


def item_neighbours(item: Item) -> tuple[Neighbour | None, Neighbour | None]:
    """The items before and after `item` in its roadmap's page order (None at either end).
    The order is content, so it is cached per content version: one query when cold."""

    def load() -> list[Neighbour]:
        items = (
            Item.objects.active()
            .filter(roadmap_id=item.roadmap_id, section__archived_at__isnull=True)
            .select_related("section")
            .only("slug", "title", "group", "level", "section", "section__kind", "section__order")
            .order_by("section__order", "section_id", "order", "id")
        )
        return [Neighbour(i.slug, i.title) for i in roadmap_layout.page_order(items)]

    order = page_cache.content_cached(f"item-order:{item.roadmap_id}", load)
    slugs = [neighbour.slug for neighbour in order]
    if item.slug not in slugs:
        return None, None
    index = slugs.index(item.slug)
    before = order[index - 1] if index > 0 else None
    after = order[index + 1] if index + 1 < len(order) else None
    return before, after


def attach_progress(items: Iterable[Item], learner) -> None:
    """Set `item.my_progress` (the learner's Progress or None) on every item, in one query."""
    items = list(items)
    progress = {
        row.item_id: row
        for row in Progress.objects.for_learner(learner).filter(
            item_id__in=[item.id for item in items]
        )
    }
    for item in items:
        item.my_progress = progress.get(item.id)


def followed_roadmaps(learner) -> list[Roadmap]:
    """The roadmaps a learner chose to follow, in their chosen order; none until they choose.

    There is no implicit default: a default that vanished once the learner followed another
    roadmap took their ticks off the dashboard and switched their plan without a word.
    """
    follows = (
        RoadmapFollow.objects.filter(learner=learner, roadmap__archived_at__isnull=True)
        .select_related("roadmap")
        .order_by("position", "created_at")
    )
    return [follow.roadmap for follow in follows]


def with_done_counts(roadmaps: QuerySet[Roadmap], learner) -> QuerySet[Roadmap]:
    """Annotate `done_count`: the learner's done active items per roadmap, in the same query
    (a correlated subquery, so the item counts beside it are not multiplied by a join)."""
    done = (
        Progress.objects.for_learner(learner)
        .done()
        .filter(item__roadmap=OuterRef("pk"), item__archived_at__isnull=True)
        .order_by()
        .values("item__roadmap")
        .annotate(n=Count("id"))
        .values("n")
    )
    return roadmaps.annotate(done_count=Coalesce(Subquery(done, output_field=IntegerField()), 0))


def item_twins(item: Item) -> list[Item]:
    """The other items of the item's shared topic (content/topics.yaml): the same piece of
    progress in other roadmaps, or elsewhere in this one. Identity is declared, never guessed
    from slugs or links. One query; none for an item without a topic.
    """
    if not item.topic:
        return []
    return list(
        Item.objects.twins_of(item)
        .select_related("roadmap")
        .defer("imported_values", "roadmap__imported_values")
        .order_by("roadmap__order", "roadmap__title", "order", "id")
    )


# ---------------------------------------------------------------------------------------------
# The map view (/roadmaps/<slug>/map/)

_LEVEL_LANES = {Level.BEGINNER: 1, Level.INTERMEDIATE: 2, Level.ADVANCED: 3}
_OTHER_LANES = 10  # sections without a level follow the levels, in page order
_STATUS_MARKS = {
    Status.NOT_STARTED: "○",
    Status.IN_PROGRESS: "◐",
    Status.DONE: "✓",
    Status.SKIPPED: "⤼",
}
_KIND_LABELS = {Item.Kind.TECHNIQUE: "Technique", Item.Kind.PROJECT: "Project"}
# Characters per title line at the map's fixed 13 px font, for each width's node.
_LINE_CHARS = {roadmap_map.WIDE: 23, roadmap_map.NARROW: 17}
_TITLE_LINES = 3


def map_drawing(slug: str, learner=None) -> dict | None:
    """A roadmap's items as a map: lanes, nodes coloured by the learner's status (all not
    started for a visitor), prerequisite arrows, laid out for wide and narrow screens.
    Four queries (roadmap, sections, items, prerequisite links), one more for a learner.
    """
    roadmap = Roadmap.objects.active().filter(slug=slug).only("id", "slug", "title").first()
    if roadmap is None:
        return None
    sections = list(
        Section.objects.active()
        .filter(roadmap=roadmap)
        .only("id", "kind", "title", "level", "order")
        .order_by("order", "id")
    )
    items = list(
        Item.objects.active()
        .filter(roadmap=roadmap, section__archived_at__isnull=True)
        .only("id", "slug", "title", "kind", "level", "section_id", "order")
        .order_by("order", "id")
    )
    links: dict[int, list[int]] = {}
    through = Item.prerequisites.through
    for item_id, prerequisite_id in through.objects.filter(from_item__roadmap=roadmap).values_list(
        "from_item_id", "to_item_id"
    ):
        links.setdefault(item_id, []).append(prerequisite_id)
    signed_in = learner is not None and learner.is_authenticated
    statuses: dict[int, str] = {}
    if signed_in:
        statuses = dict(
            Progress.objects.for_learner(learner)
            .filter(item__roadmap=roadmap)
            .values_list("item_id", "status")
        )

    lane_titles: dict[int, str] = {}
    section_of = {section.id: (n, section) for n, section in enumerate(sections)}
    map_items = []
    for item in items:
        n, section = section_of[item.section_id]
        level = item.level or section.level
        if section.kind == Section.Kind.PREREQUISITES:
            lane = 0
            lane_titles.setdefault(lane, section.title)
        elif level in _LEVEL_LANES:
            lane = _LEVEL_LANES[level]
            lane_titles.setdefault(lane, Level(level).label)
        else:
            lane = _OTHER_LANES + n
            lane_titles.setdefault(lane, section.title)
        map_items.append(
            roadmap_map.MapItem(id=item.id, lane=lane, prerequisites=tuple(links.get(item.id, ())))
        )
    by_id = {item.id: item for item in items}
    status_of = {item.id: statuses.get(item.id, Status.NOT_STARTED) for item in items}
    counts = {status: 0 for status in Status.values}
    for status in status_of.values():
        counts[status] += 1
    return {
        "roadmap": roadmap,
        "signed_in": signed_in,
        "legend": [
            {"status": s, "label": Status(s).label, "mark": _STATUS_MARKS[s], "count": counts[s]}
            for s in Status.values
        ],
        "wide": _drawing(map_items, roadmap_map.WIDE, by_id, status_of, lane_titles, roadmap),
        "narrow": _drawing(map_items, roadmap_map.NARROW, by_id, status_of, lane_titles, roadmap),
    }


def _drawing(map_items, metrics, by_id, status_of, lane_titles, roadmap) -> dict:
    """What the SVG template draws: plain numbers and strings (the template escapes them)."""
    layout = roadmap_map.layout(map_items, metrics)
    lanes = {lane.lane: lane for lane in layout.lanes}
    nodes_by_lane: dict[int, list[dict]] = {}
    for node in layout.nodes:
        item = by_id[node.id]
        status = status_of[node.id]
        lines = roadmap_map.wrap_title(item.title, _LINE_CHARS[metrics], _TITLE_LINES)
        top = node.y + 20 + (_TITLE_LINES - len(lines)) * 8  # centre short titles a little
        nodes_by_lane.setdefault(node.lane, []).append(
            {
                "node": node,
                "url": reverse("item_detail", args=[roadmap.slug, item.slug]),
                "title": item.title,
                "lines": [(top + 16 * n, line) for n, line in enumerate(lines)],
                "text_x": node.x + 10,
                "status": status,
                "status_label": Status(status).label,
                "mark": _STATUS_MARKS[status],
                "kind": _KIND_LABELS.get(item.kind, ""),
                "status_y": node.y + node.height - 10,
            }
        )
    return {
        "width": layout.width,
        "height": layout.height,
        "lanes": [
            {
                "lane": lane,
                "title": lane_titles[key],
                "title_x": lane.x + 10,
                "title_y": lane.y + 22,
                "nodes": nodes_by_lane[key],
            }
            for key, lane in lanes.items()
        ],
        "edges": layout.edges,
        "dropped": sum(1 for edge in layout.edges if edge.cyclic),
    }
