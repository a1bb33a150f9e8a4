"""A cohort's schedule: its pace, a learner ahead of or behind it, and the dates a plan keeps.

Plain functions over plain data, no ORM. The rules:

- A cohort's schedule is its start date, its finish date (`ends_on`) and, optionally,
  week-by-week target items ("milestones"). Week 1 begins on the start date; week N's items
  are due by its last day, start + 7N - 1.
- Items due by now: with milestones, the milestone items (active ones) whose week has ended
  before today; with a finish date only, total x the elapsed fraction of the days from start
  to finish, rounded down (nobody is behind for a fraction of an item). Without a start date,
  or with neither milestones nor a finish date, there is no pace.
- A learner's pace is their done items of the cohort's roadmap minus the items due by now:
  positive is ahead, negative behind.
- The plan's target: the earliest of the learner's own target and each cohort's finish date
  (its finish date, or with milestones only the last milestone's due day), a cohort's date
  applying to that cohort's items only (the whole roadmap, or the milestone items). A cohort
  whose date has passed sets nothing any more (it is over; the pace column still says how far
  behind). The one the plan reports is the first missed (its items finish after it), else the
  earliest.
- Milestone items come first in a plan, by due date, each after its own remaining
  prerequisites; the rest keep their order.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

# Weeks a schedule may name without a finish date: two years of weekly targets.
MAX_WEEKS = 104
# The schedule's textarea: about 400 lines of "week N: item-slug".
MILESTONES_MAX = 10_000


@dataclass(frozen=True)
class Milestone:
    week: int
    item_id: int


@dataclass(frozen=True)
class Schedule:
    cohort_id: int
    name: str
    roadmap_id: int
    starts_on: date | None = None
    ends_on: date | None = None
    milestones: tuple[Milestone, ...] = ()

    @property
    def has_pace(self) -> bool:
        return self.starts_on is not None and bool(self.milestones or self.ends_on)

    def due_on(self, week: int) -> date:
        """The last day of the cohort's week `week` (week 1 begins on the start date)."""
        assert self.starts_on is not None
        return self.starts_on + timedelta(days=7 * week - 1)

    @property
    def finishes_on(self) -> date | None:
        """The finish date, or with milestones only the last one's due day."""
        if self.ends_on or not self.starts_on or not self.milestones:
            return self.ends_on
        return self.due_on(max(m.week for m in self.milestones))

    def milestones_of(self, active: Collection[int]) -> list[Milestone]:
        """The milestones of items still on the roadmap (an archived item is due no more)."""
        return [m for m in self.milestones if m.item_id in active]


def week_of(starts_on: date, day: date) -> int:
    """The cohort's week number of `day` (0 or less: before the start)."""
    return (day - starts_on).days // 7 + 1


def due_by(schedule: Schedule, *, total: int, active: Collection[int], today: date) -> int | None:
    """How many items of the roadmap the schedule has due by `today` (None: no pace)."""
    if not schedule.has_pace:
        return None
    if schedule.milestones:
        return sum(1 for m in schedule.milestones_of(active) if schedule.due_on(m.week) < today)
    start, end = schedule.starts_on, schedule.ends_on
    if today >= end:
        return total
    if today <= start:
        return 0
    return total * (today - start).days // (end - start).days


@dataclass(frozen=True)
class Pace:
    done: int
    due: int

    @property
    def ahead(self) -> int:
        """Items ahead of the cohort's pace; negative: behind."""
        return self.done - self.due

    @property
    def text(self) -> str:
        n = abs(self.ahead)
        items = f"{n} item{'s' if n != 1 else ''}"
        if self.ahead > 0:
            return f"{items} ahead of the cohort's pace"
        if self.ahead < 0:
            return f"{items} behind the cohort's pace"
        return "On the cohort's pace"

    @property
    def state(self) -> str:
        return "ahead" if self.ahead > 0 else "behind" if self.ahead < 0 else "on-pace"


def pace(
    schedule: Schedule, *, done: int, total: int, active: Collection[int], today: date
) -> Pace | None:
    """The learner's done items of the roadmap against those due by `today` (None: no pace)."""
    due = due_by(schedule, total=total, active=active, today=today)
    return None if due is None else Pace(done=done, due=due)


# ---- the plan's target ------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    day: date
    cohort: str = ""  # the cohort whose date it is; "" for the learner's own target
    item_ids: frozenset[int] | None = None  # the items it applies to; None: every item

    @property
    def is_own(self) -> bool:
        return not self.cohort


def deadlines(
    own: date | None, schedules: Iterable[Schedule], roadmap_items: dict[int, set[int]], today: date
) -> list[Deadline]:
    """The learner's own target and each running cohort's finish, earliest first.

    `roadmap_items`: the plan's item ids by followed roadmap; a cohort whose roadmap is not
    followed plans nothing, so sets nothing.
    """
    found = [Deadline(own)] if own else []
    for schedule in schedules:
        finish = schedule.finishes_on
        items = roadmap_items.get(schedule.roadmap_id)
        if finish is None or finish < today or not items:
            continue
        if not schedule.ends_on:
            items = items & {m.item_id for m in schedule.milestones}
        found.append(Deadline(finish, cohort=schedule.name, item_ids=frozenset(items)))
    return sorted(found, key=lambda d: (d.day, not d.is_own, d.cohort))


def binding(
    found: list[tuple[Deadline, date | None]], today: date
) -> tuple[Deadline, date | None] | None:
    """The deadline a plan reports, with the day its items finish: the first missed (passed,
    or finishing after it), else the earliest. `found` earliest first, as `deadlines` gives."""
    for deadline, finish in found:
        if deadline.day < today or (finish is not None and finish > deadline.day):
            return deadline, finish
    return found[0] if found else None


# ---- milestones in the plan -------------------------------------------------------------------


@dataclass(frozen=True)
class DueItem:
    """A milestone item as a plan shows it: due by `due_on`, week `week` of `cohort`."""

    item_id: int
    due_on: date
    week: int
    cohort: str
    title: str = ""


@dataclass
class MilestonePlan:
    due: dict[int, DueItem] = field(default_factory=dict)  # by item id, the earliest

    def due_by(self, day: date, open_ids: Collection[int]) -> list[DueItem]:
        """Open items due on or before `day`, earliest first."""
        return sorted(
            (d for d in self.due.values() if d.due_on <= day and d.item_id in open_ids),
            key=lambda d: (d.due_on, d.item_id),
        )


def milestone_plan(schedules: Iterable[Schedule], active: Collection[int]) -> MilestonePlan:
    """Each milestone item's earliest due day over the learner's cohorts."""
    result = MilestonePlan()
    for schedule in schedules:
        if schedule.starts_on is None:
            continue
        for m in schedule.milestones_of(active):
            due = DueItem(m.item_id, schedule.due_on(m.week), m.week, schedule.name)
            if m.item_id not in result.due or due.due_on < result.due[m.item_id].due_on:
                result.due[m.item_id] = due
    return result


def milestones_first(
    order: list[int], prerequisites: dict[int, tuple[int, ...]], due: dict[int, date]
) -> list[int]:
    """`order` (item ids) with the `due` items first, by due day, each after its remaining
    prerequisites among `order` (in their own order); the rest keep their places."""
    if not due:
        return order
    position = {item_id: index for index, item_id in enumerate(order)}
    placed: dict[int, None] = {}

    def place(item_id: int, path: frozenset) -> None:
        if item_id in placed or item_id in path:  # in path: a prerequisite cycle (bad data)
            return
        needs = sorted(
            (p for p in prerequisites.get(item_id, ()) if p in position), key=position.get
        )
        for needed in needs:
            place(needed, path | {item_id})
        placed[item_id] = None

    for item_id in sorted((i for i in order if i in due), key=lambda i: (due[i], position[i])):
        place(item_id, frozenset())
    return [*placed, *(i for i in order if i not in placed)]


# ---- the schedule's text ----------------------------------------------------------------------

_LINE = re.compile(r"^\s*week\s+(\d{1,4})\s*:\s*([-\w]+)\s*$", re.IGNORECASE)


def parse_milestones(text: str) -> tuple[list[tuple[int, int, str]], list[str]]:
    """ "week N: item-slug" lines → (line number, week, slug) and problems, one per bad line.

    Blank lines and lines starting with # are skipped."""
    found, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            problems.append(
                f"Line {number}: write “week N: item-slug”, such as “week 2: tokenization”."
            )
            continue
        found.append((number, int(match[1]), match[2].lower()))
    return found, problems


def milestone_lines(milestones: Iterable[tuple[int, str]]) -> str:
    """(week, slug) pairs back into the textarea's text."""
    return "\n".join(f"week {week}: {slug}" for week, slug in milestones)
