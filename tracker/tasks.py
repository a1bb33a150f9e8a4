"""Celery tasks: thin wrappers that call a service and log what it did.

Each area appends its tasks here; schedules live in tracker/schedules.py.
"""

import logging
from dataclasses import asdict
from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

# A rollover chunk is idempotent (the unique snapshot or digest record guards it): retried as
# a whole, soon.
CHUNK_RETRIES = {
    "acks_late": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 30,
    "max_retries": 3,
}
# Each email is retried on its own, backing off up to an hour; its claim keeps it once-only.
EMAIL_RETRIES = {
    "acks_late": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 60,
    "retry_backoff_max": 3600,
    "max_retries": 6,
}


def _fan_out(chunks, task, now: datetime, what: str) -> dict:
    """Queue `task` once per chunk (as a dict, with `now`), and log how many."""
    count = 0
    for chunk in chunks:
        task.delay(asdict(chunk), now.isoformat())
        count += 1
    logger.info("%s fanned out", what, extra={"chunks": count})
    return {"chunks": count}


@shared_task(name="tracker.tasks.make_weekly_plans")
def make_weekly_plans() -> dict:
    """Hourly: find the learners whose week has begun and fan them out to `plan_chunk` tasks,
    a few hundred learners each, over however many workers run."""
    from tracker.services import plans

    now = timezone.now()
    return _fan_out(plans.due_chunks(now=now), plan_chunk, now, "weekly plans")


@shared_task(name="tracker.tasks.plan_chunk", **CHUNK_RETRIES)
def plan_chunk(chunk: dict, now: str) -> dict:
    """Snapshot one chunk's weeks, then queue one digest task per learner who opted in."""
    from tracker.services import plans

    result = plans.plan_chunk(chunk=plans.Chunk(**chunk), now=datetime.fromisoformat(now))
    for snapshot_id in result.digest_snapshot_ids:
        send_digest.delay(snapshot_id, now)
    logger.info("weekly plans saved", extra=asdict(result))
    return asdict(result)


@shared_task(name="tracker.tasks.send_digest", **EMAIL_RETRIES)
def send_digest(snapshot_id: int, now: str) -> bool:
    """Email one learner's weekly digest, unless it went out already."""
    from tracker.services import plans

    return plans.send_digest(snapshot_id=snapshot_id, now=datetime.fromisoformat(now))


# --- Link health (services/links.py). Locks and chunking make every task safe to repeat. ---

LINK_RUN_LIMIT = settings.LINKCHECK_RUN_TIME_LIMIT


@shared_task(
    name="tracker.tasks.run_link_check",
    bind=True,
    acks_late=True,
    soft_time_limit=LINK_RUN_LIMIT,
    time_limit=LINK_RUN_LIMIT + 60,
)
def run_link_check(self) -> dict:
    """Daily: check every due link, then email staff about newly confirmed broken ones."""
    from tracker.services import links

    # The task id owns the run's lock: redelivered after its worker died, it takes it over.
    result = links.run_full_check(owner=self.request.id).as_dict()
    logger.info("link check", extra=result)
    return result


@shared_task(
    name="tracker.tasks.check_new_links",
    bind=True,
    acks_late=True,
    soft_time_limit=240,
    time_limit=290,
)
def check_new_links(self) -> dict:
    """Every 5 minutes: new or edited links, and broken ones due for their confirming check."""
    from tracker.services import links

    result = links.run_quick_check(owner=self.request.id).as_dict()
    logger.info("new links checked", extra=result)
    return result


@shared_task(name="tracker.tasks.check_links", acks_late=True, soft_time_limit=600, time_limit=660)
def check_links(link_ids: list[int]) -> dict:
    """The admin's "check now": these links, whether due or not."""
    from tracker.models import Link
    from tracker.services import links

    result = links.check_links(links=Link.objects.filter(id__in=link_ids)).as_dict()
    logger.info("links checked on request", extra=result)
    return result


# --- Nudges (services/nudges.py). Each email is claimed first, so a retry never sends twice. ---


@shared_task(name="tracker.tasks.send_nudge_email", **EMAIL_RETRIES)
def send_nudge_email(nudge_id: int) -> bool:
    """Email one nudge, unless it went out already or the learner turned nudge emails off."""
    from tracker.services import nudges

    return nudges.email_nudge(nudge_id=nudge_id)


# --- The weekly mentor digest (services/mentor_digest.py): the learners' digest's shape. ---


@shared_task(name="tracker.tasks.make_mentor_digests")
def make_mentor_digests() -> dict:
    """Hourly: find the mentors whose Monday morning has come and fan them out in chunks."""
    from tracker.services import mentor_digest

    now = timezone.now()
    return _fan_out(mentor_digest.due_chunks(now=now), mentor_digest_chunk, now, "mentor digests")


@shared_task(name="tracker.tasks.mentor_digest_chunk", **CHUNK_RETRIES)
def mentor_digest_chunk(chunk: dict, now: str) -> list[int]:
    """Record this week's digest for one chunk of mentors, then queue one task per email."""
    from tracker.services import mentor_digest

    when = datetime.fromisoformat(now)
    digest_ids = mentor_digest.digest_chunk(chunk=mentor_digest.Chunk(**chunk), now=when)
    for digest_id in digest_ids:
        send_mentor_digest.delay(digest_id, now)
    logger.info("mentor digests queued", extra={"digests": len(digest_ids)})
    return digest_ids


@shared_task(name="tracker.tasks.send_mentor_digest", **EMAIL_RETRIES)
def send_mentor_digest(digest_id: int, now: str) -> bool:
    """Email one mentor's weekly digest, unless it went out already."""
    from tracker.services import mentor_digest

    return mentor_digest.send_digest(digest_id=digest_id, now=datetime.fromisoformat(now))
