"""Reads for calibrated estimates: learners' finished items as intervals, their pace factors,
and each item's measured hours across learners (the pure rules are in tracker/pace.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from tracker import pace
from tracker.models import ProgressEvent, Status, User

_EVENT_FIELDS = ("learner_id", "item_id", "status", "at", "item__effort_hours", "item__topic")


def _events(queryset) -> dict[int, list[pace.Event]]:
    events = defaultdict(list)
    for learner_id, item_id, status, at, hours, topic, *_ in queryset:
        events[learner_id].append(pace.Event(item_id, status, at, hours, topic))
    return events


def intervals_for(learner_ids: Iterable[int]) -> dict[int, list[pace.Interval]]:
    """Each learner's finished items (start, finish, estimate) by user id: one query."""
    rows = (
        ProgressEvent.objects.filter(learner_id__in=list(learner_ids))
        .order_by("learner_id", "at", "id")
        .values_list(*_EVENT_FIELDS)
    )
    return {
        learner_id: pace.finished_intervals(events) for learner_id, events in _events(rows).items()
    }


def pace_factors(learners: Iterable[User]) -> dict[int, float | None]:
    """Each learner's measured pace factor (None under pace.MIN_FINISHED items): one query."""
    learners = list(learners)
    intervals = intervals_for(learner.pk for learner in learners)
    return {
        learner.pk: pace.learner_pace_factor(intervals.get(learner.pk, ()), learner.weekly_hours)
        for learner in learners
    }


def pace_factor(learner: User) -> float | None:
    return pace_factors([learner])[learner.pk]


@dataclass(frozen=True)
class ItemActuals:
    """What learners who finished an item took on it, inferred (see tracker/pace.py)."""

    learners: int
    median_hours: float | None  # None under pace.MIN_LEARNERS learners

    @property
    def suggested_estimate(self) -> int | None:
        return None if self.median_hours is None else pace.estimate_from(self.median_hours)


def item_actuals(item_ids: Iterable[int]) -> dict[int, ItemActuals]:
    """Each item's median inferred hours across the learners who finished it, in one query.

    A learner's hours on an item depend on everything else they had in progress at the time,
    so every event of each learner who finished one of the items is read, at their weekly hours.
    """
    item_ids = set(item_ids)
    if not item_ids:
        return {}
    finishers = ProgressEvent.objects.filter(item_id__in=item_ids, status=Status.DONE).values(
        "learner_id"
    )
    rows = list(
        ProgressEvent.objects.filter(learner_id__in=finishers)
        .order_by("learner_id", "at", "id")
        .values_list(*_EVENT_FIELDS, "learner__weekly_hours")
    )
    weekly_hours = {row[0]: row[-1] for row in rows}
    samples = defaultdict(list)
    for learner_id, events in _events(rows).items():
        hours = pace.study_hours(pace.finished_intervals(events), weekly_hours[learner_id])
        for item_id in item_ids & hours.keys():
            samples[item_id].append(hours[item_id])
    return {
        item_id: ItemActuals(
            learners=len(samples[item_id]),
            median_hours=pace.median_actual_hours(samples[item_id]),
        )
        for item_id in item_ids
    }
