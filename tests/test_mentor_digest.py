"""The weekly mentor digest: Monday morning in the mentor's zone, what changed in each cohort,
once per week however often the hourly run repeats."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from tests.factories import ItemFactory, SectionFactory, UserFactory
from tracker import tasks
from tracker.models import Item, Membership, MentorDigest, ProjectSubmission, Section, Status
from tracker.selectors import mentor_digest as digest_reads
from tracker.services import mentor_digest
from tracker.services.progress import set_status

# Monday 2 March 2026, 07:00 UTC: Monday morning for a mentor in UTC.
MONDAY = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://roadmap.example.org"


@pytest.fixture
def eager_tasks():
    from roadmap_site.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def join(cohort, name, *, joined_at):
    user = UserFactory(email=f"{name.lower()}@example.com", display_name=name)
    Membership.objects.create(cohort=cohort, learner=user, joined_at=joined_at)
    return user


def inactive_since(learner, cohort, moment):
    Membership.objects.filter(learner=learner, cohort=cohort).update(joined_at=moment)


def test_newly_at_risk_learners_appear_once_across_weeks(time_machine, mentor, cohort, learner):
    # Alice joined three weeks before the first digest and has done nothing: at risk.
    inactive_since(learner, cohort, MONDAY - timedelta(days=21))
    erin = join(cohort, "Erin", joined_at=MONDAY - timedelta(days=8))  # idle 8 days: not yet

    time_machine.move_to(MONDAY, tick=False)
    assert mentor_digest.make_mentor_digests().sent == 1
    [first] = mail.outbox
    assert first.to == ["bob@example.com"]
    assert "Newly at risk (1):" in first.body
    assert f"Alice: https://roadmap.example.org/cohorts/{cohort.pk}/learners/{learner.pk}/" in (
        first.body
    )
    assert f"https://roadmap.example.org/cohorts/{cohort.pk}/" in first.body
    assert "Erin" not in first.body

    # A week on: Alice is still at risk (not new); Erin has now been idle for 15 days.
    time_machine.move_to(MONDAY + WEEK, tick=False)
    mail.outbox.clear()
    run = mentor_digest.make_mentor_digests()
    assert run.sent == 1
    [second] = mail.outbox
    assert "Newly at risk (1):" in second.body
    assert "Erin: https://roadmap.example.org" in second.body
    assert "Alice:" not in second.body
    assert "At risk now, in all: 2." in second.body
    assert (
        erin.pk
        in MentorDigest.objects.get(week_start=date(2026, 3, 9)).state[str(cohort.pk)]["at_risk"]
    )

    # A third week with nothing new: recorded, and no email.
    time_machine.move_to(MONDAY + 2 * WEEK, tick=False)
    mail.outbox.clear()
    run = mentor_digest.make_mentor_digests()
    assert (run.sent, run.quiet) == (0, 1)
    assert mail.outbox == []
    assert MentorDigest.objects.filter(mentor=mentor, emailed=False).count() == 1


def test_a_learner_who_finished_the_roadmap_in_the_week_is_listed_once(
    time_machine, mentor, cohort, learner
):
    time_machine.move_to(MONDAY - timedelta(days=3), tick=False)
    for item in cohort.roadmap.items.all():
        set_status(learner=learner, item=item, status=Status.DONE)

    time_machine.move_to(MONDAY, tick=False)
    mentor_digest.make_mentor_digests()
    assert "Finished the roadmap (1):" in mail.outbox[0].body
    assert "Alice:" in mail.outbox[0].body

    time_machine.move_to(MONDAY + WEEK, tick=False)
    mail.outbox.clear()
    mentor_digest.make_mentor_digests()
    assert mail.outbox == []  # still finished, nothing new


def test_a_learner_who_finished_long_ago_is_not_news_in_the_first_digest(
    time_machine, mentor, cohort, learner
):
    time_machine.move_to(MONDAY - timedelta(days=10), tick=False)
    for item in cohort.roadmap.items.all():
        set_status(learner=learner, item=item, status=Status.DONE)
    time_machine.move_to(MONDAY, tick=False)
    mentor_digest.make_mentor_digests()
    assert mail.outbox == []


def test_running_the_hour_again_sends_nothing_more(time_machine, mentor, cohort, learner):
    inactive_since(learner, cohort, MONDAY - timedelta(days=21))
    time_machine.move_to(MONDAY, tick=False)
    assert mentor_digest.make_mentor_digests().sent == 1
    time_machine.move_to(MONDAY + timedelta(minutes=40), tick=False)
    assert mentor_digest.make_mentor_digests().sent == 0
    assert len(mail.outbox) == 1
    assert MentorDigest.objects.count() == 1


def test_the_hourly_task_fans_out_and_twice_still_sends_once(
    time_machine, eager_tasks, mentor, cohort, learner, monkeypatch
):
    inactive_since(learner, cohort, MONDAY - timedelta(days=21))
    others = [UserFactory(is_mentor=True) for _ in range(2)]
    for other in others:
        cohort.mentors.add(other)
    monkeypatch.setattr(mentor_digest, "CHUNK_SIZE", 2)
    time_machine.move_to(MONDAY, tick=False)

    assert tasks.make_mentor_digests.apply().get() == {"chunks": 2}
    assert tasks.make_mentor_digests.apply().get() == {"chunks": 0}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in [mentor, *others])
    # A chunk run again (a redelivered task) finds every digest already sent.
    chunk = mentor_digest.Chunk(first_id=mentor.pk, last_id=others[-1].pk, time_zones=["UTC"])
    assert mentor_digest.digest_chunk(chunk=chunk, now=MONDAY) == []
    assert len(mail.outbox) == 3


def test_a_failed_digest_is_retried_on_its_own_and_sent_once(
    time_machine, eager_tasks, mentor, cohort, learner, monkeypatch
):
    inactive_since(learner, cohort, MONDAY - timedelta(days=21))
    time_machine.move_to(MONDAY, tick=False)
    chunk = next(mentor_digest.due_chunks(now=MONDAY))
    [digest_id] = mentor_digest.digest_chunk(chunk=chunk, now=MONDAY)
    real, attempts = mentor_digest._work_out_and_send, []

    def flaky(digest, now):
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionRefusedError("SMTP server down")
        return real(digest, now)

    monkeypatch.setattr(mentor_digest, "_work_out_and_send", flaky)
    result = tasks.send_mentor_digest.apply((digest_id, MONDAY.isoformat()), throw=False)
    assert result.get() is True
    assert tasks.send_mentor_digest.apply((digest_id, MONDAY.isoformat())).get() is False
    assert len(attempts) == 2 and len(mail.outbox) == 1


def test_each_mentor_gets_it_on_their_own_monday_morning(time_machine, cohort, learner):
    inactive_since(learner, cohort, MONDAY - timedelta(days=21))
    kiwi = UserFactory(email="kiwi@example.com", is_mentor=True, time_zone="Pacific/Auckland")
    londoner = UserFactory(email="london@example.com", is_mentor=True, time_zone="Europe/London")
    cohort.mentors.set([kiwi, londoner])

    # Sunday 17:59 UTC is Monday 06:59 in Auckland (NZDT, UTC+13): not yet.
    time_machine.move_to(datetime(2026, 3, 1, 17, 59, tzinfo=UTC), tick=False)
    assert mentor_digest.make_mentor_digests().sent == 0
    time_machine.move_to(datetime(2026, 3, 1, 18, 0, tzinfo=UTC), tick=False)
    assert mentor_digest.make_mentor_digests().sent == 1
    assert [m.to for m in mail.outbox] == [["kiwi@example.com"]]

    # London is on GMT in early March: Monday 07:00 there is 07:00 UTC.
    time_machine.move_to(datetime(2026, 3, 2, 6, 59, tzinfo=UTC), tick=False)
    assert mentor_digest.make_mentor_digests().sent == 0
    time_machine.move_to(datetime(2026, 3, 2, 7, 0, tzinfo=UTC), tick=False)
    assert mentor_digest.make_mentor_digests().sent == 1
    assert mail.outbox[-1].to == ["london@example.com"]


def test_a_mentor_whose_morning_passed_a_day_ago_waits_for_next_monday(
    time_machine, mentor, cohort, learner
):
    inactive_since(learner, cohort, MONDAY - timedelta(days=21))
    time_machine.move_to(MONDAY + timedelta(hours=24), tick=False)  # Tuesday 07:00
    assert mentor_digest.make_mentor_digests().sent == 0
    assert not MentorDigest.objects.exists()


def test_mentors_who_opted_out_or_run_no_cohort_get_nothing(time_machine, mentor, cohort, learner):
    inactive_since(learner, cohort, MONDAY - timedelta(days=21))
    UserFactory(is_mentor=True)  # no cohort
    mentor.mentor_digest = False
    mentor.save()
    time_machine.move_to(MONDAY, tick=False)
    assert mentor_digest.make_mentor_digests().sent == 0
    assert mail.outbox == [] and not MentorDigest.objects.exists()


def test_a_mentor_turns_the_digest_off_in_settings(mentor):
    from tests.builders import client_for

    response = client_for(mentor).post(
        "/me/",
        {"display_name": "Bob", "time_zone": "UTC", "weekly_hours": 5, "nudge_emails": "on"},
    )
    assert response.status_code == 302
    mentor.refresh_from_db()
    assert mentor.mentor_digest is False and mentor.nudge_emails is True


def test_the_digest_counts_projects_awaiting_the_mentors_review(
    time_machine, mentor, cohort, learner
):
    section = SectionFactory(roadmap=cohort.roadmap, kind=Section.Kind.PROJECTS, level="")
    project = ItemFactory(section=section, kind=Item.Kind.PROJECT, slug="chatbot")
    assert digest_reads.pending_review_count(mentor) == 0
    ProjectSubmission.objects.create(learner=learner, item=project, repo_url="https://x.org/r")
    assert digest_reads.pending_review_count(mentor) == 1
    assert digest_reads.pending_review_count(UserFactory(is_mentor=True)) == 0

    time_machine.move_to(MONDAY, tick=False)
    mentor_digest.make_mentor_digests()

    assert "Awaiting your review: 1 project submission." in mail.outbox[0].body


def test_the_command_twin_runs_the_same_digests(time_machine, mentor, cohort, learner, capsys):
    inactive_since(learner, cohort, MONDAY - timedelta(days=21))
    time_machine.move_to(MONDAY, tick=False)
    call_command("send_mentor_digests", "--dry-run")
    assert "bob@example.com" in capsys.readouterr().out
    assert not MentorDigest.objects.exists()
    call_command("send_mentor_digests")
    assert "1 mentor digest(s) sent" in capsys.readouterr().out
    assert len(mail.outbox) == 1


def test_the_hourly_schedule_is_installed_by_migration(db):
    task = PeriodicTask.objects.get(task="tracker.tasks.make_mentor_digests")
    assert task.crontab.minute == "15" and task.crontab.hour == "*" and task.enabled


def test_a_digest_takes_a_fixed_number_of_queries_per_cohort(
    mentor, cohort, learner, django_assert_num_queries
):
    for n in range(5):
        join(cohort, f"Member{n}", joined_at=MONDAY - timedelta(days=30))
    # cohorts and the count of submissions awaiting review; per cohort: its items (sections),
    # the members' flags (with its transaction's SET LOCAL on PostgreSQL: counted as a query)
    from django.db import connection

    per_cohort = 3 if connection.vendor == "postgresql" else 2
    with django_assert_num_queries(2 + per_cohort):
        content = digest_reads.mentor_digest(mentor, now=MONDAY, previous=None)
    assert (
        len(content.cohorts[0].newly_at_risk) == 5
    )  # not Alice: her membership is dated now, after MONDAY
