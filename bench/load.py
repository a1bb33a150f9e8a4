#!/usr/bin/env python3
"""Load test: gunicorn (2 sync workers) on PostgreSQL, driven from a second process.

    .venv/bin/python bench/load.py [--duration 30] [--connections 50] [--only SCENARIO ...]

Needs PostgreSQL and Redis on 127.0.0.1 (as .ci/run starts them) and `wrk` (Debian package
`wrk`). It creates a throwaway database, imports the content, makes learners with history,
starts gunicorn on a free port, then measures for `--duration` seconds at `--connections`:

- the trivial view (/healthz/live) as the ceiling, the anonymous roadmap page, the signed-in
  roadmap page and the dashboard, with wrk;
- the one-click status toggle, with wrk too (one learner per wrk thread and connection, htmx
  POSTs with CSRF), after which every learner's statuses in the database must equal the last
  write that was answered;
- the Redis memory the cache then holds per learner (sessions, versions, dashboards) and
  shared (content parts);
- the toggle's floor: the same clicks against a view that only signs the learner in, checks
  CSRF and updates one row (bench/floor_urls.py, served by a second gunicorn), to tell what
  the stack costs from what our toggle adds.

Prints requests/s, p50, p99 and errors per scenario and writes bench/results/load.json.
"""

import argparse
import contextlib
import json
import os
import random
import re
import secrets
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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

    from tracker.models import Item, Progress, Roadmap, User
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
    targets = items[:6]
    # Every learner has a row for every target, as after their first click: the floor view
    # only updates rows, and the toggle's lost-update check then covers every pair.
    Progress.objects.bulk_create(
        [Progress(learner_id=c["user_id"], item=item) for c in cookies for item in targets],
        ignore_conflicts=True,
    )
    return {
        "cookies": cookies,
        "targets": [item.slug for item in targets],
        "items": [item.slug for item in items],
    }


def start_gunicorn(env: dict, port: int, log_path: Path, workers: int = 2) -> subprocess.Popen:
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            str(PYTHON), "-m", "gunicorn", "roadmap_site.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "sync",
            "--log-level", "warning", "--backlog", "2048", "--pythonpath", "bench",
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


@contextlib.contextmanager
def serving(env: dict, log_name: str, workers: int = 2):
    """gunicorn on a free port for the block; yields its base URL."""
    port = free_port()
    log_path = ROOT / "bench" / "results" / log_name
    log_path.parent.mkdir(parents=True, exist_ok=True)
    server = start_gunicorn(env, port, log_path, workers)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


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


def run_wrk(
    url: str, duration: int, connections: int, *, script: str | None = None, threads: int = 2
) -> tuple[dict, str]:
    args = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s"]
    args += ["--latency", "--timeout", "10s"]
    with tempfile.TemporaryDirectory() as tmp:
        if script:
            path = Path(tmp) / "script.lua"
            path.write_text(script)
            args += ["-s", str(path)]
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
    result = {"rps": rps, "p50_ms": p50, "p99_ms": p99, "errors": errors, "requests": requests}
    return result, out


TOGGLE_LUA = """
-- One learner per thread and one connection per thread, so each learner's clicks are
-- sequential and the last answered click is the status the database must hold.
local learners = {%(learners)s}
local targets = {%(targets)s}
local statuses = {"not_started", "in_progress", "done", "skipped"}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads)
end

function init(args)
  learner = learners[index]
  math.randomseed(index)
  writes = {}    -- slug -> the status of the last click answered 200
  unknown = {}   -- slug -> true when a click was sent and never answered
  failed = 0
  pending = nil
end

function request()
  if pending then
    -- The previous click on this connection was lost (error or reconnect): it may or may
    -- not have been applied, so this item can no longer be checked.
    writes[pending[1]] = nil
    unknown[pending[1]] = true
  end
  local slug = targets[math.random(#targets)]
  local status = statuses[math.random(#statuses)]
  pending = {slug, status}
  return wrk.format("POST", string.format(%(path)s, slug), {
    ["Cookie"] = "sessionid=" .. learner[2] .. "; csrftoken=" .. learner[3],
    ["X-CSRFToken"] = learner[3],
    ["HX-Request"] = "true",
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "status=" .. status)
end

function response(status, headers, body)
  if pending then
    if status == 200 then
      writes[pending[1]] = pending[2]
      unknown[pending[1]] = nil
    else
      writes[pending[1]] = nil
      unknown[pending[1]] = true
      failed = failed + 1
    end
  end
  pending = nil
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local id = learners[thread:get("index")][1]
    for slug, status in pairs(thread:get("writes")) do
      io.write(string.format("write %%d %%s %%s\\n", id, slug, status))
    end
    -- A click still in flight when the run ended is unknown too.
    local pending = thread:get("pending")
    if pending then io.write(string.format("unknown %%d %%s\\n", id, pending[1])) end
  end
end
"""


def cpu_by_program() -> dict[str, float]:
    """CPU seconds used so far by each program on the machine (gunicorn counts as python),
    from /proc: the difference over a run says where its CPU went.

    A process's count includes its children that ended (cutime, cstime): a database connection
    closed mid-run (CONN_MAX_AGE) moves its CPU to the postmaster's count instead of taking it
    off PostgreSQL's total."""
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        seconds = sum(int(field) for field in fields[11:15]) / tick  # own and ended children's
        program = "postgres" if name.startswith("postgres") else name.split(":")[0]
        used[program] = used.get(program, 0.0) + seconds
    return used


def cpu_per_request(before: dict[str, float], after: dict[str, float], requests: int) -> dict:
    """CPU ms a request by program, the busiest first (programs under 0.05 ms left out)."""
    shares = {
        name: 1000 * (after.get(name, 0.0) - before.get(name, 0.0)) / max(requests, 1)
        for name in after
    }
    return dict(sorted(((n, v) for n, v in shares.items() if v >= 0.05), key=lambda p: -p[1]))


def toggle_load(
    url: str, learners: list[dict], targets: list[str], duration: int, path: str
) -> dict:
    """wrk with a thread per learner: cheap enough that the generator does not steal the
    server's CPU (a Python asyncio generator cost ~0.6 ms a request, a tenth of the toggle)."""
    lua = TOGGLE_LUA % {
        "learners": ", ".join(
            f'{{{learner["user_id"]}, "{learner["session"]}", "{learner["csrf"]}"}}'
            for learner in learners
        ),
        "targets": ", ".join(json.dumps(slug) for slug in targets),
        "path": json.dumps(path),
    }
    before = cpu_by_program()
    result, out = run_wrk(url, duration, len(learners), script=lua, threads=len(learners))
    result["cpu_ms"] = cpu_per_request(before, cpu_by_program(), result["requests"])
    last_write: dict[tuple[int, str], str] = {}
    for line in out.splitlines():
        match = re.fullmatch(r"(write|unknown) (\d+) (\S+)(?: (\S+))?", line)
        if match and match[1] == "write":
            last_write[(int(match[2]), match[3])] = match[4]
        elif match:
            last_write.pop((int(match[2]), match[3]), None)
    result["last_write"] = last_write
    result["checked"] = len(last_write)
    return result


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


def cache_memory(redis_url: str, prefix: str, learners: int) -> dict:
    """Bytes of Redis (MEMORY USAGE) per learner and shared, after the scenarios ran: a
    learner's keys are their session and those named `learner...` (see tracker/page_cache.py)."""
    import redis

    server = redis.Redis.from_url(redis_url)
    own = shared = 0
    for key in server.scan_iter(f"{prefix}:*", count=1000):
        size = server.memory_usage(key) or 0
        if re.search(rb":(learner|django\.contrib\.sessions)", key):
            own += size
        else:
            shared += size
    return {"per_learner": own / learners, "shared": shared, "learners": learners}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/roadmap_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument(
        "--only",
        choices=["trivial", "anonymous", "signed-in", "dashboard", "toggle", "floor"],
        action="append",
        help="run just these scenarios (repeatable; the trivial view always runs as the ceiling)",
    )
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

    results: dict[str, dict] = {}
    lost: dict[str, list[str]] = {}
    only = set(args.only or ["anonymous", "signed-in", "dashboard", "toggle", "floor"])
    only.add("trivial")
    with serving(env, "gunicorn-load.log") as base:
        session_cookies = [f"sessionid={c['session']}" for c in data["cookies"]]
        scenarios = [
            ("trivial", "trivial view (/healthz/live)", f"{base}/healthz/live", None),
            ("anonymous", "roadmap page, anonymous", f"{base}/roadmaps/llm/", None),
            ("signed-in", "roadmap page, signed in", f"{base}/roadmaps/llm/", session_cookies),
            ("dashboard", "dashboard", f"{base}/", session_cookies),
        ]
        for key, name, url, cookies in scenarios:
            if key in only:
                print(f"running {name}…", flush=True)
                script = WRK_LUA % ", ".join(json.dumps(c) for c in cookies) if cookies else None
                results[name], _ = run_wrk(url, args.duration, args.connections, script=script)
        if "toggle" in only:
            name = "status toggle (htmx POST)"
            print(f"running {name}…", flush=True)
            path = "/roadmaps/llm/%s/status/"
            results[name] = toggle_load(base, data["cookies"], data["targets"], args.duration, path)
            lost[name] = lost_updates(results[name].pop("last_write"))
    if "floor" in only:
        # A second server whose URLconf adds the floor view (bench/floor_urls.py).
        floor_env = {**env, "DJANGO_SETTINGS_MODULE": "floor_settings"}
        with serving(floor_env, "gunicorn-floor.log") as base:
            name = "toggle floor (auth + 1 UPDATE)"
            print(f"running {name}…", flush=True)
            path = "/bench/floor/%s/"
            results[name] = toggle_load(base, data["cookies"], data["targets"], args.duration, path)
            lost[name] = lost_updates(results[name].pop("last_write"))

    memory = cache_memory(args.redis_url, env["CACHE_KEY_PREFIX"], len(data["cookies"]))

    ceiling = results["trivial view (/healthz/live)"]["rps"]
    header = ("scenario", "req/s", "% of trivial", "p50 ms", "p99 ms", "errors")
    print("\n{:32} {:>8} {:>13} {:>8} {:>8} {:>7}".format(*header))
    for name, r in results.items():
        share = 100 * r["rps"] / ceiling
        row = (name, r["rps"], share, r["p50_ms"], r["p99_ms"], r["errors"])
        print("{:32} {:8.0f} {:12.0f}% {:8.1f} {:8.1f} {:7}".format(*row))
    print(
        f"\nRedis cache: {memory['per_learner'] / 1000:.1f} kB per learner "
        f"(sessions and learner keys, {memory['learners']} learners), "
        f"{memory['shared'] / 1000:.0f} kB shared"
    )
    for name, lines in lost.items():
        print(f"\n{name}: {len(lines)} lost updates of {results[name]['checked']} pairs checked")
        for line in lines[:10]:
            print("  ", line)
    out = ROOT / "bench" / "results" / "load.json"
    lost_counts = {name: len(lines) for name, lines in lost.items()}
    summary = {"results": results, "lost_updates": lost_counts, "cache_memory": memory}
    out.write_text(json.dumps(summary, indent=2))
    print(f"written to {out.relative_to(ROOT)}")
    failed = any(lost.values()) or any(r["errors"] for r in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
