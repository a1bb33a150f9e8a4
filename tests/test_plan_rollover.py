"""The hourly rollover: snapshots as each learner's local week begins, and the digest."""

import time
from dataclasses import asdict
from datetime import UTC, date, datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from tests.factories import ItemFactory, ProgressFactory, SectionFactory, UserFactory
from tracker import tasks
from tracker.models import RoadmapFollow, Status, WeekPlan
from tracker.page_cache import learner_version
from tracker.schedules import ensure_schedules
from tracker.selectors.plans import load_plan_inputs, this_week_plan
from tracker.services import plans


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://roadmap.example.org"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def roadmap_items(db):
    section = SectionFactory()
    items = [
        ItemFactory(section=section, title=f"Topic {n}", effort_hours=4, order=n) for n in range(6)
    ]
    return section.roadmap, items


def follower(roadmap, **fields):
    learner = UserFactory(**fields)
    RoadmapFollow.objects.create(learner=learner, roadmap=roadmap)
    return learner


def test_auckland_week_begins_while_los_angeles_is_still_in_last_week(time_machine, roadmap_items):
    roadmap, _ = roadmap_items
    kiwi = follower(roadmap, time_zone="Pacific/Auckland")
    angeleno = follower(roadmap, time_zone="America/Los_Angeles")
    # Sunday 1 March, 10:59 UTC: 23:59 on Sunday in Auckland (UTC+13).
    time_machine.move_to(datetime(2026, 3, 1, 10, 59, tzinfo=UTC), tick=False)
    plans.make_weekly_plans()
    assert list(WeekPlan.objects.filter(learner=kiwi).values_list("week_start", flat=True)) == [
        date(2026, 2, 23)
    ]

    # 11:00 UTC is Monday 00:00 in Auckland: a new week there, still Saturday in Los Angeles.
    time_machine.move_to(datetime(2026, 3, 1, 11, 0, tzinfo=UTC), tick=False)
    result = plans.make_weekly_plans()
    assert result.snapshots_created == 1
    assert WeekPlan.objects.filter(learner=kiwi, week_start=date(2026, 3, 2)).exists()
    assert not WeekPlan.objects.filter(learner=angeleno, week_start=date(2026, 3, 2)).exists()

    # Monday 00:00 in Los Angeles is 08:00 UTC (PST, UTC-8).
    time_machine.move_to(datetime(2026, 3, 2, 8, 0, tzinfo=UTC), tick=False)
    assert plans.make_weekly_plans().snapshots_created == 1
    assert WeekPlan.objects.filter(learner=angeleno, week_start=date(2026, 3, 2)).exists()


def test_los_angeles_week_begins_an_hour_earlier_in_utc_after_daylight_saving(
    time_machine, roadmap_items
):
    roadmap, _ = roadmap_items
    angeleno = follower(roadmap, time_zone="America/Los_Angeles")
    # Clocks went forward on Sunday 8 March 2026: Monday 9 March 00:00 PDT is 07:00 UTC.
    time_machine.move_to(datetime(2026, 3, 9, 6, 59, tzinfo=UTC), tick=False)
    plans.make_weekly_plans()
    assert not WeekPlan.objects.filter(learner=angeleno, week_start=date(2026, 3, 9)).exists()
    time_machine.move_to(datetime(2026, 3, 9, 7, 0, tzinfo=UTC), tick=False)
    plans.make_weekly_plans()
    assert WeekPlan.objects.filter(learner=angeleno, week_start=date(2026, 3, 9)).exists()


def test_auckland_week_begins_an_hour_later_in_utc_after_daylight_saving_ends(
    time_machine, roadmap_items
):
    roadmap, _ = roadmap_items
    kiwi = follower(roadmap, time_zone="Pacific/Auckland")
    # NZDT ended on Sunday 5 April 2026: Monday 6 April 00:00 NZST (UTC+12) is 12:00 UTC.
    time_machine.move_to(datetime(2026, 4, 5, 11, 59, tzinfo=UTC), tick=False)
    plans.make_weekly_plans()
    assert not WeekPlan.objects.filter(learner=kiwi, week_start=date(2026, 4, 6)).exists()
    time_machine.move_to(datetime(2026, 4, 5, 12, 0, tzinfo=UTC), tick=False)
    plans.make_weekly_plans()
    assert WeekPlan.objects.filter(learner=kiwi, week_start=date(2026, 4, 6)).exists()


def test_a_second_run_in_the_same_hour_creates_and_sends_nothing(time_machine, roadmap_items):
    roadmap, _ = roadmap_items
    learner = follower(roadmap, digest_opt_in=True)
    time_machine.move_to(datetime(2026, 3, 2, 0, 0, tzinfo=UTC), tick=False)
    first = plans.make_weekly_plans()
    time_machine.move_to(datetime(2026, 3, 2, 0, 40, tzinfo=UTC), tick=False)
    second = plans.make_weekly_plans()
    assert (first.snapshots_created, first.digests_sent) == (1, 1)
    assert (second.snapshots_created, second.digests_sent) == (0, 0)
    assert WeekPlan.objects.filter(learner=learner).count() == 1
    assert len(mail.outbox) == 1


def test_learners_who_did_not_opt_in_get_a_snapshot_but_no_email(time_machine, roadmap_items):
    roadmap, _ = roadmap_items
    follower(roadmap, digest_opt_in=False)
    time_machine.move_to(datetime(2026, 3, 2, 0, 0, tzinfo=UTC), tick=False)
    assert plans.make_weekly_plans().snapshots_created == 1
    assert mail.outbox == []


def test_a_week_already_snapshotted_by_a_visit_still_gets_its_digest_once(
    time_machine, roadmap_items
):
    roadmap, _ = roadmap_items
    learner = follower(roadmap, digest_opt_in=True)
    time_machine.move_to(datetime(2026, 3, 2, 0, 10, tzinfo=UTC), tick=False)
    plans.ensure_week_snapshot(learner=learner)  # the learner opened /plan/ just after midnight
    time_machine.move_to(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), tick=False)
    assert plans.make_weekly_plans().digests_sent == 1
    assert plans.make_weekly_plans().digests_sent == 0
    assert len(mail.outbox) == 1


def test_opting_in_mid_week_waits_for_next_monday(time_machine, roadmap_items):
    roadmap, _ = roadmap_items
    learner = follower(roadmap)
    time_machine.move_to(datetime(2026, 3, 2, 0, 0, tzinfo=UTC), tick=False)
    plans.make_weekly_plans()
    learner.digest_opt_in = True
    learner.save()
    time_machine.move_to(datetime(2026, 3, 5, 9, 0, tzinfo=UTC), tick=False)
    assert plans.make_weekly_plans().digests_sent == 0
    time_machine.move_to(datetime(2026, 3, 9, 0, 0, tzinfo=UTC), tick=False)
    assert plans.make_weekly_plans().digests_sent == 1


def test_a_failed_digest_is_retried_on_the_next_run(time_machine, roadmap_items, monkeypatch):
    roadmap, _ = roadmap_items
    follower(roadmap, digest_opt_in=True)
    time_machine.move_to(datetime(2026, 3, 2, 0, 0, tzinfo=UTC), tick=False)

    def broken(**kwargs):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr(plans, "send_weekly_digest", broken)
    assert plans.make_weekly_plans().digest_failures == 1
    monkeypatch.undo()
    time_machine.move_to(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), tick=False)
    assert plans.make_weekly_plans().digests_sent == 1
    assert len(mail.outbox) == 1


def test_digest_reports_last_week_this_week_and_what_carried_over(time_machine, roadmap_items):
    roadmap, items = roadmap_items
    learner = follower(roadmap, digest_opt_in=True, weekly_hours=8, display_name="Alice")
    # Week of 23 February: Topic 0 and Topic 1 (4 h each) are planned.
    time_machine.move_to(datetime(2026, 2, 23, 0, 0, tzinfo=UTC), tick=False)
    plans.make_weekly_plans()
    mail.outbox.clear()
    time_machine.move_to(datetime(2026, 2, 25, 12, 0, tzinfo=UTC), tick=False)
    ProgressFactory(
        learner=learner,
        item=items[0],
        status=Status.DONE,
        completed_at=datetime(2026, 2, 25, 12, 0, tzinfo=UTC),
    )

    time_machine.move_to(datetime(2026, 3, 2, 0, 0, tzinfo=UTC), tick=False)
    plans.make_weekly_plans()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [learner.email]
    assert message.subject == "Your study plan for the week of 2 March"
    text = message.body
    assert "Planned 8 h, done 4 h (50%)" in text
    assert "[x] Topic 0 (4 h)" in text
    assert "[ ] Topic 1 (4 h)" in text
    this_week = text.split("THIS WEEK")[1]
    assert "- Topic 1 (4 h)" in this_week and "- Topic 2 (4 h)" in this_week
    carried = text.split("CARRIED OVER FROM LAST WEEK")[1]
    assert "- Topic 1" in carried and "Topic 2" not in carried.split("Projected")[0]
    assert "https://roadmap.example.org/plan/" in text
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Carried over from last week" in html
    assert 'href="https://roadmap.example.org/plan/"' in html


def test_learners_with_nothing_to_plan_are_not_visited(time_machine, db):
    UserFactory()  # follows nothing and has no progress
    time_machine.move_to(datetime(2026, 3, 2, 0, 0, tzinfo=UTC), tick=False)
    assert plans.make_weekly_plans().snapshots_created == 0


def test_the_command_and_the_task_run_the_same_rollover(time_machine, roadmap_items, capsys):
    roadmap, _ = roadmap_items
    learner = follower(roadmap)
    time_machine.move_to(datetime(2026, 3, 2, 0, 0, tzinfo=UTC), tick=False)
    call_command("make_weekly_plans", "--dry-run")
    assert learner.email in capsys.readouterr().out
    assert not WeekPlan.objects.exists()
    call_command("make_weekly_plans")
    assert "1 week plan(s) saved" in capsys.readouterr().out
    assert tasks.make_weekly_plans.apply().get() == {"chunks": 0}  # nobody is due any more
    assert WeekPlan.objects.count() == 1


def test_the_hourly_schedule_is_installed_by_migration_and_ensured_idempotently(db):
    task = PeriodicTask.objects.get(task="tracker.tasks.make_weekly_plans")
    assert task.crontab.minute == "0" and task.crontab.hour == "*"
    assert task.enabled
    assert "Weekly study plans" not in ensure_schedules()
    assert PeriodicTask.objects.filter(task="tracker.tasks.make_weekly_plans").count() == 1


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_overlapping_runs_save_one_snapshot_and_send_one_digest(roadmap_items):
    import threading

    from django.db import connection

    roadmap, _ = roadmap_items
    learner = follower(roadmap, digest_opt_in=True)
    now = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(plans.make_weekly_plans(now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert WeekPlan.objects.filter(learner=learner).count() == 1
    assert sum(r.snapshots_created for r in results) == 1
    assert sum(r.digests_sent for r in results) == 1
    assert len(mail.outbox) == 1


# ---- the rollover in chunks -------------------------------------------------------------------

MONDAY = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


@pytest.fixture
def eager_tasks():
    # With REDIS_URL set, queued tasks go to the broker; these tests have no worker running.
    from roadmap_site.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def chunk_of(learners, *zones):
    return plans.Chunk(
        first_id=min(u.pk for u in learners),
        last_id=max(u.pk for u in learners),
        time_zones=list(zones or ["UTC"]),
    )


def test_due_learners_are_fanned_out_in_id_ranges_not_one_message_per_learner(roadmap_items):
    roadmap, _ = roadmap_items
    due = [follower(roadmap) for _ in range(7)]
    angeleno = follower(roadmap, time_zone="America/Los_Angeles")  # still Sunday there
    plans.ensure_week_snapshot(learner=angeleno, now=MONDAY)  # so last week is planned
    chunks = list(plans.due_chunks(now=MONDAY, size=3))
    assert [(c.first_id, c.last_id) for c in chunks] == [
        (due[0].pk, due[2].pk),
        (due[3].pk, due[5].pk),
        (due[6].pk, due[6].pk),
    ]
    assert all(c.time_zones == ["UTC"] for c in chunks)


def test_a_chunk_saves_the_same_snapshots_as_saving_each_learner_alone(roadmap_items):
    roadmap, items = roadmap_items
    ItemFactory(section=items[0].section, title="Capstone", order=9).prerequisites.add(items[5])
    other = SectionFactory()
    other_items = [ItemFactory(section=other, effort_hours=3, order=n) for n in range(3)]
    items[1].prerequisites.add(items[3])
    plain = follower(roadmap, weekly_hours=6)
    both = follower(other.roadmap, weekly_hours=10)
    RoadmapFollow.objects.create(learner=both, roadmap=roadmap, position=1)
    busy = follower(roadmap, weekly_hours=5, time_zone="Europe/London")
    ProgressFactory(learner=busy, item=items[0], status=Status.DONE)
    ProgressFactory(learner=busy, item=items[1], status=Status.IN_PROGRESS)
    # Progress on a roadmap they never chose: ticking followed it (or 0014 did, for older rows).
    ticked_only = UserFactory()
    ProgressFactory(learner=ticked_only, item=other_items[0], status=Status.SKIPPED)
    RoadmapFollow.objects.create(learner=ticked_only, roadmap=other.roadmap)
    learners = [plain, both, busy, ticked_only]

    result = plans.plan_chunk(chunk=chunk_of(learners, "UTC", "Europe/London"), now=MONDAY)

    assert result.snapshots_created == 4
    for learner in learners:
        snapshot = WeekPlan.objects.get(learner=learner)
        expected = this_week_plan(learner, load_plan_inputs(learner), MONDAY)["entries"]
        assert snapshot.entries == expected and expected
        assert (snapshot.week_start, snapshot.weekly_hours) == (
            date(2026, 3, 2),
            learner.weekly_hours,
        )


@pytest.mark.parametrize("learners", [5, 50])
def test_a_chunk_runs_the_same_queries_for_5_or_50_learners(
    roadmap_items, learners, django_assert_num_queries
):
    roadmap, items = roadmap_items
    items[2].prerequisites.add(items[1])
    chunk = [follower(roadmap, digest_opt_in=True) for _ in range(learners)]
    for learner in chunk:
        ProgressFactory(learner=learner, item=items[0], status=Status.DONE)
    # savepoint, learners due (locked), active roadmaps, follows, progress, items,
    # prerequisite links, cohort schedules, progress events (pace
    # factors), review cards, insert of the snapshots, snapshots whose digest
    # is due, release
    with django_assert_num_queries(13):
        result = plans.plan_chunk(chunk=chunk_of(chunk), now=MONDAY)
    assert result.snapshots_created == len(result.digest_snapshot_ids) == learners


def test_a_chunk_run_again_saves_nothing_and_keeps_what_a_visit_saved(roadmap_items):
    roadmap, _ = roadmap_items
    visited, other = follower(roadmap), follower(roadmap)
    plans.ensure_week_snapshot(learner=visited, now=MONDAY)
    kept = WeekPlan.objects.get(learner=visited)
    chunk = chunk_of([visited, other])
    assert plans.plan_chunk(chunk=chunk, now=MONDAY).snapshots_created == 1
    assert plans.plan_chunk(chunk=chunk, now=MONDAY).snapshots_created == 0
    assert WeekPlan.objects.count() == 2
    assert WeekPlan.objects.get(learner=visited).pk == kept.pk


def test_a_chunk_refreshes_its_learners_pages_after_commit(
    roadmap_items, django_capture_on_commit_callbacks
):
    roadmap, _ = roadmap_items
    learner = follower(roadmap)
    before = learner_version(learner.pk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        plans.plan_chunk(chunk=chunk_of([learner]), now=MONDAY)
        assert learner_version(learner.pk) == before  # not before the snapshot is visible
    assert len(callbacks) == 1
    assert learner_version(learner.pk) != before


def test_the_hourly_task_fans_out_chunks_that_save_snapshots_and_send_digests(
    roadmap_items, eager_tasks, monkeypatch, time_machine
):
    roadmap, _ = roadmap_items
    learners = [follower(roadmap, digest_opt_in=n % 2 == 0) for n in range(5)]
    monkeypatch.setattr(plans, "CHUNK_SIZE", 2)
    time_machine.move_to(MONDAY, tick=False)
    assert tasks.make_weekly_plans.apply().get() == {"chunks": 3}
    assert WeekPlan.objects.filter(learner__in=learners).count() == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in learners[::2])


def test_a_failed_digest_task_is_retried_on_its_own_and_sent_once(
    roadmap_items, eager_tasks, monkeypatch
):
    roadmap, _ = roadmap_items
    learner = follower(roadmap, digest_opt_in=True)
    snapshot_id = plans.plan_chunk(chunk=chunk_of([learner]), now=MONDAY).digest_snapshot_ids[0]
    real_send, attempts = plans.send_weekly_digest, []

    def flaky(**kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionRefusedError("SMTP server down")
        return real_send(**kwargs)

    monkeypatch.setattr(plans, "send_weekly_digest", flaky)
    # throw=False: as on a worker, the retry is queued (run at once here) instead of raised.
    assert tasks.send_digest.apply((snapshot_id, MONDAY.isoformat()), throw=False).get() is True
    assert tasks.send_digest.apply(args=(snapshot_id, MONDAY.isoformat())).get() is False
    assert len(attempts) == 2
    assert len(mail.outbox) == 1


def test_one_run_sends_digests_only_where_the_week_began_within_a_day(roadmap_items, eager_tasks):
    roadmap, _ = roadmap_items
    londoner = follower(roadmap, digest_opt_in=True, time_zone="Europe/London")
    kiwi = follower(roadmap, digest_opt_in=True, time_zone="Pacific/Auckland")
    # Monday 11:30 UTC: London's week began 11.5 hours ago, Auckland's 24.5 hours ago (NZDT).
    now = datetime(2026, 3, 2, 11, 30, tzinfo=UTC)
    plans.ensure_week_snapshot(learner=kiwi, now=now)  # Auckland planned by a visit, no digest
    result = plans.make_weekly_plans(now=now)
    assert (result.snapshots_created, result.digests_sent) == (1, 1)
    assert [m.to for m in mail.outbox] == [[londoner.email]]
    assert WeekPlan.objects.filter(week_start=date(2026, 3, 2)).count() == 2


@pytest.fixture
def celery_worker_thread(transactional_db):
    from celery.contrib.testing.worker import start_worker

    from roadmap_site.celery import app

    with start_worker(app, perform_ping_check=False, shutdown_timeout=20):
        yield


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.needs_redis
def test_a_real_worker_plans_the_chunks_and_sends_the_digests_through_the_broker(
    celery_worker_thread, roadmap_items
):
    roadmap, _ = roadmap_items
    learners = [follower(roadmap, digest_opt_in=True) for _ in range(3)]
    for chunk in plans.due_chunks(now=MONDAY, size=2):
        tasks.plan_chunk.delay(asdict(chunk), MONDAY.isoformat())  # as JSON, through Redis
    assert wait_for(lambda: len(mail.outbox) == 3)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in learners)
    assert WeekPlan.objects.filter(week_start=date(2026, 3, 2)).count() == 3

    # The hourly task at the real time: these learners' current week is due.
    tasks.make_weekly_plans.delay()
    assert wait_for(lambda: WeekPlan.objects.count() == 6)
