"""Periodic jobs run by celery beat (django-celery-beat's DatabaseScheduler).

Each area appends one entry to DEFAULT_SCHEDULES; a data migration and `ensure_schedules()`
create the matching PeriodicTask rows. Admins may change a schedule in the admin afterwards:
`ensure_schedules()` only creates what is missing, it never overwrites an admin's edit.
Every task here has a management-command twin for cron users.

To add a schedule: append a Schedule below and add a data migration that calls
`ensure_schedules(apps)` (databases that already ran an earlier one only gain the new row).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    # Crontab fields, in UTC (CELERY_TIMEZONE). Unset fields mean "every".
    minute: str = "*"
    hour: str = "*"
    day_of_week: str = "*"
    description: str = ""


DEFAULT_SCHEDULES: list[Schedule] = [
    Schedule(
        name="Weekly study plans",
        task="tracker.tasks.make_weekly_plans",
        # Hourly, because learners' weeks begin at Monday 00:00 in their own time zones.
        minute="0",
        description="Snapshot each learner's week as it begins and send the weekly digest.",
    ),
    Schedule(
        name="Link check",
        task="tracker.tasks.run_link_check",
        # Daily; ok links are rechecked about weekly, spread over the days (services/links.py).
        minute="30",
        hour="3",
        description="Check every due external link; email staff about newly confirmed broken ones.",
    ),
    Schedule(
        name="Check new links",
        task="tracker.tasks.check_new_links",
        # Every 5 minutes, so a new or edited link is checked within 10 minutes of saving.
        minute="*/5",
        description="Pick up new or edited links from content and check them.",
    ),
    Schedule(
        name="Weekly mentor digest",
        task="tracker.tasks.make_mentor_digests",
        # Hourly, because mentors' Monday mornings come at different UTC hours.
        minute="15",
        description="Email each mentor, on their Monday morning, what changed in their cohorts.",
    ),
]


def ensure_schedules(apps=None) -> list[str]:
    """Create the PeriodicTask rows that are missing; return the names created.

    Pass `apps` from a data migration to use the historical models.
    """
    if apps is None:
        from django_celery_beat.models import CrontabSchedule, PeriodicTask
    else:
        CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    created = []
    for schedule in DEFAULT_SCHEDULES:
        if PeriodicTask.objects.filter(name=schedule.name).exists():
            continue
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=schedule.minute,
            hour=schedule.hour,
            day_of_week=schedule.day_of_week,
            day_of_month="*",
            month_of_year="*",
            timezone="UTC",
        )
        PeriodicTask.objects.create(
            name=schedule.name,
            task=schedule.task,
            crontab=crontab,
            description=schedule.description,
        )
        created.append(schedule.name)
    return created
