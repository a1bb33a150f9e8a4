"""Demo data for the mentor pages: cohorts of learners with believable histories.

Each learner starts some weeks ago and works through the roadmap in order at their own pace
(weekly hours times a personal speed), so progress, completion dates and ProgressEvents agree.
Some learners stall (their last change is two to six weeks old, often with an item left in
progress), a few skip items they already know, a few never start. Everything is written with
bulk_create, so 500 learners take seconds.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from tracker import planning
from tracker.models import (
    Cohort,
    Item,
    Membership,
    Progress,
    ProgressEvent,
    Roadmap,
    RoadmapFollow,
    Status,
    User,
    WeekPlan,
)
from tracker.services.progress import reconcile_topics

DEMO_LEARNER_PREFIX = "demo-learner-"
# create_demo_accounts gives both their public passwords; the demo learner joins the first
# cohort, so the learner's side of cohorts (sharing notes, leaving) can be tried too.
DEMO_MENTOR_EMAIL = "mentor@example.com"
DEMO_LEARNER_EMAIL = "learner@example.com"
FIRST_NAMES = [
    "Amara", "Bao", "Carmen", "Dmitri", "Elif", "Farah", "Gustavo", "Hana", "Ines", "Jonas",
    "Kiran", "Lena", "Mateo", "Nadia", "Oskar", "Priya", "Quinn", "Rosa", "Sami", "Tomás",
    "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoe",
]  # fmt: skip
TIME_ZONES = [
    "UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles",
    "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland", "America/Sao_Paulo",
]  # fmt: skip
WEEKLY_HOURS = [3, 4, 5, 5, 6, 8, 8, 10, 10, 12, 15, 20]


@dataclass
class Persona:
    weeks_ago: float  # when they started
    speed: float  # share of their weekly hours they really study
    stops_days_ago: int  # 0 for active learners; > 14 for stalled ones
    skips: float  # chance of skipping an item they already know


def pick_persona(rng: random.Random) -> Persona:
    roll = rng.random()
    if roll < 0.05:  # joined, never started
        return Persona(weeks_ago=rng.uniform(0.5, 4), speed=0, stops_days_ago=0, skips=0)
    stops = rng.randint(15, 45) if roll < 0.18 else 0
    return Persona(
        weeks_ago=rng.uniform(2, 14),
        speed=rng.choice([0.4, 0.7, 0.9, 1.0, 1.0, 1.1, 1.3, 1.6]),
        stops_days_ago=stops,
        skips=rng.choice([0, 0, 0.05, 0.15]),
    )


def simulate(
    *, learner: User, items: list[Item], persona: Persona, now: datetime, rng: random.Random
) -> tuple[list[Progress], list[ProgressEvent]]:
    """Walk the roadmap in order from the start date, one item after another."""
    progress, events = [], []
    if persona.speed == 0:
        return progress, events
    clock = now - timedelta(weeks=persona.weeks_ago)
    stop = now - timedelta(days=persona.stops_days_ago)
    weekly = learner.weekly_hours * persona.speed
    for item in items:
        if clock >= stop:
            break
        if rng.random() < persona.skips:
            progress.append(
                Progress(
                    learner=learner,
                    item=item,
                    status=Status.SKIPPED,
                    skip_reason="Already know it",
                )
            )
            events.append(_event(learner, item, Status.SKIPPED, Status.NOT_STARTED, clock))
            clock += timedelta(hours=rng.uniform(1, 12))
            continue
        started = clock
        # Real weeks are lumpy: the same item takes 0.5x to 1.5x of its even-pace time.
        clock = started + timedelta(weeks=item.effort_hours / weekly * rng.uniform(0.5, 1.5))
        events.append(_event(learner, item, Status.IN_PROGRESS, Status.NOT_STARTED, started))
        if clock > stop:
            progress.append(
                Progress(learner=learner, item=item, status=Status.IN_PROGRESS, started_at=started)
            )
            break
        progress.append(
            Progress(
                learner=learner,
                item=item,
                status=Status.DONE,
                started_at=started,
                completed_at=clock,
            )
        )
        events.append(_event(learner, item, Status.DONE, Status.IN_PROGRESS, clock))
    return progress, events


def plan_snapshots(*, learner: User, items: list[Item], since: datetime, now: datetime):
    """Weekly snapshots as the planner would have saved them: items in roadmap order, each
    week filled to the learner's budget, from their first week to this one. Learners slower
    than their budget then read as "behind" on the dashboard, as they would in real use."""
    snapshots = []
    monday = planning.week_start(since, learner.time_zone)
    last = planning.week_start(now, learner.time_zone)
    queue = [[item, item.effort_hours, False] for item in items]
    while monday <= last and queue:
        budget, entries = learner.weekly_hours, []
        while budget and queue:
            item, left, started = queue[0]
            hours = min(left, budget)
            budget -= hours
            queue[0][1] -= hours
            entries.append(
                {
                    "item": item.pk,
                    "title": item.title,
                    "hours": hours,
                    "continues_from_previous": started,
                    "continues_next": queue[0][1] > 0,
                }
            )
            queue[0][2] = True
            if queue[0][1] == 0:
                queue.pop(0)
        snapshots.append(
            WeekPlan(
                learner=learner,
                week_start=monday,
                weekly_hours=learner.weekly_hours,
                entries=entries,
            )
        )
        monday += timedelta(days=7)
    return snapshots


def _event(learner, item, status, previous, at) -> ProgressEvent:
    return ProgressEvent(learner=learner, item=item, status=status, previous_status=previous, at=at)


@dataclass
class _Rows:
    """Everything the demo learners get, saved with a few bulk inserts."""

    memberships: list = field(default_factory=list)
    follows: list = field(default_factory=list)
    progress: list = field(default_factory=list)
    events: list = field(default_factory=list)
    snapshots: list = field(default_factory=list)

    def add_learner(self, user, cohort, items, *, now, rng) -> None:
        persona = pick_persona(rng)
        joined = now - timedelta(weeks=persona.weeks_ago, days=rng.uniform(0, 3))
        sharing = rng.random() < 0.3
        self.memberships.append(
            Membership(cohort=cohort, learner=user, joined_at=joined, share_notes=sharing)
        )
        self.follows.append(RoadmapFollow(learner=user, roadmap_id=cohort.roadmap_id))
        rows, history = simulate(learner=user, items=items, persona=persona, now=now, rng=rng)
        self.progress += rows
        self.events += history
        if persona.speed and rng.random() < 0.75:  # most learners use the study plan
            since = now - timedelta(weeks=persona.weeks_ago)
            self.snapshots += plan_snapshots(learner=user, items=items, since=since, now=now)

    def save(self) -> None:
        Membership.objects.bulk_create(self.memberships, batch_size=1000, ignore_conflicts=True)
        RoadmapFollow.objects.bulk_create(self.follows, batch_size=1000, ignore_conflicts=True)
        Progress.objects.bulk_create(self.progress, batch_size=2000)
        # Random statuses differ between a shared topic's items; a learner's are one.
        reconcile_topics()
        ProgressEvent.objects.bulk_create(self.events, batch_size=2000)
        WeekPlan.objects.bulk_create(self.snapshots, batch_size=1000)


class Command(BaseCommand):
    help = (
        "Create demo cohorts of learners with realistic progress histories on the imported "
        "roadmaps, mentored by mentor@example.com (created without a usable password if "
        "missing; create_demo_accounts sets it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--learners", type=int, default=12, help="Learners in total.")
        parser.add_argument("--cohorts", type=int, default=1, help="Cohorts to spread them over.")
        parser.add_argument("--seed", type=int, default=None, help="Random seed, to repeat a run.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when demo learners already exist (for the quick start).",
        )

    def handle(self, *args, learners: int, cohorts: int, seed, if_empty: bool, **options):
        if learners < 0 or cohorts < 1:
            raise CommandError("--learners must be 0 or more and --cohorts at least 1.")
        existing = User.objects.filter(email__startswith=DEMO_LEARNER_PREFIX).count()
        if if_empty and existing:
            self.stdout.write(f"{existing} demo learners already exist; nothing to do.")
            return
        roadmaps = list(Roadmap.objects.active().filter(items__archived_at__isnull=True).distinct())
        if not roadmaps:
            raise CommandError("No roadmap with items yet. Run `python manage.py import_roadmap`.")
        rng = random.Random(seed)
        created = self.seed(
            learners=learners, cohorts=cohorts, roadmaps=roadmaps, offset=existing, rng=rng
        )
        self.stdout.write(self.style.SUCCESS(created))

    @transaction.atomic
    def seed(self, *, learners, cohorts, roadmaps, offset, rng) -> str:
        now = timezone.now()
        mentor = self.demo_mentor()
        items_by_roadmap = {
            roadmap.pk: list(
                Item.objects.active()
                .filter(roadmap=roadmap, section__archived_at__isnull=True)
                .order_by("order", "id")
            )
            for roadmap in roadmaps
        }
        new_cohorts = self.create_cohorts(cohorts, roadmaps=roadmaps, mentor=mentor, now=now)
        users = User.objects.bulk_create(
            User(
                email=f"{DEMO_LEARNER_PREFIX}{offset + n + 1:04d}@example.com",
                display_name=f"{rng.choice(FIRST_NAMES)} {chr(65 + rng.randrange(26))}.",
                password=make_password(None),
                weekly_hours=rng.choice(WEEKLY_HOURS),
                time_zone=rng.choice(TIME_ZONES),
                date_joined=now - timedelta(weeks=15),
            )
            for n in range(learners)
        )
        rows = _Rows()
        for n, user in enumerate(users):
            cohort = new_cohorts[n % len(new_cohorts)]
            rows.add_learner(user, cohort, items_by_roadmap[cohort.roadmap_id], now=now, rng=rng)
        demo_learner = self.demo_account(DEMO_LEARNER_EMAIL, display_name="Demo Learner")
        if not new_cohorts[0].mentors.filter(pk=demo_learner.pk).exists():
            rows.memberships.append(Membership(cohort=new_cohorts[0], learner=demo_learner))
        rows.save()
        names = ", ".join(f"“{c.name}” (id {c.pk})" for c in new_cohorts)
        return (
            f"Created {len(users)} demo learners in {names}, mentored by {mentor.email}: "
            f"{len(rows.progress)} progress rows, {len(rows.events)} events, "
            f"{len(rows.snapshots)} weekly plan snapshots."
        )

    def create_cohorts(self, count: int, *, roadmaps, mentor, now) -> list[Cohort]:
        first = Cohort.objects.filter(name__startswith="Demo cohort").count() + 1
        new_cohorts = []
        for n in range(count):
            cohort = Cohort.objects.create(
                name=f"Demo cohort {first + n}",
                roadmap=roadmaps[n % len(roadmaps)],
                starts_on=(now - timedelta(weeks=14)).date(),
            )
            cohort.mentors.add(mentor)
            new_cohorts.append(cohort)
        return new_cohorts

    def demo_mentor(self) -> User:
        mentor = self.demo_account(DEMO_MENTOR_EMAIL, display_name="Demo Mentor")
        if not mentor.is_mentor:
            mentor.is_mentor = True
            mentor.save(update_fields=["is_mentor"])
        return mentor

    def demo_account(self, email: str, *, display_name: str) -> User:
        user, created = User.objects.get_or_create(
            email=email, defaults={"display_name": display_name}
        )
        if created:
            # No usable password: create_demo_accounts (run next by the quick start) sets it.
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user
