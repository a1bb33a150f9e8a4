"""Smoke test of the production stack without Docker: bin/stack's gunicorn, worker and beat.

Everything talks over real sockets: HTTP to gunicorn, the worker through Redis, and a local
HTTP server standing in for an external link. The content is a small roadmap written for the
test (CONTENT_DIR), so no process ever reaches for the internet.
"""

import os
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.needs_postgres, pytest.mark.needs_redis, pytest.mark.slow]

CONTENT = """\
schema: 1
slug: stack
title: Stack Smoke Roadmap
sections:
  - slug: basics
    kind: level
    level: beginner
    title: Basics
    items:
      - slug: first-concept
        title: First Concept
        effort_hours: 3
        resources:
          - title: The local page
            url: {url}
            kind: article
            group: link
      - slug: second-concept
        title: Second Concept
        effort_hours: 2
        prerequisites: [first-concept]
"""


class _Page(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<p>hello</p>")

    def log_message(self, *args):
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stack_urls() -> tuple[str, str]:
    """A fresh database and a Redis database of its own, beside the test run's."""
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    auth = f"{user}:{db['PASSWORD']}@" if db.get("PASSWORD") else f"{user}@"
    name = f"roadmap_stack_{secrets.token_hex(4)}"
    database_url = (
        f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"
    )
    redis = urlsplit(settings.REDIS_URL)
    redis_db = (int(redis.path.lstrip("/") or 0) + 1) % 16
    return database_url, redis._replace(path=f"/{redis_db}").geturl()


def _drop_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def _query(url: str, sql: str, params=()) -> list[tuple]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def _wait_for(predicate, timeout: float, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")


def _csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


@pytest.fixture
def link_target():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/page"
    server.shutdown()


@pytest.fixture
def stack(tmp_path, link_target):
    database_url, redis_url = _stack_urls()
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    content_dir = tmp_path / "content"
    content_dir.mkdir()
    (content_dir / "stack.yaml").write_text(CONTENT.format(url=link_target))
    port = _free_port()
    # Celery's in-process test worker leaves CELERY_* variables behind (e.g. CELERY_LOG_LEVEL=40);
    # the stack must start from the environment an operator would give it.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    env = {
        **inherited,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_urlsafe(40),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PORT": str(port),
        "BIND": "127.0.0.1",
        "CONTENT_DIR": str(content_dir),
        "LINKCHECK_ALLOW_PRIVATE": "1",
        "LOG_FORMAT": "json",
        "WEB_CONCURRENCY": "2",
        "WORKER_CONCURRENCY": "1",
    }
    env.pop("REQUIRE_SERVICES", None)
    log_path = tmp_path / "stack.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [str(ROOT / "bin/stack")],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    info = {"base": base, "database_url": database_url, "redis_url": redis_url, "log": log_path}
    try:
        _wait_for(lambda: _healthy(base), 120, lambda: f"/healthz; log:\n{_tail(log_path)}")
        # bin/stack starts the worker and beat once web is healthy; wait for both to say so.
        _wait_for(
            lambda: "ready." in log_path.read_text(), 60, lambda: f"worker:\n{_tail(log_path)}"
        )
        _wait_for(
            lambda: "beat: Starting" in log_path.read_text(),
            60,
            lambda: f"beat:\n{_tail(log_path)}",
        )
        yield info
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            info["exit_code"] = proc.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            info["exit_code"] = proc.wait()
        _drop_database(database_url)
    _assert_clean_stop(info)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text().splitlines()[-lines:]) if path.exists() else ""


def test_the_stack_serves_learners_and_checks_links_then_stops_cleanly(stack, link_target):
    base = stack["base"]
    with httpx.Client(base_url=base, timeout=10) as browser:
        health = browser.get("/healthz").json()
        assert health["checks"] == {"database": True, "redis": True}

        # Sign up over real HTTP, as a browser would.
        token = _csrf(browser.get("/accounts/signup/").text)
        response = browser.post(
            "/accounts/signup/",
            data={
                "csrfmiddlewaretoken": token,
                "email": "smoke@example.com",
                "password1": "stack-smoke-passphrase",
                "password2": "stack-smoke-passphrase",
            },
        )
        assert response.status_code == 302, response.text[:500]

        # Tick an item with the one-click htmx control.
        page = browser.get("/roadmaps/stack/")
        assert page.status_code == 200 and "First Concept" in page.text
        response = browser.post(
            "/roadmaps/stack/first-concept/status/",
            data={"status": "done"},
            headers={"X-CSRFToken": browser.cookies["csrftoken"], "HX-Request": "true"},
        )
        assert response.status_code == 200
        assert 'aria-pressed="true"' in response.text

        plan = browser.get("/plan/")
        assert plan.status_code == 200
        # First Concept is done; the plan's week holds what remains.
        assert "Second Concept" in plan.text

    # Queue a link check through Redis; the stack's worker runs it against the local server.
    from celery import Celery

    client = Celery(broker=stack["redis_url"])
    client.send_task("tracker.tasks.check_new_links")
    rows = _wait_for(
        lambda: _query(
            stack["database_url"],
            "SELECT c.state, c.http_status FROM tracker_linkcheck c "
            "JOIN tracker_link l ON l.id = c.link_id WHERE l.url = %s",
            [link_target],
        ),
        60,
        "the link check result",
    )
    assert rows[0] == ("ok", 200)


def test_stack_pages_answer_over_real_http(stack):
    # Stopping cleanly, with nothing wrong in the logs, is checked as the fixture tears down.
    response = httpx.get(f"{stack['base']}/roadmaps/stack/", timeout=10)
    assert response.status_code == 200
    assert "Stack Smoke Roadmap" in response.text


def _assert_clean_stop(info: dict) -> None:
    log = info["log"].read_text()
    assert info.get("exit_code") == 0, f"bin/stack exited {info.get('exit_code')}:\n{log[-3000:]}"
    for name in ("web", "worker", "beat"):
        assert f"stack: {name} exited with 0" in log, f"{name} did not exit cleanly:\n{log[-3000:]}"
    bad = [
        line
        for line in log.splitlines()
        if '"level": "ERROR"' in line
        or '"level": "CRITICAL"' in line
        or "Traceback" in line
        or "[ERROR]" in line
    ]
    assert not bad, "errors in the stack's logs:\n" + "\n".join(bad[:20])
