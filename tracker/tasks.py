"""Celery tasks: thin wrappers that call a service and log what it did.

Each area appends its tasks here; schedules live in tracker/schedules.py.
"""

import logging
from dataclasses import asdict

from celery import shared_task
from django.conf import settings

logger = logging.getLogger(__name__)


@shared_task(name="tracker.tasks.make_weekly_plans")
def make_weekly_plans() -> dict:
    """Hourly: snapshot the weeks that have just begun and send the weekly digests."""
    from tracker.services import plans

    result = asdict(plans.make_weekly_plans())
    logger.info("weekly plans", extra=result)
    return result


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
