"""Link health around the checker: syncing links from content, recording results without false
alarms, runs (lock, chunks, resume), the Celery worker, the admin, the command, learners' notes.

Every check goes to the real local server in tests/linkcheck_server.py with private
addresses allowed (it listens on 127.0.0.1) and delays shrunk.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from tests.factories import ItemFactory, ResourceFactory, UserFactory
from tests.linkcheck_server import CaseServer
from tracker import linkcheck, tasks
from tracker.models import HostRule, Link, LinkAlertRecipient, LinkCheck, LinkState
from tracker.page_cache import content_version
from tracker.services import links as link_service

T0 = datetime(2026, 3, 2, 3, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def server():
    server = CaseServer().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fast_checks(settings):
    settings.LINKCHECK_ALLOW_PRIVATE = True
    settings.LINKCHECK_HOST_INTERVAL = 0
    settings.LINKCHECK_HOST_INTERVALS = {}
    settings.LINKCHECK_BACKOFF = [0.01]
    settings.LINKCHECK_RESPONSE_TIMEOUT = 1
    settings.LINKCHECK_URL_TIMEOUT = 3
    settings.SITE_URL = "https://roadmap.test"


@pytest.fixture
def staff(db):
    return UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def link_for(url: str) -> Link:
    return Link.objects.get(url=linkcheck.normalize_url(url))


# --- Sync -----------------------------------------------------------------------------------


def test_sync_creates_one_link_per_normalised_url_from_resources_and_badges(db):
    ResourceFactory(url="https://Example.org/paper#section-2")
    ResourceFactory(url="https://example.org/paper")
    ResourceFactory(url="")
    ItemFactory(badge_url="https://img.shields.io/badge/x.svg")

    result = link_service.sync_links()

    assert result.created == 2
    assert set(Link.objects.values_list("url", flat=True)) == {
        "https://example.org/paper",
        "https://img.shields.io/badge/x.svg",
    }
    assert link_service.sync_links().created == 0  # idempotent


def test_links_no_longer_used_by_content_are_not_checked_but_keep_history(db):
    resource = ResourceFactory(url="https://example.org/old")
    link_service.sync_links()
    resource.archived_at = T0
    resource.save()

    assert link_service.sync_links().retired == 1
    assert not Link.objects.checkable().exists()
    assert Link.objects.filter(url="https://example.org/old").exists()


# --- The rule against false alarms ----------------------------------------------------------


def result(state: str, **kwargs) -> linkcheck.CheckResult:
    return linkcheck.CheckResult(url="https://example.org/", state=state, **kwargs)


def test_one_broken_check_changes_nothing_learners_see(db):
    link = Link(url="https://example.org/", host="example.org", state=LinkState.OK)
    link_service.apply_result(link, result("broken", http_status=404), now=T0)
    assert (link.state, link.last_result, link.consecutive_failures) == ("ok", "broken", 1)
    assert link.first_failure_at == T0


def test_two_broken_checks_less_than_24_hours_apart_do_not_confirm(db):
    link = Link(url="https://example.org/", host="example.org")
    link_service.apply_result(link, result("broken"), now=T0)
    link_service.apply_result(link, result("broken"), now=T0 + timedelta(hours=23, minutes=59))
    assert link.state == LinkState.UNVERIFIED
    assert link.confirmed_broken_at is None
    # The confirming check is due once the 24 hours are over, not a day later.
    assert link.next_check_at == T0 + timedelta(hours=24)


def test_transient_failures_never_mark_a_link_broken(db):
    link = Link(url="https://example.org/", host="example.org", state=LinkState.OK)
    for day in range(5):
        link_service.apply_result(link, result("transient"), now=T0 + timedelta(days=day))
    assert link.state == LinkState.OK
    assert link.consecutive_failures == 0


def test_a_good_check_between_failures_starts_the_count_again(db):
    link = Link(url="https://example.org/", host="example.org")
    link_service.apply_result(link, result("broken"), now=T0)
    link_service.apply_result(link, result("ok"), now=T0 + timedelta(hours=12))
    link_service.apply_result(link, result("broken"), now=T0 + timedelta(hours=25))
    assert (link.state, link.consecutive_failures) == (LinkState.OK, 1)


def test_ok_links_are_rechecked_within_a_week_spread_over_the_days(db):
    firsts = {(link_service.next_ok_check(now=T0, first_time=True) - T0).days for _ in range(300)}
    assert firsts == {1, 2, 3, 4, 5, 6}
    later = link_service.next_ok_check(now=T0, first_time=False) - T0
    assert timedelta(days=6, hours=12) <= later <= timedelta(days=7)


def test_a_link_is_confirmed_broken_after_two_scheduled_runs_24_hours_apart(
    db, server, staff, mailoutbox
):
    dead = ResourceFactory(url=server.url("/status/404?t=confirm"), title="Dead paper")
    alive = ResourceFactory(url=server.url("/ok?t=confirm"))
    LinkAlertRecipient.objects.create(user=staff)
    UserFactory(email="quiet-admin@example.com", is_staff=True)  # did not opt in

    with time_machine.travel(T0, tick=True):
        link_service.run_full_check()
    assert link_for(dead.url).state == LinkState.UNVERIFIED
    assert link_for(alive.url).state == LinkState.OK

    with time_machine.travel(T0 + timedelta(hours=23), tick=True):
        link_service.run_full_check()
    assert link_for(dead.url).state == LinkState.UNVERIFIED
    assert mailoutbox == []

    with time_machine.travel(T0 + timedelta(hours=24, minutes=5), tick=True):
        summary = link_service.run_full_check()
    link = link_for(dead.url)
    assert link.state == LinkState.BROKEN
    assert summary.newly_confirmed == 1
    [email] = mailoutbox
    assert email.to == ["admin@example.com"]
    assert dead.url.split("#")[0] in email.body and "Dead paper" in email.body
    assert alive.url not in email.body

    with time_machine.travel(T0 + timedelta(hours=49), tick=True):
        link_service.run_full_check()
    assert len(mailoutbox) == 1  # only newly confirmed links are ever reported
    assert link_for(dead.url).state == LinkState.BROKEN


def test_a_broken_link_that_comes_back_is_ok_again(db, server):
    link = Link.objects.create(
        url=server.url("/ok?t=back"),
        host="127.0.0.1",
        state=LinkState.BROKEN,
        last_result=LinkState.BROKEN,
        consecutive_failures=3,
        confirmed_broken_at=T0,
        first_failure_at=T0,
    )
    link_service.check_links(links=[link])
    link.refresh_from_db()
    assert (link.state, link.consecutive_failures, link.confirmed_broken_at) == ("ok", 0, None)


def test_each_check_is_kept_in_the_history(db, server):
    ResourceFactory(url=server.url("/chain/301?t=history"))
    link_service.run_full_check()
    [check] = LinkCheck.objects.all()
    assert check.state == LinkState.REDIRECTED
    assert check.redirects[0]["status"] == 301
    assert check.final_url == server.url("/ok")
    assert link_for(server.url("/chain/301?t=history")).suggested_url == server.url("/ok")


# --- Runs: lock, chunks, resume -------------------------------------------------------------


def test_a_second_run_does_nothing_while_one_holds_the_lock(db, server):
    ResourceFactory(url=server.url("/ok?t=locked"))
    with link_service.run_lock(link_service.FULL_RUN_LOCK) as renew:
        assert renew is not None
        summary = link_service.run_full_check()
    assert summary.locked
    assert not LinkCheck.objects.exists()
    assert link_service.run_full_check().checked == 1  # released afterwards


@pytest.fixture
def redis_client(settings):
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)


def run_lock_in_thread(name: str, **kwargs) -> tuple[bool, float]:
    """Try the lock from another thread, as another process would: (got it, seconds taken)."""
    outcome = []

    def attempt():
        started = time.monotonic()
        with link_service.run_lock(name, **kwargs) as renew:
            outcome.append((renew is not None, time.monotonic() - started))

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join()
    return outcome[0]


@pytest.mark.needs_redis
def test_the_redis_lock_is_shared_and_lasts_as_long_as_its_run(redis_client):
    name = "linkcheck:test-lock"
    with link_service.run_lock(name, owner="task-1", ttl=1) as renew:
        assert renew is not None
        assert 0 < redis_client.pttl(link_service.lock_key(name)) <= 1000
        time.sleep(2.5)  # longer than the TTL: the heartbeat keeps renewing it
        assert run_lock_in_thread(name, owner="task-2") == (False, pytest.approx(0, abs=0.5))
        assert renew()
    assert not redis_client.exists(link_service.lock_key(name))
    with link_service.run_lock(name) as renew:
        assert renew is not None


@pytest.mark.needs_redis
def test_a_redelivered_task_takes_over_the_lock_its_killed_run_left(redis_client):
    name = "linkcheck:test-lock"
    # What a killed run leaves: its token, and no heartbeat to renew it.
    redis_client.set(link_service.lock_key(name), "task-1:dead", px=1500)

    assert run_lock_in_thread(name, owner="task-2", ttl=2) == (False, pytest.approx(0, abs=0.5))
    took_over, waited = run_lock_in_thread(name, owner="task-1", ttl=2)
    assert took_over and 1 < waited < 2


@pytest.mark.needs_redis
def test_a_redelivered_task_leaves_a_live_run_alone(redis_client):
    # The broker also redelivers a task that is still running once its visibility timeout
    # is over; the live run's heartbeat keeps the lock, so the redelivery gives up.
    name = "linkcheck:test-lock"
    with link_service.run_lock(name, owner="task-1", ttl=1) as renew:
        assert renew is not None
        took_over, waited = run_lock_in_thread(name, owner="task-1", ttl=1)
        assert not took_over and waited > 1.5
        assert renew()


@pytest.mark.needs_redis
def test_a_run_that_loses_its_lock_stops_before_its_next_chunk(db, server, redis_client):
    for n in range(5):
        ResourceFactory(url=server.url(f"/status/404?t=lost-{n}"))

    def lose_lock(pairs):
        redis_client.delete(link_service.lock_key(link_service.FULL_RUN_LOCK))

    summary = link_service.run_full_check(chunk_size=2, after_chunk=lose_lock)

    # Another run may hold the lock by now: checking on would overlap it.
    assert (summary.stopped, summary.checked, LinkCheck.objects.count()) == (True, 2, 2)


def test_a_killed_run_loses_at_most_its_chunk_and_the_next_run_completes(db, server):
    urls = [server.url(f"/ok?t=resume-{n}") for n in range(5)] + [server.url("/status/404")]
    for url in urls:
        ResourceFactory(url=url)

    class WorkerKilled(Exception):
        pass

    def die(pairs):
        raise WorkerKilled

    with pytest.raises(WorkerKilled):
        link_service.run_full_check(chunk_size=2, after_chunk=die)
    assert LinkCheck.objects.count() == 2

    summary = link_service.run_full_check(chunk_size=2)
    assert summary.checked == 4
    # Every link checked exactly once across both runs: the resumed run skipped the first chunk.
    assert sorted(Link.objects.values_list("checks__link_id", flat=True)) == sorted(
        Link.objects.values_list("id", flat=True)
    )


def test_new_links_are_checked_by_the_five_minute_task_and_others_are_left_alone(db, server):
    old = ResourceFactory(url=server.url("/ok?t=old"))
    link_service.run_full_check()
    ResourceFactory(url=server.url("/ok?t=new"))

    summary = link_service.run_quick_check()

    assert summary.checked == 1
    assert link_for(server.url("/ok?t=new")).last_result == LinkState.OK
    assert link_for(old.url).checks.count() == 1


def test_the_five_minute_task_makes_the_confirming_check_once_24_hours_are_over(db, server):
    ResourceFactory(url=server.url("/status/410?t=quick"))
    with time_machine.travel(T0, tick=True):
        link_service.run_full_check()
    with time_machine.travel(T0 + timedelta(hours=24, minutes=1), tick=True):
        link_service.run_quick_check()
    assert link_for(server.url("/status/410?t=quick")).state == LinkState.BROKEN


def test_the_daily_and_five_minute_schedules_exist_for_beat(db):
    daily = PeriodicTask.objects.get(task="tracker.tasks.run_link_check")
    assert (daily.crontab.hour, daily.crontab.minute) == ("3", "30")
    assert PeriodicTask.objects.get(task="tracker.tasks.check_new_links").crontab.minute == "*/5"


def test_admin_host_rules_reach_the_checker(db, settings):
    settings.LINKCHECK_HOST_INTERVALS = {"arxiv.org": 3.0}
    HostRule.objects.create(host="arxiv.org", max_per_host=1)
    HostRule.objects.create(host="Slow.example", min_interval_s=10, excluded=True)
    config = link_service.checker_config()
    assert config.rule_for("export.arxiv.org") == linkcheck.HostRule(3.0, 1, False)
    assert config.rule_for("slow.example") == linkcheck.HostRule(10, None, True)
    assert config.user_agent == "RoadmapTracker-LinkCheck/1.0 (+https://roadmap.test)"


# --- The real worker ------------------------------------------------------------------------


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
def test_a_real_worker_runs_the_scheduled_check_end_to_end(celery_worker_thread, server):
    ResourceFactory(url=server.url("/ok?t=worker"))
    ResourceFactory(url=server.url("/status/404?t=worker"))

    tasks.run_link_check.delay()

    assert wait_for(lambda: LinkCheck.objects.count() == 2)
    states = dict(Link.objects.values_list("url", "last_result"))
    assert states == {
        server.url("/ok?t=worker"): "ok",
        server.url("/status/404?t=worker"): "broken",
    }


# --- A worker child killed mid-run ---------------------------------------------------------


class PreforkWorker:
    """`celery worker --pool=prefork` in a subprocess, on a queue of its own."""

    def __init__(self, log: Path, *, concurrency: int = 1):
        self.queue = f"linkcheck-kill-{uuid.uuid4().hex[:8]}"
        self.log = log
        # The worker must see this test's committed rows: same test database, same Redis DB.
        database_url = urlsplit(os.environ["DATABASE_URL"])
        env = {
            **os.environ,
            "DATABASE_URL": database_url._replace(
                path="/" + connection.settings_dict["NAME"]
            ).geturl(),
            "LINKCHECK_ALLOW_PRIVATE": "1",
            "LINKCHECK_HOST_INTERVAL": "0",
            "LINKCHECK_HOST_INTERVALS": "",
            "LINKCHECK_BACKOFF": "0.01",
            "LINKCHECK_CHUNK_SIZE": "2",
        }
        command = [sys.executable, "-m", "celery", "-A", "roadmap_site", "worker"]
        command += ["--pool=prefork", f"--concurrency={concurrency}", "-Q", self.queue]
        command += ["--loglevel=INFO"]
        command += ["-n", f"{self.queue}@%h", "--without-mingle", "--without-gossip"]
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                command,
                cwd=Path(__file__).resolve().parent.parent,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so cleanup reaches the children
            )

    def children(self) -> list[int]:
        pid = self.process.pid
        return [
            int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ]

    def stop(self) -> None:
        for sig, wait in [(signal.SIGTERM, 20), (signal.SIGKILL, 10)]:
            try:
                os.killpg(self.process.pid, sig)
                self.process.wait(wait)
                return
            except ProcessLookupError:
                return
            except subprocess.TimeoutExpired:
                continue


@pytest.fixture
def start_prefork_worker(transactional_db, tmp_path, redis_client):
    """Starts a worker subprocess; stops it, and drops its queue, after the test."""
    # A lock left by an aborted test run would hold the first run back.
    redis_client.delete(link_service.lock_key(link_service.FULL_RUN_LOCK))
    workers = []

    def start(*, concurrency: int = 1) -> PreforkWorker:
        workers.append(PreforkWorker(tmp_path / "worker.log", concurrency=concurrency))
        return workers[-1]

    yield start
    for worker in workers:
        worker.stop()
        redis_client.delete(worker.queue)
        print(worker.log.read_text())  # pytest shows it when the test fails


@pytest.fixture
def slow_server():
    server = CaseServer().start()
    yield server
    server.stop()


@pytest.mark.slow
@pytest.mark.needs_redis
@pytest.mark.needs_postgres
def test_a_run_whose_worker_child_is_killed_is_redelivered_and_finishes_within_a_minute(
    start_prefork_worker, slow_server
):
    worker = start_prefork_worker()
    urls = [slow_server.url(f"/hold?s=0.4&t=kill-{n}") for n in range(12)]
    for url in urls:
        ResourceFactory(url=url)

    task_id = tasks.run_link_check.apply_async(queue=worker.queue).id
    # Two chunks of two saved, the third in flight: kill the pool child there.
    assert wait_for(lambda: LinkCheck.objects.count() >= 4, timeout=60)
    [child] = worker.children()
    os.kill(child, signal.SIGKILL)
    killed_at = time.monotonic()
    # Let requests the child sent just before dying reach the server. The redelivered task
    # sends none meanwhile: it first waits for the dead run's lock to lapse.
    time.sleep(0.5)
    with slow_server.lock:
        requested = {slow_server.url(path) for path in slow_server.hits}
    recorded = set(LinkCheck.objects.values_list("link__url", flat=True))
    assert len(recorded) < len(urls)
    in_flight = requested - recorded

    assert wait_for(lambda: not Link.objects.filter(last_checked_at=None).exists(), timeout=60)
    assert time.monotonic() - killed_at < 60
    # Checked once each, apart from the requests the killed child had in flight.
    hits = {slow_server.url(path): count for path, count in slow_server.hits.items()}
    checked_twice = {url for url in urls if hits[url] != 1}
    assert checked_twice <= in_flight and len(checked_twice) <= 2  # at most one chunk
    assert max(hits.values()) <= 2
    assert sorted(LinkCheck.objects.values_list("link__url", flat=True)) == sorted(urls)
    # Celery put the task back at once (not after the broker's hour-long visibility timeout):
    # the same task was received twice, and the second delivery succeeded.
    task = f"tracker.tasks.run_link_check[{task_id}]"
    assert wait_for(lambda: f"{task} succeeded" in worker.log.read_text(), timeout=10)
    log = worker.log.read_text()
    assert "WorkerLostError" in log
    assert log.count(f"{task} received") == 2
    # The redelivered run skipped the links whose results the killed one had saved.
    assert f"'checked': {len(urls) - len(recorded)}," in log


@pytest.mark.slow
@pytest.mark.needs_redis
@pytest.mark.needs_postgres
def test_two_runs_queued_at_once_on_a_real_worker_never_overlap(start_prefork_worker, slow_server):
    worker = start_prefork_worker(concurrency=2)
    urls = [slow_server.url(f"/hold?s=0.5&t=overlap-{n}") for n in range(8)]
    for url in urls:
        ResourceFactory(url=url)

    ids = [tasks.run_link_check.apply_async(queue=worker.queue).id for _ in range(2)]

    def both_done():
        log = worker.log.read_text()
        return all(f"run_link_check[{task_id}] succeeded" in log for task_id in ids)

    assert wait_for(both_done, timeout=60)
    assert worker.log.read_text().count("'locked': True") == 1
    hits = {slow_server.url(path): count for path, count in slow_server.hits.items()}
    assert hits == dict.fromkeys(urls, 1)
    assert LinkCheck.objects.count() == len(urls)


# --- The admin ------------------------------------------------------------------------------


@pytest.fixture
def eager_tasks():
    # With REDIS_URL set, queued tasks go to the broker; these tests have no worker running.
    from roadmap_site.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def checked_links(db, server):
    ResourceFactory(url=server.url("/ok?t=admin"))
    ResourceFactory(url=server.url("/chain/308?t=admin"), title="Moved page")
    ResourceFactory(url=server.url("/status/404?t=admin"))
    link_service.run_full_check()
    return {link.last_result: link for link in Link.objects.all()}


def test_the_link_health_list_filters_by_state_and_searches(staff_client, checked_links):
    url = reverse("admin:tracker_link_changelist")
    broken = staff_client.get(url, {"last_result__exact": "broken"}).content.decode()
    assert "status/404" in broken and "t=admin" in broken and "chain/308" not in broken
    found = staff_client.get(url, {"q": "chain/308"}).content.decode()
    assert "chain/308" in found and "status/404" not in found


def test_a_link_page_shows_its_recent_checks(staff_client, checked_links):
    link = checked_links["redirected"]
    html = staff_client.get(reverse("admin:tracker_link_change", args=[link.id])).content.decode()
    assert "last 10 checks" in html.lower()
    assert "308 " in html  # the recorded redirect hop
    assert 'id="link-status"' in html


def test_check_now_queues_a_check_and_the_status_polls_until_it_is_done(
    staff_client, checked_links, django_capture_on_commit_callbacks, eager_tasks
):
    link = checked_links["ok"]
    status_url = reverse("admin:tracker_link_status", args=[link.id])
    link_service.request_check(links=[link])
    pending = staff_client.get(status_url, headers={"HX-Request": "true"})
    assert pending.status_code == 200
    assert 'hx-trigger="every 2s"' in pending.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:tracker_link_changelist"),
            {"action": "check_now", "_selected_action": [link.id]},
        )
    assert link.checks.count() == 2

    done = staff_client.get(status_url, headers={"HX-Request": "true"})
    assert done.status_code == 286  # HTMX_STOP_POLLING
    assert "every 2s" not in done.content.decode() and "OK" in done.content.decode()


def test_the_check_now_button_works_without_javascript(
    staff_client, checked_links, django_capture_on_commit_callbacks, eager_tasks
):
    link = checked_links["broken"]
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:tracker_link_check", args=[link.id]))
    assert response.status_code == 302
    assert link.checks.count() == 2
    assert staff_client.get(reverse("admin:tracker_link_check", args=[link.id])).status_code == 405


def test_apply_suggested_redirect_updates_the_resources_and_the_pages(
    staff_client, checked_links, server, django_capture_on_commit_callbacks
):
    link = checked_links["redirected"]
    version = content_version()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:tracker_link_changelist"),
            {"action": "apply_suggested_redirect", "_selected_action": [link.id]},
        )
    from tracker.models import Resource

    assert Resource.objects.get(title="Moved page").url == server.url("/ok")
    assert content_version() > version
    link.refresh_from_db()
    assert not link.referenced


def test_ignore_keeps_a_link_out_of_checks_and_alerts(staff_client, checked_links):
    link = checked_links["broken"]
    staff_client.post(
        reverse("admin:tracker_link_changelist"),
        {"action": "ignore", "_selected_action": [link.id]},
    )
    link.refresh_from_db()
    assert link.ignored
    assert link not in Link.objects.checkable()


def test_host_rules_are_editable_in_the_admin(staff_client):
    response = staff_client.post(
        reverse("admin:tracker_hostrule_add"),
        {"host": "arxiv.org", "min_interval_s": "5", "max_per_host": "1", "note": ""},
    )
    assert response.status_code == 302
    assert HostRule.objects.get(host="arxiv.org").min_interval_s == 5


def test_learners_cannot_reach_link_health(learner_client, checked_links):
    link = checked_links["ok"]
    for url in [
        reverse("admin:tracker_link_changelist"),
        reverse("admin:tracker_link_status", args=[link.id]),
    ]:
        assert learner_client.get(url).status_code == 302  # to the admin login
    response = learner_client.post(reverse("admin:tracker_link_check", args=[link.id]))
    assert response.status_code == 302
    assert link.checks.count() == 1


# --- What learners see ----------------------------------------------------------------------


def test_learners_see_a_discreet_note_on_broken_links_and_last_verified_on_the_rest(client, db):
    item = ItemFactory()
    ResourceFactory(item=item, url="https://example.org/gone", title="Gone")
    ResourceFactory(item=item, url="https://example.org/fine#intro", title="Fine")
    ResourceFactory(item=item, url="https://example.org/new", title="Never checked")
    link_service.sync_links()
    Link.objects.filter(url="https://example.org/gone").update(
        state=LinkState.BROKEN, last_checked_at=T0, last_ok_at=T0 - timedelta(days=9)
    )
    Link.objects.filter(url="https://example.org/fine").update(
        state=LinkState.OK, last_checked_at=T0, last_ok_at=T0
    )

    html = client.get(item.get_absolute_url()).content.decode()

    assert "link may be broken (checked" in html and "2 Mar 2026" in html
    assert html.count("last verified") == 1
    assert html.count('<small class="link-note') == 2  # nothing on the link never checked


def test_an_unconfirmed_failure_still_shows_the_last_good_date(client, db):
    item = ItemFactory()
    ResourceFactory(item=item, url="https://example.org/flaky")
    link_service.sync_links()
    link = Link.objects.get()
    link_service.apply_result(link, result("ok"), now=T0)
    link_service.apply_result(link, result("broken"), now=T0 + timedelta(days=7))
    link.save()

    html = client.get(item.get_absolute_url()).content.decode()

    assert "last verified" in html and "2 Mar 2026" in html
    assert "may be broken" not in html


# --- The command ----------------------------------------------------------------------------


def test_check_links_prints_one_json_object_per_url_and_exits_zero(db, server, capsys):
    call_command(
        "check_links",
        "--json",
        "--url",
        server.url("/ok?t=cmd"),
        "--url",
        server.url("/status/404?t=cmd"),
        "--timeout",
        "2",
        "--host-interval",
        "0",
        "--concurrency",
        "4",
    )
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["state"], line["http_status"]) for line in lines] == [
        ("ok", 200),
        ("broken", 404),
    ]
    assert set(lines[0]) == {
        "url",
        "state",
        "http_status",
        "final_url",
        "suggested_url",
        "redirects",
        "elapsed_ms",
        "error",
    }
    assert not Link.objects.exists()  # --url checks only, records nothing


def test_check_links_without_urls_checks_and_records_all_content_links(db, server, capsys):
    ResourceFactory(url=server.url("/ok?t=cmd-all"))
    ResourceFactory(url=server.url("/status/410?t=cmd-all"))
    call_command("check_links")
    out = capsys.readouterr().out
    assert "Checked 2 links" in out
    assert LinkCheck.objects.count() == 2


def test_check_links_does_not_record_while_a_scheduled_run_holds_the_lock(db, server):
    from django.core.management.base import CommandError

    ResourceFactory(url=server.url("/ok?t=cmd-locked"))
    with (
        link_service.run_lock(link_service.FULL_RUN_LOCK),
        pytest.raises(CommandError, match="already running"),
    ):
        call_command("check_links")
    assert not LinkCheck.objects.exists()


def test_check_links_rejects_bad_options(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="concurrency"):
        call_command("check_links", "--concurrency", "0", "--url", "https://example.org/")
