"""The weekly mentor digest: the hourly fan-out, one record per mentor and week, the email.

The same shape as the learners' digest (services/plans.py): the hourly task finds the mentors
whose Monday morning has come, in chunks of id ranges; a chunk inserts one MentorDigest per
mentor and week (the unique constraint keeps it once); each digest is claimed before it is
sent and is its own task, retried on its own.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone

from tracker import planning
from tracker.models import Cohort, MentorDigest, User
from tracker.selectors.mentor_digest import mentor_digest

logger = logging.getLogger(__name__)

# Monday 07:00 in the mentor's zone: the week's first look, before their working day.
SEND_AT = time(7)
# Sent only while the morning is young, as the learners' digest: a mentor who opts in on a
# Thursday waits for Monday, and a beat that was down for hours still catches up.
WINDOW = timedelta(hours=24)
CHUNK_SIZE = 500


@dataclass(frozen=True)
class Chunk:
    """Mentor ids from `first_id` to `last_id` in time zones whose digest week is the same
    Monday (JSON-friendly, for a Celery message)."""

    first_id: int
    last_id: int
    time_zones: list[str]


@dataclass
class DigestRun:
    sent: int = 0
    quiet: int = 0  # nothing changed: recorded, no email
    failures: int = 0
    due: list[str] = field(default_factory=list)  # dry run: mentors whose digest is due


def _opens_at(monday: date, zone: str) -> datetime:
    return datetime.combine(monday, SEND_AT, tzinfo=ZoneInfo(zone))


def _zone_groups(now: datetime) -> dict[date, list[str]]:
    """The mentors' time zones whose Monday-morning window is open now, by that Monday."""
    groups = defaultdict(list)
    zones = _mentors().order_by("time_zone").values_list("time_zone", flat=True).distinct()
    for zone in zones:
        monday = planning.week_start(now, zone)
        if timedelta(0) <= now - _opens_at(monday, zone) < WINDOW:
            groups[monday].append(zone)
    return groups


def _mentors():
    """Active mentors who want the digest and run at least one cohort."""
    return User.objects.filter(is_active=True, is_mentor=True, mentor_digest=True).filter(
        Exists(Cohort.objects.filter(mentors=OuterRef("pk")))
    )


def _due(monday: date, zones: list[str]):
    """Mentors in these zones whose digest for `monday` has not gone out."""
    sent = MentorDigest.objects.filter(
        mentor=OuterRef("pk"), week_start=monday, sent_at__isnull=False
    )
    return _mentors().filter(time_zone__in=zones).filter(~Exists(sent))


def due_chunks(*, now: datetime, size: int | None = None) -> Iterator[Chunk]:
    """The due mentors in id ranges of up to `size`, one query per chunk."""
    size = size or CHUNK_SIZE
    for monday, zones in _zone_groups(now).items():
        due = _due(monday, zones).order_by("pk").values_list("pk", flat=True)
        last = 0
        while ids := list(due.filter(pk__gt=last)[:size]):
            yield Chunk(first_id=ids[0], last_id=ids[-1], time_zones=zones)
            last = ids[-1]


@transaction.atomic
def digest_chunk(*, chunk: Chunk, now: datetime) -> list[int]:
    """Make sure each due mentor of the chunk has this week's MentorDigest; return the ids of
    those not sent yet. Safe to repeat: the (mentor, week) constraint keeps one record."""
    monday = planning.week_start(now, chunk.time_zones[0])
    mentor_ids = list(
        _due(monday, chunk.time_zones)
        .filter(pk__range=(chunk.first_id, chunk.last_id))
        .values_list("pk", flat=True)
    )
    MentorDigest.objects.bulk_create(
        [MentorDigest(mentor_id=pk, week_start=monday) for pk in mentor_ids],
        ignore_conflicts=True,
    )
    return list(
        MentorDigest.objects.filter(
            mentor_id__in=mentor_ids, week_start=monday, sent_at__isnull=True
        ).values_list("pk", flat=True)
    )


def send_digest(*, digest_id: int, now: datetime) -> bool:
    """Work out and email one mentor's digest unless it went out already; True when this call
    did it (a quiet week is recorded and sends nothing).

    Claimed before sending, so two senders never both send; a failed send gives the claim
    back and raises, so the caller may retry.
    """
    claimed = MentorDigest.objects.filter(pk=digest_id, sent_at__isnull=True).update(sent_at=now)
    if not claimed:
        return False
    digest = MentorDigest.objects.select_related("mentor").get(pk=digest_id)
    try:
        digest.emailed = _work_out_and_send(digest, now)
        digest.save(update_fields=["state", "emailed"])
    except Exception:
        MentorDigest.objects.filter(pk=digest_id).update(sent_at=None)
        raise
    return True


def _work_out_and_send(digest: MentorDigest, now: datetime) -> bool:
    previous = (
        MentorDigest.objects.filter(
            mentor=digest.mentor, week_start__lt=digest.week_start, sent_at__isnull=False
        )
        .order_by("-week_start")
        .values_list("state", flat=True)
        .first()
    )
    content = mentor_digest(digest.mentor, now=now, previous=previous)
    digest.state = content.state
    if content.is_empty:
        return False
    context = {
        "mentor": digest.mentor,
        "digest": content,
        "week_start": digest.week_start,
        "cohorts_url": f"{settings.SITE_URL}/cohorts/",
        "me_url": f"{settings.SITE_URL}/me/",
    }
    EmailMessage(
        subject=f"Your cohorts, week of {digest.week_start:%-d %B}",
        body=render_to_string("email/mentor_digest.txt", context),
        to=[digest.mentor.email],
    ).send()
    return True


def _claim_and_send(digest_id: int, now: datetime) -> str:
    """`send_digest` for the in-process run: a failure is logged, retried next run."""
    try:
        if not send_digest(digest_id=digest_id, now=now):
            return "already"
    except Exception:
        logger.exception("mentor digest failed", extra={"digest_id": digest_id})
        return "failed"
    emailed = MentorDigest.objects.filter(pk=digest_id, emailed=True).exists()
    return "sent" if emailed else "quiet"


def make_mentor_digests(*, now: datetime | None = None, dry_run: bool = False) -> DigestRun:
    """The whole hourly run in this process, chunk after chunk (the Celery task fans the
    same chunks out to the workers instead). Idempotent, so runs may overlap or repeat."""
    now = now or timezone.now()
    run = DigestRun()
    if dry_run:
        for monday, zones in _zone_groups(now).items():
            run.due.extend(_due(monday, zones).order_by("pk").values_list("email", flat=True))
        return run
    for chunk in due_chunks(now=now):
        for digest_id in digest_chunk(chunk=chunk, now=now):
            outcome = _claim_and_send(digest_id, now)
            run.sent += outcome == "sent"
            run.quiet += outcome == "quiet"
            run.failures += outcome == "failed"
    return run
