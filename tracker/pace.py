"""A learner's pace factor: how their actual hours compare with the estimates. No ORM here.

Nobody logs hours, so "actual" is inferred from what the product does know: when an item was
started (set in progress) and when it was finished (set done), and the learner's weekly hours.
Time between the two is study time at the learner's weekly rate, shared equally among the items
in progress at the same moment. It is an estimate and pages say so.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

# Fewer finished items than this say more about the items than about the learner.
MIN_FINISHED = 3
# A factor outside these bounds is more likely a holiday or a forgotten tick than a pace.
LOWEST = 0.5
HIGHEST = 3.0

SECONDS_PER_WEEK = 7 * 24 * 3600

# An item's measured median is shown to admins from this many learners on: fewer are anecdotes.
MIN_LEARNERS = 5
# Item.effort_hours is a small integer column.
MAX_ESTIMATE = 32767

# The statuses, as in tracker.models.Status (no ORM here).
NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
DONE = "done"


@dataclass(frozen=True)
class Interval:
    """One finished item: when work on it started and ended, and its estimate."""

    item_id: int
    started: datetime
    finished: datetime
    estimated_hours: int


def study_hours(intervals: Iterable[Interval], weekly_hours: int) -> dict[int, float]:
    """Each item's inferred study hours, sharing overlapping time equally among items."""
    intervals = [i for i in intervals if i.finished > i.started]
    rate = max(0, weekly_hours) / SECONDS_PER_WEEK  # hours of study per second of calendar
    starting, ending = defaultdict(list), defaultdict(list)
    for i in intervals:
        starting[i.started].append(i.item_id)
        ending[i.finished].append(i.item_id)
    # A sweep over start and end points: between two consecutive points the set of open items
    # is fixed, and that stretch's study time is split among them. Only the open items are
    # visited, so years of history cost little more than their number of events.
    points = sorted(starting.keys() | ending.keys())
    hours = {i.item_id: 0.0 for i in intervals}
    open_items: Counter[int] = Counter()
    for left, right in itertools.pairwise(points):
        open_items.subtract(ending.get(left, ()))
        open_items.update(starting.get(left, ()))
        open_items = +open_items  # drop the items that ended
        count = open_items.total()
        if not count:
            continue
        share = (right - left).total_seconds() * rate / count
        for item_id, times in open_items.items():
            hours[item_id] += share * times
    return hours


@dataclass(frozen=True)
class Event:
    """One status change of a learner's, with the item's estimate and shared topic."""

    item_id: int
    status: str
    at: datetime
    estimated_hours: int
    topic: str = ""


def finished_intervals(events: Iterable[Event]) -> list[Interval]:
    """The learner's finished items, each from its latest "in progress" to its last "done".

    An item done without being started first says nothing about time and is left out; so is
    one reopened since (no longer done). "Not started" forgets the start. A shared topic's
    items are one piece of work: started on one roadmap and finished on another still counts.
    """
    started: dict[object, datetime] = {}
    finished: dict[object, Interval] = {}
    for event in sorted(events, key=lambda e: e.at):
        key = event.topic or event.item_id
        if event.status == DONE:
            if key in started:
                finished[key] = Interval(
                    event.item_id, started[key], event.at, event.estimated_hours
                )
            continue
        finished.pop(key, None)
        if event.status == IN_PROGRESS:
            started[key] = event.at
        elif event.status == NOT_STARTED:
            started.pop(key, None)
    return list(finished.values())


def pace_factor(samples: Iterable[tuple[int, float]]) -> float | None:
    """The median of actual/estimated hours, bounded; None until MIN_FINISHED items count.

    `samples` are (estimated hours, actual hours) of finished items. Items estimated at zero
    hours carry no information about pace and are left out.
    """
    ratios = [actual / estimated for estimated, actual in samples if estimated > 0]
    if len(ratios) < MIN_FINISHED:
        return None
    return min(HIGHEST, max(LOWEST, statistics.median(ratios)))


def learner_pace_factor(intervals: Iterable[Interval], weekly_hours: int) -> float | None:
    intervals = list(intervals)
    actual = study_hours(intervals, weekly_hours)
    return pace_factor(
        (i.estimated_hours, actual[i.item_id]) for i in intervals if i.item_id in actual
    )


def scaled_hours(estimated_hours: int, factor: float | None) -> int:
    """An item's remaining-plan hours after the pace factor: whole hours, never below one."""
    if factor is None or estimated_hours <= 0:
        return estimated_hours
    return max(1, round(estimated_hours * factor))


def times(factor: float) -> str:
    """ "1.3×": how every page writes a factor, so they all round it alike."""
    return f"{factor:.1f}×"


def describe(factor: float | None, *, applied: bool = True) -> str:
    """The plan's one-line explanation, honest about where the number comes from.

    `applied` says whether the learner's plan uses the factor (they can turn it off)."""
    if factor is None:
        return (
            f"Your plan uses the roadmap's estimates. After {MIN_FINISHED} items you start and "
            "finish here, it can adjust them to your pace."
        )
    measured = (
        f"You take about {times(factor)} the estimates, judging by the time between starting and "
        "finishing your items at your weekly hours."
    )
    if applied:
        return f"{measured} Your remaining plan is scaled by it."
    return f"{measured} Your plan uses the roadmap's estimates, as you chose."


def short_note(factor: float | None) -> str:
    """The status line's reminder that a plan's hours are scaled (empty when they are not)."""
    if factor is None:
        return ""
    return f"Plan hours are scaled to your pace: about {times(factor)} the estimates."


def median_actual_hours(samples: Iterable[float]) -> float | None:
    """The median of learners' inferred hours on one item; None under MIN_LEARNERS learners."""
    samples = list(samples)
    if len(samples) < MIN_LEARNERS:
        return None
    return statistics.median(samples)


def estimate_from(median: float) -> int:
    """The whole-hour estimate an admin adopts from a measured median: at least one hour."""
    return min(MAX_ESTIMATE, max(1, round(median)))
