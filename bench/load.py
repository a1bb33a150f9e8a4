#!/usr/bin/env python3
"""Load test: gunicorn (2 sync workers) on PostgreSQL, driven from a second process.

    .venv/bin/python bench/load.py [--duration 30] [--connections 50]

Needs PostgreSQL and Redis on 127.0.0.1 (as .ci/run starts them) and `wrk` (Debian package
`wrk`). It creates a throwaway database, imports the content, makes learners with history,
starts gunicorn on a free port, then measures for `--duration` seconds at `--connections`:

- the trivial view (/healthz/live) as the ceiling, the anonymous roadmap page, the signed-in
  roadmap page and the dashboard, with wrk;
- the one-click status toggle, with a Python generator (one learner per connection, htmx POSTs
  with CSRF, raw asyncio HTTP so that the generator stays cheap), after which every learner's
  statuses in the database must equal the last write.

Prints requests/s, p50, p99 and errors per scenario and writes bench/results/load.json.
"""

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchdb import recreate_database  # noqa: E402 (bench/ is the script's folder)

PYTHON = ROOT / ".venv" / "bin" / "python"
STATUSES = ["not_started", "in_progress", "done", "skipped"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str) -> None:
    subprocess.run([str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare(env: dict, learners: int) -> dict:
    """Seed learners with history and return their session cookies and the toggle targets."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from tracker.models import Item, Roadmap, User
    from tracker.services.progress import set_status

    roadmap = Roadmap.objects.get(slug="llm")
    items = list(Item.objects.active().filter(roadmap=roadmap).order_by("order"))
    rng = random.Random(7)
    cookies = []
    for n in range(learners):
        user = User.objects.create_user(email=f"load{n}@example.com", password=None)
        # A realistic dashboard: a third of the roadmap done or under way.
        for item in rng.sample(items, k=len(items) // 3):
            set_status(learner=user, item=item, status=rng.choice(STATUSES[1:]))
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        csrf = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(32))
        cookies.append({"user_id": user.pk, "session": session.session_key, "csrf": csrf})
    targets = [item.slug for item in items[:6]]
    return {"cookies": cookies, "targets": targets}


def start_gunicorn(env: dict, port: int, log_path: Path) -> subprocess.Popen:
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            str(PYTHON), "-m", "gunicorn", "roadmap_site.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "2", "--worker-class", "sync",
            "--log-level", "warning", "--backlog", "2048",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"gunicorn did not become healthy; see {log_path}")


WRK_LUA = """
local cookies = {%s}
request = function()
  local c = cookies[math.random(#cookies)]
  return wrk.format("GET", nil, {["Cookie"] = c})
end
"""


def parse_duration_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def run_wrk(url: str, duration: int, connections: int, cookies: list[str] | None) -> dict:
    args = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--latency"]
    with tempfile.TemporaryDirectory() as tmp:
        if cookies:
            script = Path(tmp) / "cookies.lua"
            script.write_text(WRK_LUA % ", ".join(json.dumps(c) for c in cookies))
            args += ["-s", str(script)]
        out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = parse_duration_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = parse_duration_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(non2xx.group(1)) if non2xx else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "errors": errors, "requests": requests}


async def _post(host: str, port: int, request: bytes) -> int:
    """Send one raw HTTP/1.1 request on a new connection (gunicorn's sync workers close every
    connection anyway) and read the whole response; return its status code.

    Hand-written rather than httpx: httpx's async client spends ~3 ms of CPU a request, so at
    50 connections on two cores it, not the server, set the pace (~230 req/s even against the
    trivial view) and its own queueing showed up as server latency.
    """
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.IGNORECASE)
        if length:
            await reader.readexactly(int(length.group(1)))
        else:
            await reader.read()
        return status
    finally:
        writer.close()


def _toggle_request(host: str, port: int, learner: dict, slug: str, status: str) -> bytes:
    body = f"status={status}".encode()
    return (
        f"POST /roadmaps/llm/{slug}/status/ HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        f"Cookie: sessionid={learner['session']}; csrftoken={learner['csrf']}\r\n"
        f"X-CSRFToken: {learner['csrf']}\r\n"
        "HX-Request: true\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body


async def toggle_load(base: str, learners: list[dict], targets: list[str], duration: int) -> dict:
    host, port = urlsplit(base).hostname, urlsplit(base).port
    latencies: list[float] = []
    errors = 0
    last_write: dict[tuple[int, str], str] = {}
    deadline = time.monotonic() + duration

    async def drive(learner: dict, rng: random.Random) -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            slug = rng.choice(targets)
            status = rng.choice(STATUSES)
            request = _toggle_request(host, port, learner, slug, status)
            started = time.perf_counter()
            try:
                code = await asyncio.wait_for(_post(host, port, request), timeout=10)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                # A request that may or may not have been applied: its write is unknown.
                errors += 1
                last_write.pop((learner["user_id"], slug), None)
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            if code == 200:
                last_write[(learner["user_id"], slug)] = status
            else:
                errors += 1

    started = time.monotonic()
    await asyncio.gather(*(drive(learner, random.Random(i)) for i, learner in enumerate(learners)))
    elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
        "errors": errors,
        "requests": len(latencies),
        "last_write": last_write,
    }


def lost_updates(last_write: dict[tuple[int, str], str]) -> list[str]:
    from tracker.models import Progress

    rows = Progress.objects.filter(item__roadmap__slug="llm").values_list(
        "learner_id", "item__slug", "status"
    )
    actual = {(learner, slug): status for learner, slug, status in rows}
    return [
        f"learner {learner} item {slug}: wrote {status}, stored {actual.get((learner, slug))}"
        for (learner, slug), status in last_write.items()
        if actual.get((learner, slug), "not_started") != status
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/roadmap_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2

    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "SECRET_KEY": secrets.token_urlsafe(40),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "60",
        "CACHE_KEY_PREFIX": f"load{secrets.token_hex(4)}",
        "DJANGO_SETTINGS_MODULE": "roadmap_site.settings",
    }
    print("preparing database…", flush=True)
    recreate_database(args.database_url)
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "import_roadmap", "-v", "0")
    manage(env, "collectstatic", "--no-input", "-v", "0")
    data = prepare(env, learners=args.connections)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = ROOT / "bench" / "results" / "gunicorn-load.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    server = start_gunicorn(env, port, log_path)
    results: dict[str, dict] = {}
    try:
        session_cookies = [f"sessionid={c['session']}" for c in data["cookies"]]
        scenarios = [
            ("trivial view (/healthz/live)", f"{base}/healthz/live", None),
            ("roadmap page, anonymous", f"{base}/roadmaps/llm/", None),
            ("roadmap page, signed in", f"{base}/roadmaps/llm/", session_cookies),
            ("dashboard", f"{base}/", session_cookies),
        ]
        for name, url, cookies in scenarios:
            print(f"running {name}…", flush=True)
            results[name] = run_wrk(url, args.duration, args.connections, cookies)
        print("running status toggle…", flush=True)
        toggle = asyncio.run(toggle_load(base, data["cookies"], data["targets"], args.duration))
        last_write = toggle.pop("last_write")
        results["status toggle (htmx POST)"] = toggle
    finally:
        server.terminate()
        server.wait(timeout=30)

    lost = lost_updates(last_write)
    ceiling = results["trivial view (/healthz/live)"]["rps"]
    header = ("scenario", "req/s", "% of trivial", "p50 ms", "p99 ms", "errors")
    print("\n{:32} {:>8} {:>13} {:>8} {:>8} {:>7}".format(*header))
    for name, r in results.items():
        share = 100 * r["rps"] / ceiling
        row = (name, r["rps"], share, r["p50_ms"], r["p99_ms"], r["errors"])
        print("{:32} {:8.0f} {:12.0f}% {:8.1f} {:8.1f} {:7}".format(*row))
    print(f"\nlost updates: {len(lost)} of {len(last_write)} learner×item pairs written")
    for line in lost[:10]:
        print("  ", line)
    out = ROOT / "bench" / "results" / "load.json"
    out.write_text(json.dumps({"results": results, "lost_updates": len(lost)}, indent=2))
    print(f"written to {out.relative_to(ROOT)}")
    failed = lost or any(r["errors"] for r in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
