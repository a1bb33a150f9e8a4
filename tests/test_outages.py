"""The site keeps working from the database when Redis is down, and answers quickly when a
service accepts connections and never replies.

"Down" is a closed port on 127.0.0.1 (connection refused); "blackholed" is a local server that
accepts connections and never answers, as a hung host behind a firewall does.
"""

import contextlib
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse

from tests.factories import ItemFactory, ResourceFactory, UserFactory
from tests.html_forms import form_data
from tracker.models import Link
from tracker.services import links as link_service
from tracker.task_queue import QueueUnavailable, enqueue

ROOT = Path(__file__).resolve().parent.parent
FAST = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def blackhole():
    """A port that accepts connections and never sends a byte."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held = []

    def accept_forever():
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept_forever, daemon=True).start()
    yield server.getsockname()[1]
    server.close()
    for sock in held:
        sock.close()


def _use_redis(settings, monkeypatch, url: str) -> None:
    """Point the cache, the health check and the task queue at `url`."""
    from roadmap_site.celery import app

    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {"BACKEND": "tracker.redis_cache.RedisCache", "LOCATION": url, "OPTIONS": FAST}
    }
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setitem(app.conf, "broker_url", url)
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    # Celery's shared connection pools were opened on the real broker by earlier tests.
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)


@pytest.fixture
def redis_down(settings, monkeypatch):
    _use_redis(settings, monkeypatch, f"redis://127.0.0.1:{_closed_port()}/0")


@pytest.fixture
def redis_blackholed(settings, monkeypatch, blackhole):
    _use_redis(settings, monkeypatch, f"redis://127.0.0.1:{blackhole}/0")


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(email="admin@example.com", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def link(db) -> Link:
    ResourceFactory(url="https://example.org/paper")
    link_service.sync_links()
    return Link.objects.get(url="https://example.org/paper")


# --- Redis down: the site works from the database -------------------------------------------


def test_signing_in_and_signed_in_pages_work_while_redis_is_down(
    client, learner, password, redis_down
):
    response = client.post(
        "/accounts/login/", {"username": "alice@example.com", "password": password}
    )
    assert response.status_code == 302
    for url in ["/", "/me/", "/plan/", "/roadmaps/"]:
        assert client.get(url).status_code == 200, url


def test_the_llm_roadmap_renders_for_anyone_while_redis_is_down(client, db, redis_down):
    call_command("import_roadmap", "content/llm.yaml", verbosity=0)
    response = client.get("/roadmaps/llm/")
    assert response.status_code == 200
    assert "Large Language Models (LLM) Roadmap" in response.content.decode()


def test_healthz_answers_503_with_redis_false_while_redis_is_down(client, db, redis_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": True, "redis": False},
    }


def test_check_now_says_the_queue_is_down_instead_of_failing(staff_client, link, redis_down):
    response = staff_client.post(
        reverse("admin:tracker_link_changelist"),
        {"action": "check_now", "_selected_action": [link.id]},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Couldn&#x27;t queue the check: the task queue is unavailable." in page
    link.refresh_from_db()
    assert not link.check_pending  # its page must not say "Checking…" for ever


def test_the_check_now_button_says_the_queue_is_down(staff_client, link, redis_down):
    check = reverse("admin:tracker_link_check", args=[link.id])
    response = staff_client.post(check, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "the task queue is unavailable" in response.content.decode()
    assert "every 2s" not in response.content.decode()

    response = staff_client.post(check, follow=True)
    assert "the task queue is unavailable" in response.content.decode()


def test_saving_content_while_the_queue_is_down_keeps_the_save_and_says_so(
    transactional_db, admin_client, redis_down
):
    # Real commits: the check is queued once the admin's save commits, within the request.
    item = ItemFactory()
    change = reverse("admin:tracker_item_change", args=[item.pk])
    data = form_data(admin_client.get(change).content.decode(), "item_form")
    response = admin_client.post(change, {**data, "effort_hours": "7"}, follow=True)
    assert response.status_code == 200
    assert "couldn&#x27;t queue a check of its links" in response.content.decode()
    item.refresh_from_db()
    assert item.effort_hours == 7


def test_a_cache_error_is_a_miss_and_logs_one_warning(redis_down, caplog):
    caplog.set_level(logging.WARNING, logger="tracker.redis_cache")
    assert cache.get("anything") is None
    assert cache.get("anything", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.get_or_set("computed", lambda: 42) == 42
    assert cache.add("a", 1) is False
    assert cache.has_key("a") is False
    cache.set("a", 1)
    cache.set_many({"a": 1, "b": 2})
    cache.delete("a")
    cache.delete_many(["a", "b"])
    with pytest.raises(ValueError):  # how Django's incr() says "no such key"
        cache.incr("counter")
    warnings = [r for r in caplog.records if r.name == "tracker.redis_cache"]
    assert len(warnings) == 1
    assert "Redis cache unavailable" in warnings[0].getMessage()


# --- Blackholed services: answers within seconds --------------------------------------------


def test_a_blackholed_redis_costs_one_short_timeout_then_nothing(redis_blackholed):
    started = time.monotonic()
    assert cache.get("anything") is None
    first = time.monotonic() - started
    started = time.monotonic()
    assert cache.get("anything") is None
    again = time.monotonic() - started
    assert first < 2  # one socket timeout (0.5 s here)
    assert again < 0.1  # not tried again straight away


def test_queueing_gives_up_quickly_when_the_broker_never_answers(redis_blackholed):
    from tracker.tasks import check_new_links

    started = time.monotonic()
    with pytest.raises(QueueUnavailable):
        enqueue(check_new_links)
    assert time.monotonic() - started < 3


def test_healthz_answers_503_quickly_when_redis_never_answers(client, db, redis_blackholed):
    started = time.monotonic()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": True, "redis": False}
    assert time.monotonic() - started < 5


@pytest.mark.needs_postgres
def test_healthz_answers_503_within_seconds_when_the_database_never_answers(
    client, db, blackhole, monkeypatch
):
    # The health check opens a connection of its own from the alias' settings; the test's
    # own connection keeps working, so only the probe meets the blackhole.
    blackholed = {**connections.settings["default"], "HOST": "127.0.0.1", "PORT": blackhole}
    monkeypatch.setitem(connections.settings, "default", blackholed)
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["checks"]["database"] is False
    assert elapsed < 8, f"/healthz took {elapsed:.1f} s"


@pytest.mark.needs_postgres
def test_database_connections_carry_the_statement_timeout(db, settings):
    assert settings.DATABASES["default"]["OPTIONS"]["connect_timeout"] == 5
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "30s"


# --- The same through gunicorn, configured only by the environment ---------------------------


GUNICORN = [sys.executable, "-m", "gunicorn", "roadmap_site.wsgi:application", "--workers", "1"]


@contextlib.contextmanager
def _gunicorn(tmp_path, **env_changes):
    """gunicorn serving the project on a free port, with `env_changes` (None unsets)."""
    port = _closed_port()  # free, until gunicorn binds it
    # Celery's in-process test worker leaves CELERY_* variables behind; start clean.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    env.update(SECRET_KEY="outage-test", DEBUG="0", ALLOWED_HOSTS="127.0.0.1", LOG_FORMAT="json")
    # Static files straight from static/, without a collectstatic build.
    env.update(STATIC_MANIFEST="0", WHITENOISE_USE_FINDERS="1")
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    log = tmp_path / "gunicorn.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [*GUNICORN, "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"gunicorn did not start:\n{log.read_text()}"
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


@pytest.mark.slow
def test_gunicorn_answers_healthz_503_within_seconds_when_the_database_never_answers(
    tmp_path, blackhole
):
    database_url = f"postgres://postgres@127.0.0.1:{blackhole}/roadmap"
    with _gunicorn(tmp_path, DATABASE_URL=database_url, REDIS_URL=None) as base:
        started = time.monotonic()
        response = httpx.get(f"{base}/healthz", timeout=30)
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert response.json()["checks"] == {"database": False}
        assert elapsed < 8, f"/healthz took {elapsed:.1f} s"
        # The worker was not killed for it: it answers straight away.
        assert httpx.get(f"{base}/healthz/live", timeout=2).status_code == 200


@pytest.mark.slow
@pytest.mark.needs_postgres
@pytest.mark.real_passwords
def test_gunicorn_with_redis_down_signs_in_and_serves_pages_from_the_database(
    tmp_path, transactional_db, password
):
    UserFactory(email="dana@example.com")
    call_command("import_roadmap", "content/llm.yaml", verbosity=0)
    db = connection.settings_dict
    database_url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    redis_url = f"redis://127.0.0.1:{_closed_port()}/0"
    with _gunicorn(tmp_path, DATABASE_URL=database_url, REDIS_URL=redis_url) as base:
        with httpx.Client(base_url=base, timeout=10) as anonymous:
            started = time.monotonic()
            page = anonymous.get("/roadmaps/llm/")
            assert page.status_code == 200, (tmp_path / "gunicorn.log").read_text()[-3000:]
            assert "Large Language Models (LLM) Roadmap" in page.text
            assert time.monotonic() - started < 3
            health = anonymous.get("/healthz")
            assert health.status_code == 503
            assert health.json()["checks"] == {"database": True, "redis": False}

        with httpx.Client(base_url=base, timeout=10) as browser:
            token = re.search(
                r'name="csrfmiddlewaretoken" value="([^"]+)"', browser.get("/accounts/login/").text
            ).group(1)
            response = browser.post(
                "/accounts/login/",
                data={
                    "csrfmiddlewaretoken": token,
                    "username": "dana@example.com",
                    "password": password,
                },
            )
            assert response.status_code == 302, response.text[:500]
            for url in ["/", "/roadmaps/llm/", "/plan/", "/me/"]:
                assert browser.get(url).status_code == 200, url
    log = (tmp_path / "gunicorn.log").read_text()
    assert "Redis cache unavailable" in log  # the warning, once per few seconds
    assert "Traceback" not in log


def test_running_a_periodic_task_from_the_admin_says_the_queue_is_down(staff_client, redis_down):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="tracker.tasks.run_link_check")
    response = staff_client.post(
        reverse("admin:django_celery_beat_periodictask_changelist"),
        {"action": "run_tasks", "_selected_action": [task.id]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Couldn&#x27;t queue the tasks: the task queue is unavailable." in response.text
