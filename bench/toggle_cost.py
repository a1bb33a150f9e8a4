#!/usr/bin/env python3
"""What one status click costs the server, against the floor: CPU, database and Redis round
trips per click, measured in one process through Django's test client.

    .venv/bin/python bench/toggle_cost.py [--clicks 400] [--profile toggle|floor]

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
    from django.test import Client

    made = []
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


def measure(data: dict, name: str, path: str, count: int, profile: bool) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    seed = measure.seed  # fresh clicks each run (--reuse), the same for toggle and floor
    run(data, path, 60, seed=seed)  # warm the caches and the connection
    redis_sent = redis_counter.sent
    before_redis = redis_sent[0]
    start = time.process_time()
    codes = run(data, path, count, seed=seed + 1)
    cpu_ms = (time.process_time() - start) * 1000 / count
    redis_per_click = (redis_sent[0] - before_redis) / count
    connection.queries_log.clear()  # it keeps 9,000 at most, and the count is a difference
    with CaptureQueriesContext(connection) as queries:
        run(data, path, count // 4, seed=seed + 2)
    if profile:
        profiler = cProfile.Profile(time.process_time)  # CPU, not waiting
        profiler.enable()
        run(data, path, count, seed=seed + 3)
        profiler.disable()
        profiler.dump_stats(ROOT / "bench" / "results" / f"toggle_cost_{name}.prof")
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(45)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    bad = [code for code in codes if code != 200]
    return {
        "name": name,
        "cpu_ms": cpu_ms,
        "queries": len(queries) / (count // 4),
        "redis": redis_per_click,
        "errors": len(bad),
        "sample": [q["sql"][:110] for q in queries.captured_queries[:12]],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clicks", type=int, default=400)
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
    redis_counter.sent = redis_counter()
    measure.seed = secrets.randbelow(10**9)

    results = [
        measure(data, "floor", "/bench/floor/%s/", args.clicks, args.profile == "floor"),
        measure(data, "toggle", "/roadmaps/llm/%s/status/", args.clicks, args.profile == "toggle"),
    ]
    print(f"\n{args.clicks} clicks each, load average {os.getloadavg()[0]:.1f}")
    print(
        "{:8} {:>12} {:>14} {:>13} {:>7}".format(
            "", "CPU ms/click", "queries/click", "Redis/click", "errors"
        )
    )
    for r in results:
        figures = (r["name"], r["cpu_ms"], r["queries"], r["redis"], r["errors"])
        print("{:8} {:12.2f} {:14.2f} {:13.2f} {:7}".format(*figures))
    print(f"toggle ÷ floor CPU: {results[1]['cpu_ms'] / results[0]['cpu_ms']:.2f}")
    if args.show_queries:
        for r in results:
            print(f"\n{r['name']}: first queries")
            for sql in r["sample"]:
                print("  ", sql)
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
