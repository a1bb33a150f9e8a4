"""Celery tasks: thin wrappers that call a service and log what it did.

Each area appends its tasks here; schedules live in tracker/schedules.py.
"""

import logging
from dataclasses import asdict

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="tracker.tasks.make_weekly_plans")
def make_weekly_plans() -> dict:
    """Hourly: snapshot the weeks that have just begun and send the weekly digests."""
    from tracker.services import plans

    result = asdict(plans.make_weekly_plans())
    logger.info("weekly plans", extra=result)
    return result
