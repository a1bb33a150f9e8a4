"""Reads of nudges: the learner's dashboard, the mentors' log, and the counts the limits need."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count

from tracker.models import Cohort, Nudge, User


def showing_nudges(learner: User) -> list[Nudge]:
    """The learner's nudges not dismissed yet, newest first, with cohort and mentor (1 query)."""
    return list(Nudge.objects.for_learner(learner).showing().select_related("cohort", "mentor"))


def nudge_log(cohort: Cohort, learner: User) -> list[Nudge]:
    """Every nudge this cohort's mentors sent this learner, newest first (1 query)."""
    return list(Nudge.objects.filter(cohort=cohort, learner=learner).select_related("mentor"))


def cohort_members(cohort: Cohort, learner_ids: set[int]) -> list[User]:
    """The learners among `learner_ids` who are in the cohort, by id."""
    return list(User.objects.filter(memberships__cohort=cohort, pk__in=learner_ids).order_by("pk"))


def recently_nudged(learner_ids: set[int], *, since: datetime) -> set[int]:
    """The learners among `learner_ids` nudged by anyone since `since`."""
    recent = Nudge.objects.filter(learner_id__in=learner_ids, created_at__gt=since)
    return set(recent.values_list("learner_id", flat=True))


def sent_by(mentor: User, *, since: datetime) -> int:
    """How many nudges `mentor` sent since `since`, in every cohort."""
    return Nudge.objects.filter(mentor=mentor, created_at__gt=since).aggregate(n=Count("id"))["n"]
