"""A learner's pace factor: how their actual hours compare with the estimates. No ORM here.

Nobody logs hours, so "actual" is inferred from what the product does know: when an item was
started (set in progress) and when it was finished (set done), and the learner's weekly hours.
Time between the two is study time at the learner's weekly rate, shared equally among the items
in progress at the same moment. It is an estimate and pages say so.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

# Fewer finished items than this say more about the items than about the learner.
MIN_FINISHED = 3
# A factor outside these bounds is more likely a holiday or a forgotten tick than a pace.
LOWEST = 0.5
HIGHEST = 3.0

SECONDS_PER_WEEK = 7 * 24 * 3600


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
    # A sweep over start and end points: between two consecutive points the set of open items
    # is fixed, and that stretch's study time is split among them.
    points = sorted({i.started for i in intervals} | {i.finished for i in intervals})
    hours = {i.item_id: 0.0 for i in intervals}
    for left, right in itertools.pairwise(points):
        open_items = [i.item_id for i in intervals if i.started <= left and i.finished >= right]
        if not open_items:
            continue
        share = (right - left).total_seconds() * rate / len(open_items)
        for item_id in open_items:
            hours[item_id] += share
    return hours


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


def describe(factor: float | None) -> str:
    """The plan's one-line explanation, honest about where the number comes from."""
    if factor is None:
        return (
            f"Your plan uses the roadmap's estimates. After {MIN_FINISHED} items you start and "
            "finish here, it can adjust them to your pace."
        )
    return (
        f"You take about {factor:.1f}× the estimates, judging by the time between starting and "
        "finishing your items at your weekly hours. Your remaining plan is scaled by it."
    )
