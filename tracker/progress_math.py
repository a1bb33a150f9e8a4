"""Progress maths over plain data: counts, "next up", streaks, weekly totals and the chart.

No ORM: the selectors load the rows, these functions only count, so they are tested without a
database (and with hypothesis).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tracker.planning import DONE, FINISHED, IN_PROGRESS, SKIPPED

WEEK = timedelta(days=7)


@dataclass
class Counts:
    total: int = 0
    done: int = 0
    skipped: int = 0
    in_progress: int = 0

    def add(self, status: str | None) -> None:
        self.total += 1
        if status == DONE:
            self.done += 1
        elif status == SKIPPED:
            self.skipped += 1
        elif status == IN_PROGRESS:
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


def total_counts(parts: Iterable[Counts]) -> Counts:
    """The sum of several counts (sections into a roadmap, roadmaps into the dashboard)."""
    total = Counts()
    for counts in parts:
        total += counts
    return total


def distinct_counts(statuses: Iterable[tuple[object, str | None]]) -> Counts:
    """Counts of (key, status) pairs with each key counted once, at its first status.

    Keys are an item's shared topic or its id: across roadmaps, a shared topic is one item.
    """
    counts = Counts()
    seen: set[object] = set()
    for key, status in statuses:
        if key not in seen:
            seen.add(key)
            counts.add(status)
    return counts


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
        return total_counts(section.counts for section in self.sections)


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
    return streak_from_weeks(weeks, tz=tz, now=now)


def streak_from_weeks(weeks: Iterable[date], *, tz: ZoneInfo, now: datetime) -> int:
    """`streak_weeks` from the Mondays of the weeks with something done (the database can
    group the done events into weeks, so the dashboard reads one row per week)."""
    weeks = set(weeks)
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


def chart_since(*, tz: ZoneInfo, now: datetime, max_weeks: int = 12) -> datetime:
    """When the earliest week `weekly_totals` can show begins: older events only matter
    through the status each item had then."""
    this_week = week_start(now.astimezone(tz).date())
    return _week_begins(this_week - (max(max_weeks, 2) - 1) * WEEK, tz)


def _week_begins(week: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(week, datetime.min.time(), tzinfo=tz)


def weekly_totals(
    events: Iterable[tuple[int, str, datetime]],
    *,
    tz: ZoneInfo,
    now: datetime,
    max_weeks: int = 12,
    before: dict[int, str] | None = None,
) -> list[WeekPoint]:
    """Items done and skipped at the end of each week, from the first active week to now.

    `events` are (item id, new status, time). Shows at most `max_weeks` weeks and at least
    two, so a chart always has a line. Undoing an item lowers the count again.

    With `before` (each item's last status before `chart_since`, for the items changed
    before it), `events` need only be those from `chart_since` on: the result is the same as
    from the whole history, and a long history costs no more to chart than a short one.
    """
    ordered = sorted(events, key=lambda event: event[2])
    this_week = week_start(now.astimezone(tz).date())
    if before:
        first = week_start(chart_since(tz=tz, now=now, max_weeks=max_weeks).date())
    else:
        first = week_start(ordered[0][2].astimezone(tz).date()) if ordered else this_week
    start = max(first, this_week - (max_weeks - 1) * WEEK)
    start = min(start, this_week - WEEK)

    status_by_item: dict[int, str] = dict(before or {})
    points = []
    position = 0
    week = start
    while week <= this_week:
        week_end = _week_begins(week + WEEK, tz)
        while position < len(ordered) and ordered[position][2] < week_end:
            item_id, status, _ = ordered[position]
            status_by_item[item_id] = status
            position += 1
        statuses = list(status_by_item.values())
        points.append(
            WeekPoint(
                week=week,
                done=statuses.count(DONE),
                skipped=statuses.count(SKIPPED),
            )
        )
        week += WEEK
    return points


@dataclass(frozen=True)
class Chart:
    """The lines in a 100 × 100 box (x from the left, y from the top) that the page
    stretches to its width, and the axis labels, which the page sets as text beside it so
    they keep one size at every width. Week i sits in the middle of the i-th of n equal
    columns, so each week's label can sit in a column of its own under its point."""

    done_points: str  # "x,y x,y …"
    finished_points: str
    y_ticks: list[tuple[int, float]]  # (value, y), evenly spaced, from 0 up
    x_labels: list[tuple[str, bool]]  # per week: (label or "", also shown on a phone)
    dots: list[tuple[float, float, float]]  # (x, y done, y finished)
    empty: bool  # nothing done or skipped yet: the page shows a first step instead


def _nice_top(value: int, ticks: int) -> int:
    """The smallest round axis top (ticks × 1, 2, 5, 10, 20, 50…) at or above value."""
    step = 1
    while step * ticks < value:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if step * ticks >= value:
                break
    return step * ticks


def chart(points: Sequence[WeekPoint], *, y_ticks: int = 4) -> Chart:
    """Scale weekly totals into the plot: x is time, y is items."""
    top_value = _nice_top(max((p.finished for p in points), default=0), y_ticks)

    def x_of(index: int) -> float:
        return round(100 * (index + 0.5) / len(points), 2)

    def y_of(value: int) -> float:
        return round(100 - 100 * value / top_value, 2)

    done = " ".join(f"{x_of(i)},{y_of(p.done)}" for i, p in enumerate(points))
    finished = " ".join(f"{x_of(i)},{y_of(p.finished)}" for i, p in enumerate(points))
    ticks = [(top_value * k // y_ticks, y_of(top_value * k // y_ticks)) for k in range(y_ticks + 1)]
    # Label every week when there are few, else about six labels so they never overlap; a
    # phone shows every other one of those when there are more than three. Counted back
    # from the latest week, which always has its label, so the gaps are even.
    every = max(1, -(-len(points) // 6))
    last = len(points) - 1
    phone_every = every if len(points) <= 3 * every else 2 * every
    labels = [
        (p.week.strftime("%-d %b"), (last - i) % phone_every == 0)
        if (last - i) % every == 0
        else ("", False)
        for i, p in enumerate(points)
    ]
    dots = [(x_of(i), y_of(p.done), y_of(p.finished)) for i, p in enumerate(points)]
    return Chart(
        done_points=done,
        finished_points=finished,
        y_ticks=ticks,
        x_labels=labels,
        dots=dots,
        empty=not any(p.finished for p in points),
    )


@dataclass(frozen=True)
class SectionLayout:
    id: int
    title: str
    item_ids: tuple[int, ...]


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


def percent(part: int, whole: int) -> int:
    """Whole percent, rounded down: 99.6 % shows as 99, never as a misleading 100."""
    if whole <= 0:
        return 0
    return part * 100 // whole
