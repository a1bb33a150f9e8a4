"""Reads of a learner's progress: per-section counts, the bars' layout and the dashboard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import (
    BooleanField,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Q,
    Window,
)
from django.db.models.functions import RowNumber, TruncWeek

from tracker import page_cache
from tracker.models import Item, Progress, ProgressEvent, Status
from tracker.progress_math import (
    Counts,
    RoadmapProgress,
    SectionLayout,
    SectionProgress,
    WeekPoint,
    chart_since,
    distinct_counts,
    roadmap_progress_from,
    streak_from_weeks,
    weekly_totals,
)


def load_roadmap_progress(learner, roadmaps: Sequence) -> list[RoadmapProgress]:
    """Per-section counts of active items for each roadmap, in one query."""
    by_roadmap = {roadmap.id: RoadmapProgress(roadmap=roadmap) for roadmap in roadmaps}
    if not by_roadmap:
        return []
    rows = (
        Item.objects.active()
        .filter(roadmap_id__in=by_roadmap)
        .annotate(mine=FilteredRelation("progress", condition=Q(progress__learner=learner)))
        .values("roadmap_id", "section_id", "section__title", "section__order")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=Q(mine__status=Status.DONE)),
            skipped=Count("id", filter=Q(mine__status=Status.SKIPPED)),
            in_progress=Count("id", filter=Q(mine__status=Status.IN_PROGRESS)),
        )
        .order_by("roadmap_id", "section__order", "section_id")
    )
    for row in rows:
        by_roadmap[row["roadmap_id"]].sections.append(
            SectionProgress(
                id=row["section_id"],
                title=row["section__title"],
                counts=Counts(
                    total=row["total"],
                    done=row["done"],
                    skipped=row["skipped"],
                    in_progress=row["in_progress"],
                ),
            )
        )
    return list(by_roadmap.values())


def section_layout(roadmap_id: int) -> list[SectionLayout]:
    """The roadmap's active items by section, in the order of `load_roadmap_progress`.

    Content only, so it is cached per content version: the bars of a roadmap page then cost
    one narrow query for the learner's statuses, or none when the page has them already.
    """

    def load() -> list[SectionLayout]:
        sections: dict[int, tuple[str, list[int]]] = {}
        rows = (
            Item.objects.active()
            .filter(roadmap_id=roadmap_id)
            .order_by("section__order", "section_id", "order", "id")
            .values_list("section_id", "section__title", "id")
        )
        for section_id, title, item_id in rows:
            sections.setdefault(section_id, (title, []))[1].append(item_id)
        return [
            SectionLayout(id=section_id, title=title, item_ids=tuple(ids))
            for section_id, (title, ids) in sections.items()
        ]

    return page_cache.content_cached(f"section-layout:{roadmap_id}", load)


def roadmap_progress(
    learner,
    roadmap,
    layout: Sequence[SectionLayout] | None = None,
    statuses: dict[int, str] | None = None,
) -> RoadmapProgress:
    """The learner's counts for one roadmap, per section: the same as
    `load_roadmap_progress(learner, [roadmap])[0]` in one narrow query. Pass the roadmap's
    `section_layout` when you have it already, and the learner's `statuses` (item id ->
    status, at least the roadmap's) if you have them (then no query)."""
    if statuses is None:
        # All the learner's rows, unfiltered: rows of other roadmaps are simply not counted,
        # and the query stays cheap to build.
        rows = Progress.objects.filter(learner_id=learner.pk).values_list("item_id", "status")
        statuses = dict(rows)
    if layout is None:
        layout = section_layout(roadmap.id)
    return roadmap_progress_from(roadmap, layout, statuses)


@dataclass
class Dashboard:
    roadmaps: list[RoadmapProgress]
    next_up: list[Item]
    recent: list[ProgressEvent]
    streak: int
    weeks: list[WeekPoint]
    # Across roadmaps, a shared topic counts once; each roadmap's own counts include it.
    counts: Counts


def topic_key(item: Item) -> object:
    """What makes items one piece of progress: their shared topic, else the item itself."""
    return ("topic", item.topic) if item.topic else item.id


def _section_counts(
    roadmaps: Sequence, items: list[Item], statuses: dict[int, str], position: dict[int, int]
) -> list[RoadmapProgress]:
    sections = {roadmap.id: RoadmapProgress(roadmap=roadmap) for roadmap in roadmaps}
    current: dict[int, SectionProgress] = {}
    for item in sorted(items, key=lambda i: (position[i.roadmap_id], i.section.order, i.order)):
        section = current.get(item.section_id)
        if section is None:
            section = current[item.section_id] = SectionProgress(
                id=item.section_id, title=item.section.title, counts=Counts()
            )
            sections[item.roadmap_id].sections.append(section)
        section.counts.add(statuses.get(item.id))
    return list(sections.values())


def _done_weeks(learner, tz: ZoneInfo) -> list[date]:
    # One row per week rather than per event: a long streak stays a short read.
    return list(
        ProgressEvent.objects.filter(learner=learner, status=Status.DONE)
        .annotate(week=TruncWeek("at", output_field=DateField(), tzinfo=tz))
        .order_by()
        .values_list("week", flat=True)
        .distinct()
    )


def _chart_events(
    learner, key_of: dict, *, tz: ZoneInfo, now: datetime
) -> tuple[dict, list[tuple]]:
    """The chart's history in one query: each item's last status before the chart's first
    week, then every change since, by `key_of[item id]` (a shared topic counts once). Only
    the items whose bars are shown count, so that the last point matches the overall bar."""
    since = chart_since(tz=tz, now=now)
    earlier = ExpressionWrapper(Q(at__lt=since), output_field=BooleanField())
    rows = (
        ProgressEvent.objects.filter(learner=learner)
        .annotate(
            earlier=earlier,
            # 1 for each item's latest change before `since`, and for every change after it
            rank=Window(
                RowNumber(),
                partition_by=[F("item_id"), earlier],
                order_by=[F("at").desc(), F("id").desc()],
            ),
        )
        .filter(Q(at__gte=since) | Q(rank=1))
        .order_by("at", "id")
        .values_list("item_id", "status", "at")
    )
    before, events = {}, []
    for item_id, status, at in rows:  # oldest first: a topic keeps its latest status
        if item_id not in key_of:
            continue
        if at < since:
            before[key_of[item_id]] = status
        else:
            events.append((key_of[item_id], status, at))
    return before, events


def load_dashboard(
    learner,
    roadmaps: Sequence,
    *,
    now: datetime,
    next_up_ids: Sequence[int] = (),
    progress: dict[int, Progress] | None = None,
) -> Dashboard:
    """Everything the dashboard shows but the plan's position, in five queries whatever the
    sizes.

    `next_up_ids` come from `selectors.plans.where_am_i`, so next-up follows the plan's order;
    `progress` (the learner's rows by item id) saves a query when the caller has them. The
    history is read only as far as the streak and the chart need it, through the learner's own
    index, so a dashboard costs the same in a table of ten million events as in one of ten
    thousand.
    """
    tz = ZoneInfo(learner.time_zone)
    position = {roadmap.id: index for index, roadmap in enumerate(roadmaps)}
    # 1: the active items of the roadmaps, with their sections and roadmaps
    items = sorted(
        Item.objects.active().filter(roadmap_id__in=position).select_related("roadmap", "section"),
        key=lambda item: (position[item.roadmap_id], item.order, item.id),
    )
    by_id = {item.id: item for item in items}
    # 2: the learner's progress rows, unless given
    if progress is None:
        progress = {row.item_id: row for row in Progress.objects.for_learner(learner)}
    statuses = {item_id: row.status for item_id, row in progress.items()}
    key_of = {item.id: topic_key(item) for item in items}
    upcoming = []
    for item_id in next_up_ids:
        if item := by_id.get(item_id):
            item.my_progress = progress.get(item_id)
            upcoming.append(item)

    # 3: the weeks with something done, for the streak; 4: the chart's rows, by topic
    streak = streak_from_weeks(_done_weeks(learner, tz), tz=tz, now=now)
    before, events = _chart_events(learner, key_of, tz=tz, now=now)
    # 5: the latest few changes with their items
    recent = list(
        ProgressEvent.objects.filter(learner=learner)
        .select_related("item__roadmap")
        .order_by("-at", "-id")[:8]
    )
    return Dashboard(
        roadmaps=_section_counts(roadmaps, items, statuses, position),
        next_up=upcoming,
        recent=recent,
        streak=streak,
        weeks=weekly_totals(events, tz=tz, now=now, before=before),
        counts=distinct_counts((key_of[item.id], statuses.get(item.id)) for item in items),
    )
