"""The study-plan algorithm: remaining items in, week-by-week buckets out.

Pure functions over plain dataclasses, no ORM, so it is tested with hypothesis.

Rules (the contract the plan page, the digest and the calendar feed rely on):

- Weeks start on Monday 00:00 in the learner's time zone. `today` may be a date (already
  local) or an aware datetime (converted to the learner's zone first).
- The current week gets the learner's full weekly budget, whatever the weekday: the week's
  snapshot is normally taken on Monday, and a learner who starts on Thursday would rather see
  a full week of work than a third of an item.
- Hours are whole numbers. An in-progress item counts half its estimate as done, the done
  half rounded down: an 8 h item in progress has 4 h left, a 5 h item 3 h, a 1 h item 1 h
  (`remaining = estimate - estimate // 2`). `already_planned` hours (the
  part of the item already scheduled in a fixed, earlier week) come off what is left.
- Done and skipped items are left out; so is an item with nothing left to plan.
- Items keep roadmap order except where a prerequisite that is itself still remaining comes
  later: then the dependant waits until the prerequisite is fully scheduled (a stable
  topological sort preferring roadmap order). Prerequisite ids that are not among the
  remaining items are treated as finished. A prerequisite cycle (bad data) cannot be
  honoured; the cycle's items are then placed in roadmap order rather than dropped.
- Items are laid out one after another and split over consecutive weeks where a week's
  budget runs out, so every week but the last is exactly full. An entry says whether it
  continues from last week and whether it continues next week.
- A shared topic (items of several roadmaps, or of one, with the same `topic`) is one piece
  of work, scheduled once (`one_per_topic`): at its first item in the given order, which is
  the first followed roadmap that has it, with the largest estimate of its items, waiting
  for the prerequisites of all of them. Its other items are left out of the plan.
- The projected finish is the day the last hour falls on, assuming a week's hours are spread
  evenly over its seven days, and never before today.
- Review time (`review_hours`, by Monday: spaced review of finished concepts, worked out in
  tracker/reviews.py) comes out of a week's budget before new work is laid out, always leaving
  at least one hour for new work, so a week's new work plus its reviews never exceeds
  `weekly_hours`. The projected finish and the hours a target needs count those weeks short.
"""

from __future__ import annotations

import heapq
import math
import zoneinfo
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
DONE = "done"
SKIPPED = "skipped"
FINISHED = frozenset({DONE, SKIPPED})


class PlanState(StrEnum):
    """Where a learner stands against their study plan: the one definition every page uses."""

    ON_TRACK = "on_track"
    BEHIND = "behind"
    NO_PLAN = "no_plan"
    NO_TARGET = "no_target"
    UNREACHABLE = "unreachable"
    FINISHED = "finished"

    @property
    def label(self) -> str:
        return _PLAN_STATE_LABELS[self]


_PLAN_STATE_LABELS = {
    PlanState.ON_TRACK: "On track",
    PlanState.BEHIND: "Behind",
    PlanState.NO_PLAN: "No plan",
    PlanState.NO_TARGET: "No target",
    PlanState.UNREACHABLE: "Target unreachable",
    PlanState.FINISHED: "Finished",
}

# Pace counts the hours of items done over this many recent weeks.
PACE_WEEKS = 4

# The weekly budget is 1-60 h on the user model; hours needed for a target may exceed it.
MAX_WEEKLY_HOURS = 60


@dataclass(frozen=True)
class PlanItem:
    id: int
    title: str
    hours: int
    prerequisites: tuple[int, ...] = ()
    status: str = NOT_STARTED
    already_planned: int = 0
    topic: str = ""

    @property
    def remaining_hours(self) -> int:
        if self.status in FINISHED:
            return 0
        left = self.hours - self.hours // 2 if self.status == IN_PROGRESS else self.hours
        return max(0, left - self.already_planned)


@dataclass(frozen=True)
class PlanEntry:
    item_id: int
    title: str
    hours: int
    continues_from_previous: bool = False
    continues_next: bool = False


@dataclass(frozen=True)
class Week:
    start: date  # a Monday, in the learner's time zone
    entries: tuple[PlanEntry, ...]
    time_zone: str = "UTC"
    review_hours: int = 0  # reserved for spaced review, out of the weekly hours

    @property
    def end(self) -> date:
        """The Sunday that closes the week."""
        return self.start + timedelta(days=6)

    @property
    def hours(self) -> int:
        return sum(entry.hours for entry in self.entries)

    @property
    def starts_at(self) -> datetime:
        return week_starts_at(self.start, self.time_zone)


@dataclass(frozen=True)
class TargetStatus:
    target_date: date
    met: bool
    # Met: days to spare between the projected finish and the target.
    spare_days: int = 0
    # Not met: the whole weekly hours that would meet it; None when no budget can (the
    # target is already past).
    hours_needed: int | None = None


@dataclass(frozen=True)
class Plan:
    weeks: tuple[Week, ...]
    weekly_hours: int
    total_hours: int
    projected_finish: date | None
    target: TargetStatus | None = None
    order: tuple[int, ...] = field(default=(), repr=False)

    @property
    def is_empty(self) -> bool:
        return not self.weeks


def local_date(today: date | datetime, time_zone: str) -> date:
    if isinstance(today, datetime):
        if today.tzinfo is None:
            raise ValueError("today must be a date or an aware datetime")
        return today.astimezone(zoneinfo.ZoneInfo(time_zone)).date()
    return today


def week_start(today: date | datetime, time_zone: str = "UTC") -> date:
    """The Monday of the learner's current local week."""
    day = local_date(today, time_zone)
    return day - timedelta(days=day.weekday())


def week_starts_at(monday: date, time_zone: str) -> datetime:
    """Monday 00:00 in the learner's zone, as an aware datetime."""
    return datetime.combine(monday, time.min, tzinfo=zoneinfo.ZoneInfo(time_zone))


def one_per_topic(items: list[PlanItem]) -> list[PlanItem]:
    """Each shared topic once, at its first item, with its items' largest estimate.

    Prerequisites naming a left-out twin name the kept item instead, the kept item waits for
    every twin's prerequisites, and hours already planned for any twin count for it.
    """
    kept: dict[str, PlanItem] = {}
    alias: dict[int, int] = {}
    for item in items:
        if item.topic:
            alias[item.id] = kept.setdefault(item.topic, item).id
    twins: dict[int, list[PlanItem]] = {}
    for item in items:
        twins.setdefault(alias.get(item.id, item.id), []).append(item)
    result = []
    for item in items:
        if alias.get(item.id, item.id) != item.id:
            continue
        group = twins[item.id]
        needs = (alias.get(p, p) for twin in group for p in twin.prerequisites)
        result.append(
            replace(
                item,
                hours=max(twin.hours for twin in group),
                prerequisites=tuple(dict.fromkeys(p for p in needs if p != item.id)),
                already_planned=max(twin.already_planned for twin in group),
            )
        )
    return result


def study_order(items: list[PlanItem]) -> list[PlanItem]:
    """Roadmap order, except that a dependant never precedes a remaining prerequisite."""
    position = {item.id: index for index, item in enumerate(items)}
    waiting_on: dict[int, set[int]] = {}
    dependants: dict[int, list[int]] = {item.id: [] for item in items}
    for item in items:
        prerequisites = {p for p in item.prerequisites if p in position and p != item.id}
        waiting_on[item.id] = prerequisites
        for prerequisite in prerequisites:
            dependants[prerequisite].append(item.id)
    ready = [position[item.id] for item in items if not waiting_on[item.id]]
    heapq.heapify(ready)
    ordered: list[PlanItem] = []
    placed: set[int] = set()
    while len(ordered) < len(items):
        if not ready:
            # A cycle: release its earliest item so nothing is silently dropped.
            stuck = min(position[i] for i in waiting_on if i not in placed)
            waiting_on[items[stuck].id] = set()
            ready.append(stuck)
        index = heapq.heappop(ready)
        item = items[index]
        if item.id in placed:
            continue
        placed.add(item.id)
        ordered.append(item)
        for dependant in dependants[item.id]:
            waiting_on[dependant].discard(item.id)
            if not waiting_on[dependant] and dependant not in placed:
                heapq.heappush(ready, position[dependant])
    return ordered


def _reserved(weekly_hours: int, review_hours: Mapping[date, int] | None, monday: date) -> int:
    """The week's review hours, leaving at least one hour of the week for new work."""
    if not review_hours:
        return 0
    return max(0, min(review_hours.get(monday, 0), weekly_hours - 1))


def _finish_date(
    first_monday: date,
    total: int,
    weekly_hours: int,
    today: date,
    review_hours: Mapping[date, int] | None = None,
) -> date | None:
    if total <= 0:
        return None
    if review_hours:
        # Weeks of different lengths: walk them (as many steps as weeks, at most `total`).
        monday, left = first_monday, total
        while left > (room := weekly_hours - _reserved(weekly_hours, review_hours, monday)):
            left -= room
            monday += timedelta(days=7)
        return max(monday + timedelta(days=math.ceil(7 * left / room) - 1), today)
    weeks = math.ceil(total / weekly_hours)
    last_week_hours = total - (weeks - 1) * weekly_hours
    day_in_week = math.ceil(7 * last_week_hours / weekly_hours) - 1
    finish = first_monday + timedelta(days=7 * (weeks - 1) + day_in_week)
    return max(finish, today)


def finish_of(plan: Plan, item_ids: Collection[int], *, today: date) -> date | None:
    """The day `plan` is due to finish the last of `item_ids` (None: it plans none of them).

    Days are counted as `projected_finish` counts them, so for every planned item this is the
    plan's own projected finish; for a subset, such as one roadmap of several, it can be earlier.
    """
    finish = None
    for week in plan.weeks:
        used = 0
        for entry in week.entries:
            used += entry.hours
            if entry.item_id in item_ids and not entry.continues_next:
                room = plan.weekly_hours - week.review_hours
                day_in_week = math.ceil(7 * used / room) - 1
                finish = week.start + timedelta(days=day_in_week)
    return max(finish, today) if finish else None


def _target_status(
    target: date,
    first_monday: date,
    total: int,
    weekly_hours: int,
    today: date,
    review_hours: Mapping[date, int] | None = None,
) -> TargetStatus:
    # Review time stays what it is at any budget tried (more hours never finish later).
    reviews = review_hours or {}

    def finish_at(budget: int) -> date | None:
        return _finish_date(first_monday, total, budget, today, reviews)

    finish = finish_at(weekly_hours)
    if finish is None or finish <= target:
        spare = (target - finish).days if finish else (target - today).days
        return TargetStatus(target_date=target, met=True, spare_days=max(0, spare))
    if target < today:
        return TargetStatus(target_date=target, met=False, hours_needed=None)
    # More hours never finish later, so the smallest sufficient budget is a binary search;
    # 7 * total hours a week (beyond any review time) finish on this week's Monday, i.e.
    # today at the latest.
    most_reserved = max(reviews.values(), default=0)
    low, high = weekly_hours + 1, max(7 * total + most_reserved, weekly_hours + 1)
    while low < high:
        middle = (low + high) // 2
        if finish_at(middle) <= target:
            high = middle
        else:
            low = middle + 1
    needed = low if finish_at(low) <= target else None
    return TargetStatus(target_date=target, met=False, hours_needed=needed)


def projected_finish(
    items: list[PlanItem], *, weekly_hours: int, time_zone: str = "UTC", today: date | datetime
) -> date | None:
    """`make_plan(...).projected_finish` without laying out the weeks: the finish depends on
    the hours left only, not on their order (for status tables that show nothing else)."""
    local_today = local_date(today, time_zone)
    total = sum(item.remaining_hours for item in items)
    return _finish_date(week_start(local_today), total, weekly_hours, local_today)


def make_plan(
    items: list[PlanItem],
    *,
    weekly_hours: int,
    time_zone: str = "UTC",
    today: date | datetime,
    target_date: date | None = None,
    review_hours: Mapping[date, int] | None = None,
) -> Plan:
    """Lay the remaining `items` (given in roadmap order) out over weeks of `weekly_hours`,
    less each week's `review_hours` (by Monday)."""
    if weekly_hours < 1:
        raise ValueError("weekly_hours must be at least 1")
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError("each item may appear only once")
    local_today = local_date(today, time_zone)
    first_monday = week_start(local_today)
    remaining = [item for item in items if item.remaining_hours > 0]
    ordered = study_order(remaining)

    weeks: list[Week] = []
    entries: list[PlanEntry] = []
    used = 0
    monday = first_monday
    reserved = _reserved(weekly_hours, review_hours, monday)
    for item in ordered:
        left = item.remaining_hours
        # Hours planned in an earlier fixed week mean this item carries on from there.
        started = item.already_planned > 0
        while left > 0:
            if used == weekly_hours - reserved:
                weeks.append(
                    Week(monday, tuple(entries), time_zone=time_zone, review_hours=reserved)
                )
                entries, used, monday = [], 0, monday + timedelta(days=7)
                reserved = _reserved(weekly_hours, review_hours, monday)
            take = min(left, weekly_hours - reserved - used)
            left -= take
            used += take
            entries.append(
                PlanEntry(
                    item_id=item.id,
                    title=item.title,
                    hours=take,
                    continues_from_previous=started,
                    continues_next=left > 0,
                )
            )
            started = True
    if entries:
        weeks.append(Week(monday, tuple(entries), time_zone=time_zone, review_hours=reserved))

    total = sum(item.remaining_hours for item in ordered)
    target = (
        _target_status(target_date, first_monday, total, weekly_hours, local_today, review_hours)
        if target_date
        else None
    )
    return Plan(
        weeks=tuple(weeks),
        weekly_hours=weekly_hours,
        total_hours=total,
        projected_finish=_finish_date(first_monday, total, weekly_hours, local_today, review_hours),
        target=target,
        order=tuple(item.id for item in ordered),
    )


def plan_state(
    *,
    has_items: bool,
    open_items: int,
    target_date: date | None,
    projected_finish: date | None,
    today: date,
    shortfall: int,
    weekly_hours: int,
) -> PlanState:
    """The learner's one status, first rule that applies.

    No plan (nothing followed to plan); finished (nothing left open); no target; target
    unreachable (passed, or the projected finish is after it); behind (more than a week's
    budget short of the hours planned for past weeks); else on track.
    """
    if not has_items:
        return PlanState.NO_PLAN
    if open_items == 0:
        return PlanState.FINISHED
    if target_date is None:
        return PlanState.NO_TARGET
    if target_date < today or (projected_finish is not None and projected_finish > target_date):
        return PlanState.UNREACHABLE
    if shortfall > weekly_hours:
        return PlanState.BEHIND
    return PlanState.ON_TRACK


def recent_pace(done: Collection[tuple[datetime, int]], *, now: datetime) -> int:
    """Whole hours a week done over the last PACE_WEEKS weeks (item estimates, done only)."""
    since = now - timedelta(weeks=PACE_WEEKS)
    return round(sum(hours for at, hours in done if at >= since) / PACE_WEEKS)


def next_up_order(this_week: list[int], plan_order: tuple[int, ...], *, limit: int) -> tuple:
    """The plan's own order: this week's open items, then the weeks after, each item once."""
    return tuple(dict.fromkeys([*this_week, *plan_order]))[:limit]
