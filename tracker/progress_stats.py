"""Numbers about a learner's progress: counts, "next up", streaks and the chart.

The top half is pure functions over plain data, tested without a database. The bottom half
(`load_*`) fetches that data in a fixed number of queries, however big the roadmap or the
learner's history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, FilteredRelation, Q

from tracker import page_cache
from tracker.models import Item, Progress, ProgressEvent, Status

FINISHED = frozenset({Status.DONE, Status.SKIPPED})
WEEK = timedelta(days=7)


# --- pure functions ----------------------------------------------------------------------


@dataclass
class Counts:
    total: int = 0
    done: int = 0
    skipped: int = 0
    in_progress: int = 0

    def add(self, status: str | None) -> None:
        self.total += 1
        if status == Status.DONE:
            self.done += 1
        elif status == Status.SKIPPED:
            self.skipped += 1
        elif status == Status.IN_PROGRESS:
            self.in_progress += 1

    def __iadd__(self, other: Counts) -> Counts:
        self.total += other.total
        self.done += other.done
        self.skipped += other.skipped
        self.in_progress += other.in_progress
        return self

    @property
    def finished(self) -> int:
        return self.done + self.skipped

    @property
    def remaining(self) -> int:
        return self.total - self.finished

    @property
    def percent_done(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def percent_skipped(self) -> int:
        return round(100 * self.skipped / self.total) if self.total else 0


@dataclass
class SectionProgress:
    id: int
    title: str
    counts: Counts


@dataclass
class RoadmapProgress:
    roadmap: object
    sections: list[SectionProgress] = field(default_factory=list)

    @property
    def counts(self) -> Counts:
        total = Counts()
        for section in self.sections:
            total += section.counts
        return total


@dataclass(frozen=True)
class NextItem:
    id: int
    prerequisite_ids: tuple[int, ...] = ()


def next_up(
    items: Sequence[NextItem], status_by_item: dict[int, str], *, limit: int = 5
) -> list[int]:
    """Ids of the first unfinished items, in the given order, whose prerequisites are finished.

    Done and skipped both count as finished: a skipped prerequisite no longer blocks anything.
    """
    chosen = []
    for item in items:
        if status_by_item.get(item.id) in FINISHED:
            continue
        if all(status_by_item.get(pid) in FINISHED for pid in item.prerequisite_ids):
            chosen.append(item.id)
            if len(chosen) == limit:
                break
    return chosen


def week_start(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


def streak_weeks(done_at: Iterable[datetime], *, tz: ZoneInfo, now: datetime) -> int:
    """Consecutive weeks, up to now, with at least one item done.

    Weeks start on Monday in the learner's zone. A week in progress with nothing done yet
    does not break the streak: counting then starts from last week.
    """
    weeks = {week_start(moment.astimezone(tz).date()) for moment in done_at}
    week = week_start(now.astimezone(tz).date())
    if week not in weeks:
        week -= WEEK
    streak = 0
    while week in weeks:
        streak += 1
        week -= WEEK
    return streak


@dataclass(frozen=True)
class WeekPoint:
    week: date  # the Monday
    done: int
    skipped: int

    @property
    def finished(self) -> int:
        return self.done + self.skipped


def weekly_totals(
    events: Iterable[tuple[int, str, datetime]],
    *,
    tz: ZoneInfo,
    now: datetime,
    max_weeks: int = 12,
) -> list[WeekPoint]:
    """Items done and skipped at the end of each week, from the first active week to now.

    `events` are (item id, new status, time). Shows at most `max_weeks` weeks and at least
    two, so a chart always has a line. Undoing an item lowers the count again.
    """
    ordered = sorted(events, key=lambda event: event[2])
    this_week = week_start(now.astimezone(tz).date())
    first = week_start(ordered[0][2].astimezone(tz).date()) if ordered else this_week
    start = max(first, this_week - (max_weeks - 1) * WEEK)
    start = min(start, this_week - WEEK)

    status_by_item: dict[int, str] = {}
    points = []
    position = 0
    week = start
    while week <= this_week:
        week_end = datetime.combine(week + WEEK, datetime.min.time(), tzinfo=tz)
        while position < len(ordered) and ordered[position][2] < week_end:
            item_id, status, _ = ordered[position]
            status_by_item[item_id] = status
            position += 1
        statuses = list(status_by_item.values())
        points.append(
            WeekPoint(
                week=week,
                done=statuses.count(Status.DONE),
                skipped=statuses.count(Status.SKIPPED),
            )
        )
        week += WEEK
    return points


@dataclass(frozen=True)
class Chart:
    """Coordinates for an SVG line chart; the template only places them."""

    width: int
    height: int
    left: int
    bottom: int
    top: int
    right: int
    done_points: str
    finished_points: str
    y_ticks: list[tuple[int, float]]  # (value, y)
    x_labels: list[tuple[str, float]]  # (label, x)
    dots: list[tuple[float, float, float]]  # (x, y done, y finished)


def _nice_top(value: int, ticks: int) -> int:
    """The smallest round axis top (ticks × 1, 2, 5, 10, 20, 50…) at or above value."""
    step = 1
    while step * ticks < value:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if step * ticks >= value:
                break
    return step * ticks


def chart(
    points: Sequence[WeekPoint], *, width: int = 640, height: int = 240, y_ticks: int = 4
) -> Chart:
    """Scale weekly totals into an SVG viewBox: x is time, y is items."""
    # Room on the right for the last week's label, centred on the last point.
    left, right, top, bottom = 40, 32, 12, height - 32
    top_value = _nice_top(max((p.finished for p in points), default=0), y_ticks)
    span_x = width - left - right
    span_y = bottom - top

    def x_of(index: int) -> float:
        if len(points) == 1:
            return left + span_x / 2
        return round(left + span_x * index / (len(points) - 1), 1)

    def y_of(value: int) -> float:
        return round(bottom - span_y * value / top_value, 1)

    done = " ".join(f"{x_of(i)},{y_of(p.done)}" for i, p in enumerate(points))
    finished = " ".join(f"{x_of(i)},{y_of(p.finished)}" for i, p in enumerate(points))
    ticks = [(top_value * k // y_ticks, y_of(top_value * k // y_ticks)) for k in range(y_ticks + 1)]
    # Label every week when there are few, else about six labels so they never overlap.
    every = max(1, -(-len(points) // 6))
    labels = [
        (p.week.strftime("%-d %b"), x_of(i))
        for i, p in enumerate(points)
        if i % every == 0 or i == len(points) - 1
    ]
    dots = [(x_of(i), y_of(p.done), y_of(p.finished)) for i, p in enumerate(points)]
    return Chart(
        width=width,
        height=height,
        left=left,
        bottom=bottom,
        top=top,
        right=width - right,
        done_points=done,
        finished_points=finished,
        y_ticks=ticks,
        x_labels=labels,
        dots=dots,
    )


# --- loading -----------------------------------------------------------------------------


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


@dataclass(frozen=True)
class SectionLayout:
    id: int
    title: str
    item_ids: tuple[int, ...]


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


def roadmap_progress_from(
    roadmap, layout: Sequence[SectionLayout], status_by_item: dict[int, str]
) -> RoadmapProgress:
    """Per-section counts from the learner's statuses (items without a row: not started)."""
    progress = RoadmapProgress(roadmap=roadmap)
    for section in layout:
        counts = Counts()
        for item_id in section.item_ids:
            counts.add(status_by_item.get(item_id))
        progress.sections.append(SectionProgress(id=section.id, title=section.title, counts=counts))
    return progress


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

    @property
    def counts(self) -> Counts:
        total = Counts()
        for roadmap in self.roadmaps:
            total += roadmap.counts
        return total


def load_dashboard(learner, roadmaps: Sequence, *, now: datetime, limit: int = 5) -> Dashboard:
    """Everything the dashboard shows, in seven queries whatever the sizes."""
    tz = ZoneInfo(learner.time_zone)
    position = {roadmap.id: index for index, roadmap in enumerate(roadmaps)}
    # 1: the active items of the roadmaps, with their sections and roadmaps
    items = sorted(
        Item.objects.active().filter(roadmap_id__in=position).select_related("roadmap", "section"),
        key=lambda item: (position[item.roadmap_id], item.order, item.id),
    )
    by_id = {item.id: item for item in items}
    # 2: prerequisite links between them; an archived prerequisite no longer blocks anything
    prerequisites = defaultdict(list)
    for item_id, prerequisite_id in Item.prerequisites.through.objects.filter(
        from_item_id__in=by_id, to_item__archived_at__isnull=True
    ).values_list("from_item_id", "to_item_id"):
        prerequisites[item_id].append(prerequisite_id)
    # 3: the learner's progress rows
    progress = {row.item_id: row for row in Progress.objects.for_learner(learner)}
    statuses = {item_id: row.status for item_id, row in progress.items()}

    sections: dict[int, RoadmapProgress] = {
        roadmap.id: RoadmapProgress(roadmap=roadmap) for roadmap in roadmaps
    }
    current: dict[int, SectionProgress] = {}
    for item in sorted(items, key=lambda i: (position[i.roadmap_id], i.section.order, i.order)):
        section = current.get(item.section_id)
        if section is None:
            section = current[item.section_id] = SectionProgress(
                id=item.section_id, title=item.section.title, counts=Counts()
            )
            sections[item.roadmap_id].sections.append(section)
        section.counts.add(statuses.get(item.id))

    chosen = next_up(
        [NextItem(item.id, tuple(prerequisites[item.id])) for item in items], statuses, limit=limit
    )
    upcoming = []
    for item_id in chosen:
        item = by_id[item_id]
        item.my_progress = progress.get(item_id)
        upcoming.append(item)

    # 4: every status change, narrow rows: the streak counts all of them, the chart only
    # the items whose bars are shown so that its last point matches the overall bar.
    events = list(
        ProgressEvent.objects.filter(learner=learner).values_list("item_id", "status", "at")
    )
    done_at = [at for _, status, at in events if status == Status.DONE]
    shown = [event for event in events if event[0] in by_id]
    # 5: the latest few changes with their items
    recent = list(
        ProgressEvent.objects.filter(learner=learner)
        .select_related("item__roadmap")
        .order_by("-at", "-id")[:8]
    )
    return Dashboard(
        roadmaps=list(sections.values()),
        next_up=upcoming,
        recent=recent,
        streak=streak_weeks(done_at, tz=tz, now=now),
        weeks=weekly_totals(shown, tz=tz, now=now),
    )
