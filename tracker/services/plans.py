"""Writes of weekly study plans: snapshots, re-planning, the hourly rollover and its digests.

The reads (the plan page, plan status, the digest's content) are in tracker/selectors/plans.py.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone

from tracker import page_cache, planning
from tracker.models import RoadmapFollow, User, WeekPlan
from tracker.models.accounts import new_calendar_token
from tracker.selectors.plans import (
    PlanInputs,
    is_worked_through,
    load_plan_inputs,
    load_plan_inputs_for,
    more_work_entries,
    this_week_plan,
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
    planned = this_week_plan(learner, inputs or load_plan_inputs(learner), now)
    if existing:
        for name, value in planned.items():
            setattr(existing, name, value)
        existing.save(update_fields=list(planned))
        return existing, False
    try:
        with transaction.atomic():
            snapshot = WeekPlan.objects.create(learner=learner, week_start=start, **planned)
    except IntegrityError:
        return WeekPlan.objects.get(learner=learner, week_start=start), False
    return snapshot, True


def replan_week(*, learner: User, now: datetime | None = None) -> WeekPlan:
    """Replace the learner's current week with a fresh plan from their progress today."""
    snapshot, _ = save_week_plan(learner=learner, now=now, replace=True)
    return snapshot


@transaction.atomic
def pull_in_work(*, learner: User, now: datetime | None = None) -> int:
    """Add the plan's next week's worth of items to this week's list; return how many.

    Only once the week's list is worked through (done or skipped), so a repeated click adds
    nothing more; the entries already there stay as they were.
    """
    now = now or timezone.now()
    start = planning.week_start(now, learner.time_zone)
    snapshot = (
        WeekPlan.objects.select_for_update().filter(learner=learner, week_start=start).first()
    )
    if snapshot is None:
        return 0
    inputs = load_plan_inputs(learner)
    if not is_worked_through(inputs, snapshot.entries):
        return 0
    extra = more_work_entries(learner, inputs, snapshot.entries, now)
    if extra:
        snapshot.entries = [*snapshot.entries, *extra]
        snapshot.save(update_fields=["entries"])
    return len(extra)


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
        "review_url": f"{settings.SITE_URL}/review/",
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

# Learners per chunk task: a chunk's queries are few whatever its size, so larger chunks cost
# less per learner; 500 keeps a retried chunk's lost work under a second.
CHUNK_SIZE = 500


@dataclass(frozen=True)
class Chunk:
    """Learner ids from `first_id` to `last_id` in time zones whose current week has the same
    Monday: one task's share of the rollover (JSON-friendly, for a Celery message)."""

    first_id: int
    last_id: int
    time_zones: list[str]


@dataclass
class ChunkResult:
    snapshots_created: int = 0
    digest_snapshot_ids: list[int] = field(default_factory=list)  # digests now due


@dataclass
class RolloverResult:
    snapshots_created: int = 0
    digests_sent: int = 0
    digest_failures: int = 0
    due: list[str] = field(default_factory=list)  # dry run: learners whose week has begun


def _planning_learners():
    """Active learners with something to plan: a followed roadmap (there is no implicit one;
    progress on a roadmap follows it)."""
    return User.objects.filter(is_active=True).filter(
        Exists(RoadmapFollow.objects.filter(learner=OuterRef("pk")))
    )


def _zone_groups(now: datetime) -> list[list[str]]:
    """Learners' time zones, grouped so that a group's zones share their current week's Monday
    and whether that week is still young enough for the digest."""
    groups = defaultdict(list)
    zones = User.objects.filter(is_active=True).order_by("time_zone").distinct()
    for zone in zones.values_list("time_zone", flat=True):
        start = planning.week_start(now, zone)
        young = now - planning.week_starts_at(start, zone) < DIGEST_WINDOW
        groups[start, young].append(zone)
    return list(groups.values())


def _week_of(now: datetime, time_zones: list[str]) -> tuple[date, bool]:
    """The group's current Monday and whether its digest window is open."""
    start = planning.week_start(now, time_zones[0])
    return start, now - planning.week_starts_at(start, time_zones[0]) < DIGEST_WINDOW


def _due_learners(now: datetime, time_zones: list[str]):
    """Learners in these zones whose week has no snapshot yet or, while the week is young and
    they opted in, no digest yet; annotated with `planned` (the snapshot exists)."""
    start, young = _week_of(now, time_zones)
    this_week = WeekPlan.objects.filter(learner=OuterRef("pk"), week_start=start)
    due = ~Exists(this_week)
    if young:
        due |= Q(digest_opt_in=True) & Exists(this_week.filter(digest_sent_at__isnull=True))
    return (
        _planning_learners()
        .filter(time_zone__in=time_zones)
        .filter(due)
        .annotate(planned=Exists(this_week))
    )


def due_chunks(*, now: datetime, size: int | None = None) -> Iterator[Chunk]:
    """The rollover's work in chunks of up to `size` due learners, never one per learner.

    One query per chunk (keyset pagination over ids), so the hourly task stays cheap however
    many learners there are.
    """
    size = size or CHUNK_SIZE
    for zones in _zone_groups(now):
        due = _due_learners(now, zones).order_by("pk").values_list("pk", flat=True)
        last = 0
        while ids := list(due.filter(pk__gt=last)[:size]):
            yield Chunk(first_id=ids[0], last_id=ids[-1], time_zones=zones)
            last = ids[-1]


@transaction.atomic
def plan_chunk(*, chunk: Chunk, now: datetime) -> ChunkResult:
    """Save this week's snapshot for the chunk's due learners; return the snapshots whose
    digest is due.

    Snapshots are the same as `save_week_plan` saves. Safe to retry or overlap: learners
    planned meanwhile are no longer due, the (learner, week_start) constraint keeps one
    snapshot, and overlapping runs skip each other's locked learners (a learner locked by any
    other write is left to the next hourly run). Queries, whatever the
    chunk's size: the learners (locked), the plan inputs (`load_plan_inputs_for`: 6), the
    insert, the digests due (only while the week is young).
    """
    start, young = _week_of(now, chunk.time_zones)
    learners = list(
        _due_learners(now, chunk.time_zones)
        .filter(pk__range=(chunk.first_id, chunk.last_id))
        .only("pk", "time_zone", "weekly_hours", "digest_opt_in", "use_pace_factor")
        .order_by("pk")
        .select_for_update(skip_locked=True, of=("self",))
    )
    if not learners:
        return ChunkResult()
    to_plan = [learner for learner in learners if not learner.planned]
    inputs = load_plan_inputs_for(to_plan)
    WeekPlan.objects.bulk_create(
        [
            WeekPlan(
                learner=learner,
                week_start=start,
                **this_week_plan(learner, inputs[learner.pk], now),
            )
            for learner in to_plan
        ],
        # A visit to /plan/ may have saved one meanwhile: the constraint decides, as ever
        # (that rare learner is still counted as created below).
        ignore_conflicts=True,
    )
    # A bulk insert sends no signals; the dashboard's plan status counts the snapshots.
    page_cache.invalidate(learners=[learner.pk for learner in to_plan])
    result = ChunkResult(snapshots_created=len(to_plan))
    opted_in = [learner.pk for learner in learners if learner.digest_opt_in]
    if young and opted_in:
        result.digest_snapshot_ids = list(
            WeekPlan.objects.filter(
                learner_id__in=opted_in, week_start=start, digest_sent_at__isnull=True
            ).values_list("pk", flat=True)
        )
    return result


def send_digest(*, snapshot_id: int, now: datetime) -> bool:
    """Send the snapshot's weekly digest unless it went out already; True when this call sent it.

    The marker is claimed before sending, so two senders never both send; a failed send gives
    it back and raises, so the caller may retry.
    """
    claimed = WeekPlan.objects.filter(pk=snapshot_id, digest_sent_at__isnull=True).update(
        digest_sent_at=now
    )
    if not claimed:
        return False
    learner = User.objects.get(week_plans=snapshot_id)
    try:
        send_weekly_digest(learner=learner, now=now)
    except Exception:
        WeekPlan.objects.filter(pk=snapshot_id).update(digest_sent_at=None)
        raise
    return True


def _claim_and_send(snapshot_id: int, now: datetime) -> str:
    """`send_digest` for the in-process rollover: a failure is logged, retried next run."""
    try:
        return "sent" if send_digest(snapshot_id=snapshot_id, now=now) else "already"
    except Exception:
        logger.exception("weekly digest failed", extra={"snapshot_id": snapshot_id})
        return "failed"


def make_weekly_plans(*, now: datetime | None = None, dry_run: bool = False) -> RolloverResult:
    """The whole rollover in this process, chunk after chunk (the Celery task fans the same
    chunks out to the workers instead): save the snapshot of every learner whose local week
    has begun, and send the weekly digest to those who opted in.

    Idempotent: the (learner, week_start) constraint stops a second snapshot and the
    snapshot's `digest_sent_at` marker stops a second email, so runs may overlap or repeat.
    """
    now = now or timezone.now()
    result = RolloverResult()
    if dry_run:
        for zones in _zone_groups(now):
            due = _due_learners(now, zones).filter(planned=False).order_by("pk")
            result.due.extend(due.values_list("email", flat=True))
        return result
    for chunk in due_chunks(now=now):
        planned = plan_chunk(chunk=chunk, now=now)
        result.snapshots_created += planned.snapshots_created
        for snapshot_id in planned.digest_snapshot_ids:
            outcome = _claim_and_send(snapshot_id, now)
            result.digests_sent += outcome == "sent"
            result.digest_failures += outcome == "failed"
    return result


# ---- calendar feed ----------------------------------------------------------------------------


def regenerate_calendar_token(*, learner: User) -> str:
    """Give the learner a new calendar feed token; the old feed URL stops working at once."""
    learner.calendar_token = new_calendar_token()
    learner.save(update_fields=["calendar_token"])
    return learner.calendar_token
