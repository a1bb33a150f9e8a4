#!/usr/bin/env python3
"""What one status click costs the server, against the floor: CPU, database and Redis round
trips per click, measured in one process through Django's test client.

    .venv/bin/python bench/toggle_cost.py [--clicks 1000] [--rounds 5] [--profile toggle] [--reuse]

Needs PostgreSQL and Redis (as bench/load.py; `--database-url`, `--redis-url`). Process CPU
time, not wall time, so a busy machine changes the figures little. The clicks are htmx POSTs
with CSRF checks on, rotating over learners and the LLM roadmap's items with random statuses,
as bench/open_loop.py sends them; the floor is bench/floor_urls.py's view.
"""

import argparse
import cProfile
import json
import os
import pstats
import random
import secrets
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchdb import recreate_database  # noqa: E402
from load import STATUSES, manage, prepare  # noqa: E402


def clients(data: dict) -> list:
    """A test client per learner, made once: a client loads the middleware on its first
    request (WhiteNoise then scans the static files), which is not a click's cost."""
    if "clients" in data:
        return data["clients"]
    from django.test import Client

    made = data["clients"] = []
    for cookie in data["cookies"]:
        client = Client(enforce_csrf_checks=True)
        client.cookies["sessionid"] = cookie["session"]
        client.cookies["csrftoken"] = cookie["csrf"]
        made.append((client, cookie["csrf"]))
    return made


def clicks(data: dict, path: str, count: int, seed: int):
    """`count` (client, url, body, csrf) clicks, the same for toggle and floor at one seed."""
    rng = random.Random(seed)
    pairs = clients(data)
    for n in range(count):
        client, csrf = pairs[n % len(pairs)]
        slug = rng.choice(data["targets"] if "floor" in path else data["items"])
        # As the page's form sends it (htmx posts urlencoded, not multipart).
        body = urlencode({"status": rng.choice(STATUSES), "next": "/roadmaps/llm/"})
        yield client, path % slug, body, csrf


FORM = "application/x-www-form-urlencoded"


def run(data: dict, path: str, count: int, seed: int) -> list[int]:
    codes = []
    for client, url, body, csrf in clicks(data, path, count, seed):
        headers = {"HX-Request": "true", "X-CSRFToken": csrf}
        response = client.post(url, body, FORM, headers=headers)
        codes.append(response.status_code)
    return codes


def redis_counter():
    """Counts Redis commands sent by redis-py (a pipeline would count once)."""
    import redis

    sent = [0]
    original = redis.Redis.execute_command

    def counted(self, *args, **kwargs):
        sent[0] += 1
        return original(self, *args, **kwargs)

    redis.Redis.execute_command = counted
    return sent


def cpu_rounds(data: dict, paths: dict[str, str], count: int, rounds: int) -> dict:
    """CPU ms a click per view: the median of `rounds` rounds of `count` clicks, the views
    taking turns, so that a busy spell on a shared machine hits both alike."""
    seed = secrets.randbelow(10**9)  # fresh clicks each run (--reuse), the same for each view
    per_click: dict[str, list[float]] = {name: [] for name in paths}
    errors = dict.fromkeys(paths, 0)
    for n in range(rounds):
        for name, path in paths.items():
            start = time.process_time()
            codes = run(data, path, count, seed=seed + n)
            per_click[name].append((time.process_time() - start) * 1000 / count)
            errors[name] += sum(code != 200 for code in codes)
    return {
        name: {"cpu_ms": statistics.median(times), "spread": times, "errors": errors[name]}
        for name, times in per_click.items()
    }


def round_trips(data: dict, path: str, count: int) -> dict:
    """Database queries and Redis commands a click, and the first queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before = redis_counter.sent[0]
    with CaptureQueriesContext(connection) as queries:
        run(data, path, count, seed=secrets.randbelow(10**9))
    # Read now: the log is emptied when the next request starts.
    return {
        "queries": len(queries) / count,
        "redis": (redis_counter.sent[0] - before) / count,
        "sample": [query["sql"][:110] for query in queries.captured_queries[:12]],
    }


def profile(data: dict, name: str, path: str, count: int) -> None:
    profiler = cProfile.Profile(time.process_time)  # CPU, not waiting
    profiler.enable()
    run(data, path, count, seed=secrets.randbelow(10**9))
    profiler.disable()
    profiler.dump_stats(ROOT / "bench" / "results" / f"toggle_cost_{name}.prof")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clicks", type=int, default=1000, help="clicks per view, all rounds")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--profile", choices=["toggle", "floor"])
    parser.add_argument("--show-queries", action="store_true")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database of the last run (same learners)"
    )
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/roadmap_toggle_cost"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "SECRET_KEY": "toggle-cost-bench-only",  # fixed: --reuse keeps the sessions
        "DEBUG": "0",
        "ALLOWED_HOSTS": "testserver",
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "60",
        "CACHE_KEY_PREFIX": f"cost{secrets.token_hex(4)}",
        # The floor's URLconf: the project's URLs plus the floor view.
        "DJANGO_SETTINGS_MODULE": "floor_settings",
        "STATIC_MANIFEST": "0",
        "PYTHONPATH": str(ROOT / "bench"),
    }
    saved = ROOT / "bench" / "results" / "toggle_cost_learners.json"
    if args.reuse and saved.exists():
        os.environ.update(env)
        import django

        django.setup()
        data = json.loads(saved.read_text())
    else:
        print("preparing database…", flush=True)
        recreate_database(args.database_url)
        manage(env, "migrate", "--no-input", "-v", "0")
        manage(env, "import_roadmap", "-v", "0")
        data = prepare(env, learners=args.learners)
        saved.parent.mkdir(exist_ok=True)
        saved.write_text(json.dumps(data))
    data.pop("clients", None)
    redis_counter.sent = redis_counter()

    paths = {"floor": "/bench/floor/%s/", "toggle": "/roadmaps/llm/%s/status/"}
    for path in paths.values():
        run(data, path, 60, seed=0)  # warm the caches and the connection
    results = cpu_rounds(data, paths, args.clicks // args.rounds, args.rounds)
    for name, path in paths.items():
        results[name].update(round_trips(data, path, args.clicks // 4))
    if args.profile:
        profile(data, args.profile, paths[args.profile], args.clicks)

    print(
        f"\n{args.clicks} clicks each in {args.rounds} rounds (CPU: the median round), "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    header = ("", "CPU ms/click", "queries/click", "Redis/click", "errors")
    print("{:8} {:>12} {:>14} {:>13} {:>7}".format(*header))
    for name, r in results.items():
        figures = (name, r["cpu_ms"], r["queries"], r["redis"], r["errors"])
        print("{:8} {:12.2f} {:14.2f} {:13.2f} {:7}".format(*figures))
    print(f"toggle ÷ floor CPU: {results['toggle']['cpu_ms'] / results['floor']['cpu_ms']:.2f}")
    for name, r in results.items():
        print(f"{name} rounds: " + ", ".join(f"{ms:.2f}" for ms in r["spread"]))
    if args.show_queries:
        for name, r in results.items():
            print(f"\n{name}: first queries")
            for sql in r["sample"]:
                print("  ", sql)
    return 1 if any(r["errors"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
