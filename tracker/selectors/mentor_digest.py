"""Reads for the weekly mentor digest: what changed in each of a mentor's cohorts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings

from tracker.at_risk import RECENT_DAYS
from tracker.models import Cohort, SubmissionState, User
from tracker.selectors import project_reviews
from tracker.selectors.cohort_dashboard import member_flags
from tracker.selectors.cohorts import section_columns


@dataclass(frozen=True)
class LearnerLink:
    name: str
    url: str  # absolute: it goes out in an email


@dataclass
class CohortChanges:
    cohort: Cohort
    url: str
    members: int
    at_risk: int  # now, newly or not
    newly_at_risk: list[LearnerLink] = field(default_factory=list)
    finished: list[LearnerLink] = field(default_factory=list)


@dataclass
class MentorDigestContent:
    cohorts: list[CohortChanges]
    awaiting_review: int
    # What the next week's digest compares with (MentorDigest.state).
    state: dict

    @property
    def is_empty(self) -> bool:
        """Nothing new and nothing waiting: no email that week."""
        return not self.awaiting_review and not any(
            c.newly_at_risk or c.finished for c in self.cohorts
        )


def pending_review_count(mentor: User) -> int:
    """Project submissions waiting for this mentor's review, over their cohorts: the number
    the menu's "Reviews (n)" shows (selectors.project_reviews)."""
    return project_reviews.visible_to(mentor).filter(state=SubmissionState.PENDING).count()


def mentor_digest(mentor: User, *, now: datetime, previous: dict | None) -> MentorDigestContent:
    """Each cohort the mentor runs: who is at risk now and was not at the `previous` digest
    (its `state`), and who finished the cohort's roadmap since then.

    Without a previous digest (the mentor's first), everyone at risk is new, and "finished"
    means finished with their last change in the past week. Queries: the cohorts, then 2 a
    cohort (its sections, its members' flags), then the reviews' count.
    """
    cohorts = list(Cohort.objects.mentored_by(mentor).select_related("roadmap").order_by("name"))
    state, changes = {}, []
    week_ago = now - timedelta(days=RECENT_DAYS)
    for cohort in cohorts:
        flags = member_flags(cohort, section_columns(cohort), now=now)
        before = (previous or {}).get(str(cohort.pk))
        was_at_risk = set(before["at_risk"]) if before else set()
        if before:
            was_finished = set(before["finished"])
        else:
            was_finished = {
                f.learner_id for f in flags if not f.last_active or f.last_active < week_ago
            }
        base = f"{settings.SITE_URL}{cohort.get_absolute_url()}"
        changes.append(
            CohortChanges(
                cohort=cohort,
                url=base,
                members=len(flags),
                at_risk=sum(f.at_risk for f in flags),
                newly_at_risk=[
                    LearnerLink(f.name, f"{base}learners/{f.learner_id}/")
                    for f in flags
                    if f.at_risk and f.learner_id not in was_at_risk
                ],
                finished=[
                    LearnerLink(f.name, f"{base}learners/{f.learner_id}/")
                    for f in flags
                    if f.finished and f.learner_id not in was_finished
                ],
            )
        )
        state[str(cohort.pk)] = {
            "at_risk": [f.learner_id for f in flags if f.at_risk],
            "finished": [f.learner_id for f in flags if f.finished],
        }
    return MentorDigestContent(
        cohorts=changes, awaiting_review=pending_review_count(mentor), state=state
    )
