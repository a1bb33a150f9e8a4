"""Writes of weekly study plans: snapshots, re-planning, the hourly rollover and its digests.

The reads (the plan page, plan status, the digest's content) are in tracker/selectors/plans.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone

from tracker import planning
from tracker.content_cache import bump_learner_version_on_commit
from tracker.models import Progress, RoadmapFollow, User, WeekPlan
from tracker.models.accounts import new_calendar_token
from tracker.selectors.plans import (
    PlanInputs,
    load_plan_inputs,
    this_week_entries,
    weekly_digest,
)

logger = logging.getLogger(__name__)

# A digest goes out only while the week is young, so opting in on a Thursday waits for Monday.
DIGEST_WINDOW = timedelta(hours=24)


# ---- snapshots --------------------------------------------------------------------------------


@transaction.atomic
def save_week_plan(
    *,
    learner: User,
    now: datetime | None = None,
    replace: bool = False,
    inputs: PlanInputs | None = None,
) -> tuple[WeekPlan, bool]:
    """Save the snapshot of the learner's current local week; return it and whether it is new.

    An existing snapshot is kept unless `replace` (the "re-plan this week" button). Two
    concurrent callers cannot both create one: the unique constraint decides.
    """
    now = now or timezone.now()
    start = planning.week_start(now, learner.time_zone)
    existing = WeekPlan.objects.filter(learner=learner, week_start=start).first()
    if existing and not replace:
        return existing, False
    entries = this_week_entries(learner, inputs or load_plan_inputs(learner), now)
    # The dashboard's plan status counts the snapshots.
    bump_learner_version_on_commit(learner.pk)
    if existing:
        existing.entries = entries
        existing.weekly_hours = learner.weekly_hours
        existing.save(update_fields=["entries", "weekly_hours"])
        return existing, False
    try:
        with transaction.atomic():
            snapshot = WeekPlan.objects.create(
                learner=learner,
                week_start=start,
                weekly_hours=learner.weekly_hours,
                entries=entries,
            )
    except IntegrityError:
        return WeekPlan.objects.get(learner=learner, week_start=start), False
    return snapshot, True


def replan_week(*, learner: User, now: datetime | None = None) -> WeekPlan:
    """Replace the learner's current week with a fresh plan from their progress today."""
    snapshot, _ = save_week_plan(learner=learner, now=now, replace=True)
    return snapshot


def ensure_week_snapshot(*, learner: User, now: datetime | None = None) -> list[WeekPlan]:
    """Save this week's snapshot if it does not exist yet and there is something to plan.

    Returns all the learner's snapshots, oldest first, for `plan_view(snapshots=...)`: the plan
    page then reads them once. Queries: snapshots; the first time in a week also the plan's
    inputs and the insert.
    """
    now = now or timezone.now()
    start = planning.week_start(now, learner.time_zone)
    snapshots = list(WeekPlan.objects.for_learner(learner).order_by("week_start"))
    if any(snapshot.week_start == start for snapshot in snapshots):
        return snapshots
    inputs = load_plan_inputs(learner)
    if inputs.items:
        snapshot, _ = save_week_plan(learner=learner, now=now, inputs=inputs)
        snapshots.append(snapshot)
    return snapshots


# ---- weekly digest ----------------------------------------------------------------------------


def send_weekly_digest(*, learner: User, now: datetime | None = None) -> bool:
    """Email the digest (plain text and HTML); False when there is nothing to say."""
    now = now or timezone.now()
    ensure_week_snapshot(learner=learner, now=now)
    digest = weekly_digest(learner=learner, now=now)
    if digest.is_empty:
        return False
    context = {
        "learner": learner,
        "digest": digest,
        "view": digest.view,
        "plan_url": f"{settings.SITE_URL}/plan/",
        "me_url": f"{settings.SITE_URL}/me/",
    }
    subject = f"Your study plan for the week of {digest.view.week_start:%-d %B}"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("email/weekly_digest.txt", context),
        to=[learner.email],
    )
    message.attach_alternative(render_to_string("email/weekly_digest.html", context), "text/html")
    message.send()
    return True


# ---- weekly rollover --------------------------------------------------------------------------


@dataclass
class RolloverResult:
    snapshots_created: int = 0
    digests_sent: int = 0
    digest_failures: int = 0
    due: list[str] = field(default_factory=list)  # dry run: learners whose week has begun


def _planning_learners():
    """Active learners with something to plan: a followed roadmap or any progress."""
    return User.objects.filter(is_active=True).filter(
        Exists(RoadmapFollow.objects.filter(learner=OuterRef("pk")))
        | Exists(Progress.objects.filter(learner=OuterRef("pk")))
    )


def _claim_and_send(learner: User, snapshot_id: int, now: datetime) -> str:
    """Send the week's digest at most once: the marker is claimed before sending."""
    claimed = WeekPlan.objects.filter(pk=snapshot_id, digest_sent_at__isnull=True).update(
        digest_sent_at=now
    )
    if not claimed:
        return "already"
    try:
        send_weekly_digest(learner=learner, now=now)
    except Exception:
        # Give the marker back so the next hourly run retries this learner.
        WeekPlan.objects.filter(pk=snapshot_id).update(digest_sent_at=None)
        logger.exception("weekly digest failed", extra={"learner_id": learner.pk})
        return "failed"
    return "sent"


def make_weekly_plans(*, now: datetime | None = None, dry_run: bool = False) -> RolloverResult:
    """For each learner whose local week has begun without a snapshot, save it, and send
    the weekly digest to those who opted in.

    Idempotent: the (learner, week_start) constraint stops a second snapshot and the
    snapshot's `digest_sent_at` marker stops a second email, so runs may overlap or repeat.
    """
    now = now or timezone.now()
    result = RolloverResult()
    # Every learner's current week starts within a day of today's UTC Monday.
    recent = {
        (learner_id, start): (pk, sent)
        for pk, learner_id, start, sent in WeekPlan.objects.filter(
            week_start__gte=now.date() - timedelta(days=8)
        ).values_list("pk", "learner_id", "week_start", "digest_sent_at")
    }
    for learner in _planning_learners().order_by("pk").iterator():
        start = planning.week_start(now, learner.time_zone)
        known = recent.get((learner.pk, start))
        if dry_run:
            if known is None:
                result.due.append(learner.email)
            continue
        if known is None:
            snapshot, created = save_week_plan(learner=learner, now=now)
            result.snapshots_created += int(created)
            known = (snapshot.pk, snapshot.digest_sent_at)
        week_age = now - planning.week_starts_at(start, learner.time_zone)
        if learner.digest_opt_in and known[1] is None and week_age < DIGEST_WINDOW:
            outcome = _claim_and_send(learner, known[0], now)
            result.digests_sent += outcome == "sent"
            result.digest_failures += outcome == "failed"
    return result


# ---- calendar feed ----------------------------------------------------------------------------


def regenerate_calendar_token(*, learner: User) -> str:
    """Give the learner a new calendar feed token; the old feed URL stops working at once."""
    learner.calendar_token = new_calendar_token()
    learner.save(update_fields=["calendar_token"])
    return learner.calendar_token
