"""Writes of nudges: sending (within the limits), emailing each one, dismissing."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from tracker import nudge_limits, page_cache
from tracker.models import Cohort, Nudge, User
from tracker.selectors import nudges as nudge_reads
from tracker.task_queue import QueueUnavailable, enqueue

logger = logging.getLogger(__name__)


@dataclass
class NudgeResult:
    sent: list[User] = field(default_factory=list)
    skipped: list[tuple[User, str]] = field(default_factory=list)  # the learner, and why


@transaction.atomic
def send_nudges(
    *,
    mentor: User,
    cohort: Cohort,
    learners: list[User],
    message: str,
    now: datetime | None = None,
) -> NudgeResult:
    """Nudge each of `learners` (members of `cohort`, checked by the caller) with `message`,
    as far as the limits in tracker/nudge_limits.py allow; the rest are listed as skipped.

    The mentor's and the learners' rows are locked first, so two mentors sending at once
    cannot both pass a learner's limit, nor one mentor's two tabs the mentor's. Emails go
    out after the commit, one task each.
    """
    now = now or timezone.now()
    ids = [learner.pk for learner in learners]
    # One statement, in id order: concurrent senders lock in the same order, never deadlock.
    list(User.objects.select_for_update().filter(pk__in=[mentor.pk, *ids]).order_by("pk"))
    decision = nudge_limits.decide(
        ids,
        recently_nudged=nudge_reads.recently_nudged(
            set(ids), since=now - nudge_limits.LEARNER_WINDOW
        ),
        mentor_sent=nudge_reads.sent_by(mentor, since=now - nudge_limits.MENTOR_WINDOW),
    )
    by_id = {learner.pk: learner for learner in learners}
    nudges = Nudge.objects.bulk_create(
        [
            Nudge(cohort=cohort, mentor=mentor, learner_id=i, message=message, created_at=now)
            for i in decision.send
        ]
    )
    # A bulk insert sends no signals; the nudge shows on the learners' cached dashboards.
    page_cache.invalidate(learners=decision.send)
    emailed = [n.pk for n in nudges if by_id[n.learner_id].nudge_emails]
    if emailed:
        transaction.on_commit(lambda: queue_nudge_emails(emailed), robust=True)
    return NudgeResult(
        sent=[by_id[i] for i in decision.send],
        skipped=[(by_id[i], why) for i, why in decision.skipped.items()],
    )


def queue_nudge_emails(nudge_ids: list[int]) -> None:
    """One task per email; with the queue down, the rest are sent here and now."""
    from tracker import tasks

    for position, nudge_id in enumerate(nudge_ids):
        try:
            enqueue(tasks.send_nudge_email, nudge_id)
        except QueueUnavailable:
            for unqueued in nudge_ids[position:]:
                try:
                    email_nudge(nudge_id=unqueued)
                except Exception:
                    logger.exception("nudge email failed", extra={"nudge_id": unqueued})
            return


def email_nudge(*, nudge_id: int, now: datetime | None = None) -> bool:
    """Email one nudge unless it went out already or the learner turned nudge emails off;
    True when this call sent it. Claimed before sending; a failed send gives the claim back
    and raises, so the task retries it."""
    now = now or timezone.now()
    claimed = Nudge.objects.filter(
        pk=nudge_id, emailed_at__isnull=True, learner__nudge_emails=True
    ).update(emailed_at=now)
    if not claimed:
        return False
    nudge = Nudge.objects.select_related("learner", "mentor", "cohort").get(pk=nudge_id)
    context = {
        "nudge": nudge,
        "mentor_name": nudge.mentor.name if nudge.mentor else "A mentor",
        "dashboard_url": f"{settings.SITE_URL}/",
        "me_url": f"{settings.SITE_URL}/me/",
    }
    subject = f"A nudge from {context['mentor_name']} ({nudge.cohort.name})"
    try:
        EmailMessage(
            subject=subject,
            body=render_to_string("email/nudge.txt", context),
            to=[nudge.learner.email],
        ).send()
    except Exception:
        Nudge.objects.filter(pk=nudge_id).update(emailed_at=None)
        raise
    return True


def dismiss_nudge(*, nudge: Nudge, now: datetime | None = None) -> None:
    """Take the nudge off the learner's dashboard; the mentors' log keeps it."""
    if nudge.dismissed_at is None:
        nudge.dismissed_at = now or timezone.now()
        nudge.save(update_fields=["dismissed_at"])
