"""Reads of a learner's progress: per-section counts, the bars' layout and the dashboard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Count, FilteredRelation, Q

from tracker.content_cache import content_cached
from tracker.models import Item, Progress, ProgressEvent, Status
from tracker.progress_math import (
    Counts,
    RoadmapProgress,
    SectionLayout,
    SectionProgress,
    WeekPoint,
    distinct_counts,
    roadmap_progress_from,
    streak_weeks,
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

    return content_cached(f"section-layout:{roadmap_id}", load)


def roadmap_progress(
    learner, roadmap, layout: Sequence[SectionLayout] | None = None
) -> RoadmapProgress:
    """The learner's counts for one roadmap, per section: the same as
    `load_roadmap_progress(learner, [roadmap])[0]` in one narrow query. Pass the roadmap's
    `section_layout` when you have it already."""
    # All the learner's rows, unfiltered: rows of other roadmaps are simply not counted, and
    # the query stays cheap to build on every status change.
    rows = Progress.objects.filter(learner_id=learner.pk).values_list("item_id", "status")
    if layout is None:
        layout = section_layout(roadmap.id)
    return roadmap_progress_from(roadmap, layout, dict(rows))


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


def load_dashboard(
    learner,
    roadmaps: Sequence,
    *,
    now: datetime,
    next_up_ids: Sequence[int] = (),
    progress: dict[int, Progress] | None = None,
) -> Dashboard:
    """Everything the dashboard shows but the plan's position, in four queries whatever the sizes.

    `next_up_ids` come from `selectors.plans.where_am_i`, so next-up follows the plan's order;
    `progress` (the learner's rows by item id) saves a query when the caller has them.
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

    # 3: every status change, narrow rows: the streak counts all of them, the chart only
    # the items whose bars are shown so that its last point matches the overall bar.
    events = list(
        ProgressEvent.objects.filter(learner=learner).values_list("item_id", "status", "at")
    )
    done_at = [at for _, status, at in events if status == Status.DONE]
    shown = [(key_of[item_id], status, at) for item_id, status, at in events if item_id in by_id]
    # 4: the latest few changes with their items
    recent = list(
        ProgressEvent.objects.filter(learner=learner)
        .select_related("item__roadmap")
        .order_by("-at", "-id")[:8]
    )
    return Dashboard(
        roadmaps=_section_counts(roadmaps, items, statuses, position),
        next_up=upcoming,
        recent=recent,
        streak=streak_weeks(done_at, tz=tz, now=now),
        weeks=weekly_totals(shown, tz=tz, now=now),
        counts=distinct_counts((key_of[item.id], statuses.get(item.id)) for item in items),
    )
