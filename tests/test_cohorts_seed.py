"""seed_demo: believable demo cohorts for the quick start and the benchmark."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Max
from django.test import Client
from django.utils import timezone

from tests.factories import ItemFactory, SectionFactory, UserFactory
from tracker.models import Cohort, Progress, ProgressEvent, Status, User, WeekPlan

pytestmark = pytest.mark.django_db


@pytest.fixture
def roadmap():
    sections = [SectionFactory(roadmap__slug="demo", order=n) for n in range(3)]
    for n in range(15):
        ItemFactory(section=sections[n // 5], order=n, effort_hours=[2, 4, 8, 12][n % 4])
    return sections[0].roadmap


def seed(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seed_demo_creates_cohorts_of_learners_with_consistent_histories(roadmap):
    output = seed("--learners", "40", "--cohorts", "2", "--seed", "7")
    assert "Created 40 demo learners" in output

    cohorts = list(Cohort.objects.order_by("pk"))
    assert [c.name for c in cohorts] == ["Demo cohort 1", "Demo cohort 2"]
    # The first cohort also gets the demo learner account, for trying the learner's side.
    assert [c.memberships.count() for c in cohorts] == [21, 20]
    assert cohorts[0].memberships.filter(learner__email="learner@example.com").exists()
    mentor = User.objects.get(email="mentor@example.com")
    assert mentor.is_mentor and all(list(c.mentors.all()) == [mentor] for c in cohorts)

    learners = User.objects.filter(email__startswith="demo-learner-")
    assert learners.count() == 40
    assert len(set(learners.values_list("weekly_hours", flat=True))) > 3  # varied paces

    # Every done item has a completion time and a matching "done" event at that time.
    for progress in Progress.objects.filter(status=Status.DONE):
        assert ProgressEvent.objects.filter(
            learner=progress.learner,
            item=progress.item,
            status=Status.DONE,
            at=progress.completed_at,
        ).exists()
    # History spreads over past weeks, and some learners have stalled.
    now = timezone.now()
    events = ProgressEvent.objects.all()
    assert events.filter(at__lt=now - timedelta(weeks=4)).exists()
    assert events.filter(at__gt=now - timedelta(days=7)).exists()
    latest = ProgressEvent.objects.values("learner").annotate(last=Max("at"))
    assert any(row["last"] < now - timedelta(days=14) for row in latest)
    assert WeekPlan.objects.exists()


def test_seeded_dashboard_renders_within_the_query_budget(
    roadmap, client, django_assert_max_num_queries
):
    seed("--learners", "30", "--cohorts", "1", "--seed", "3")
    client.force_login(User.objects.get(email="mentor@example.com"))
    cohort = Cohort.objects.get()
    # session, user, cohort, items, (PostgreSQL: SET LOCAL jit = off), the one statement,
    # the cohort's milestones; the page's plan statuses: users, active roadmaps, follows,
    # progress, items, prerequisite links, cohort schedules, progress events, review cards,
    # snapshots, finished progress; the menu's "Reviews (n)" count
    with django_assert_max_num_queries(19):
        response = client.get(f"/cohorts/{cohort.pk}/")
    assert response.status_code == 200
    assert len(response.context["rows"]) == 31  # and the demo learner


def test_if_empty_does_nothing_the_second_time(roadmap):
    seed("--learners", "5", "--cohorts", "1", "--if-empty")
    output = seed("--learners", "5", "--cohorts", "1", "--if-empty")
    assert "nothing to do" in output
    assert User.objects.filter(email__startswith="demo-learner-").count() == 5
    assert Cohort.objects.count() == 1


def test_without_if_empty_a_second_run_adds_new_learners_and_cohorts(roadmap):
    seed("--learners", "3", "--cohorts", "1")
    seed("--learners", "3", "--cohorts", "1")
    emails = sorted(
        User.objects.filter(email__startswith="demo-learner-").values_list("email", flat=True)
    )
    assert emails[-1] == "demo-learner-0006@example.com"
    assert Cohort.objects.filter(name="Demo cohort 2").exists()


def test_the_quick_start_order_leaves_a_mentor_who_can_sign_in_and_see_the_cohort(roadmap):
    # dev.py serve: seed_demo first (no mentor account yet), then create_demo_accounts.
    seed("--learners", "4", "--cohorts", "1", "--if-empty")
    mentor = User.objects.get(email="mentor@example.com")
    assert not mentor.has_usable_password()
    call_command("create_demo_accounts", stdout=open("/dev/null", "w"))  # noqa: SIM115

    mentor.refresh_from_db()
    assert mentor.check_password("mentor-demo-pass") and mentor.is_mentor
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "mentor@example.com", "password": "mentor-demo-pass"}
    )
    assert response.status_code == 302
    cohort = Cohort.objects.get()
    assert client.get(f"/cohorts/{cohort.pk}/").status_code == 200

    learner = Client()
    learner.post(
        "/accounts/login/", {"username": "learner@example.com", "password": "learner-demo-pass"}
    )
    assert "Demo cohort 1" in learner.get("/cohorts/").content.decode()


def test_an_existing_mentor_account_is_reused_and_given_the_mentor_role(roadmap):
    existing = UserFactory(email="mentor@example.com", is_mentor=False)
    seed("--learners", "2", "--cohorts", "1")
    existing.refresh_from_db()
    assert existing.is_mentor
    assert existing.has_usable_password()  # its password is left alone
    assert list(Cohort.objects.get().mentors.all()) == [existing]


def test_seed_demo_needs_an_imported_roadmap(db):
    with pytest.raises(CommandError, match="import_roadmap"):
        seed("--learners", "2")
