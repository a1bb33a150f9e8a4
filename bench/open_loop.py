#!/usr/bin/env python3
"""The status toggle's latency under open-loop load: what a learner feels when clicks arrive
at a steady rate, whether or not the server keeps up.

    .venv/bin/python bench/open_loop.py [--rounds 5] [--closed-duration 10] [--open-rounds 3]
        [--duration 20]

Needs PostgreSQL, Redis and Debian's `wrk`, as bench/load.py (whose setup it reuses: a
throwaway database, the content, learners with history), with gunicorn's sync workers two a
core as bin/web starts them (`--workers`).

1. Closed loop, 50 connections, with wrk (one learner per connection, random statuses on all
   the LLM roadmap's items, each of which every learner already has a row for, as have its
   shared-topic twins): the floor (a view that only signs the learner in, checks CSRF and
   updates one row; bench/floor_urls.py), then the real toggle, each on its own gunicorn, in
   alternating rounds (`--rounds`). `--closed-items first-six` clicks the roadmap's first six
   items only: four are topics shared by 5-11 items across the series, whose twins every click
   updates too, so the toggle writes 4.8 rows a click there against 2.6 over all items. The toggle's
   share of the floor's throughput in the median round is the first figure; every round's is
   printed, since a shared machine's spells move single runs by ±10 points.
2. Open loop, wrk2-style, with the asyncio generator below: clicks are scheduled at a constant
   rate of half the floor's measured capacity, each sent at its time whether or not earlier
   ones were answered, and each click's latency runs from when it was *due*, not when it was
   sent. A generator that waits for answers (closed loop) sends less when the server stalls
   and so never sees the stall ("coordinated omission"); this one counts the wait. Clicks
   go round-robin over `--learners` learners (each learner clicks every learners/rate
   seconds, one click at a time as a person would) on random items of the LLM roadmap with
   random statuses, as htmx POSTs with the learner's session and CSRF token. The floor is
   driven at the same rate for comparison, in alternating rounds (`--open-rounds`) as in the
   closed loop. The median round (by the toggle's p99) is the second figure; every round's
   p50/p99 and CPU a click are printed, and the percentiles of all rounds' clicks together.

Each run of either loop starts from a VACUUM of the progress rows, so neither view inherits
the other's dead rows (this machine's PostgreSQL runs without autovacuum).

The generator is one single-threaded asyncio process (the default event loop, no uvloop) on
the same 2 cores as gunicorn and PostgreSQL, so it takes CPU from them; it prints its own CPU
use and the machine's, and how late it sent clicks (a late send still counts from its due
time, so it never flatters the server).
"""

import argparse
import asyncio
import itertools
import json
import os
import random
import secrets
import shutil
import statistics
import sys
import time
from urllib.parse import urlsplit

from load import (
    ROOT,
    cpu_by_program,
    cpu_per_request,
    manage,
    prepare,
    recreate_database,
    serving,
    toggle_load,
)

TOGGLE_PATH = "/roadmaps/llm/%s/status/"
FLOOR_PATH = "/bench/floor/%s/"
STATUSES = ["not_started", "in_progress", "done", "skipped"]
TIMEOUT_S = 10.0


def click_request(host: str, path: str, learner: dict, status: str) -> bytes:
    """An htmx click as the page's form sends it: status, the page to come back to, CSRF."""
    body = f"status={status}&next=%2Froadmaps%2Fllm%2F".encode()
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        f"Cookie: sessionid={learner['session']}; csrftoken={learner['csrf']}\r\n"
        f"X-CSRFToken: {learner['csrf']}\r\n"
        "HX-Request: true\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


async def one_click(host: str, port: int, request: bytes) -> int:
    """Send one request on a fresh connection (gunicorn's sync workers close it after each
    answer) and read the whole answer; returns the HTTP status."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        answer = await reader.read()  # to EOF: the server closes after the body
    finally:
        writer.close()
    return int(answer[9:12]) if answer.startswith(b"HTTP/1.") else 0


async def open_loop(
    base: str, path: str, learners: list[dict], slugs: list[str], rate: float, duration: float
) -> dict:
    """Clicks due every 1/rate seconds for `duration`; latency from each click's due time."""
    url = urlsplit(base)
    host, port = url.hostname, url.port
    rng = random.Random(16)
    loop = asyncio.get_running_loop()
    total = int(rate * duration)
    latencies: list[float] = []
    send_lag: list[float] = []
    timeline: list[tuple[float, float]] = []  # (due, latency) in seconds from the start
    errors: dict[str, int] = {}
    learner_cycle = itertools.cycle(learners)

    async def fire(due: float, request: bytes) -> None:
        send_lag.append(loop.time() - due)
        try:
            status = await asyncio.wait_for(one_click(host, port, request), TIMEOUT_S)
        except (OSError, TimeoutError) as error:
            errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
            return
        if status != 200:
            errors[f"HTTP {status}"] = errors.get(f"HTTP {status}", 0) + 1
            return
        latencies.append(loop.time() - due)
        timeline.append((due - start, loop.time() - due))

    cpu_before, machine_before = time.process_time(), _machine_cpu()
    start = loop.time() + 0.05
    tasks = []
    for n in range(total):
        due = start + n / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        learner = next(learner_cycle)
        request = click_request(
            f"{host}:{port}", path % rng.choice(slugs), learner, rng.choice(STATUSES)
        )
        tasks.append(asyncio.create_task(fire(due, request)))
    sending_ended = loop.time()
    await asyncio.gather(*tasks)
    wall = loop.time() - start
    cpu = time.process_time() - cpu_before
    machine = _machine_share(machine_before, _machine_cpu())
    latencies.sort()
    send_lag.sort()
    return {
        "rate": rate,
        "scheduled": total,
        "answered_200": len(latencies),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "achieved_rps": len(latencies) / (sending_ended - start),
        "p50_ms": _percentile(latencies, 50) * 1000,
        "p90_ms": _percentile(latencies, 90) * 1000,
        "p99_ms": _percentile(latencies, 99) * 1000,
        "max_ms": (latencies[-1] if latencies else float("nan")) * 1000,
        "send_lag_p99_ms": _percentile(send_lag, 99) * 1000,
        "send_lag_max_ms": (send_lag[-1] if send_lag else float("nan")) * 1000,
        "generator_cpu_share": cpu / wall,  # of one core
        "generator_cpu_ms_per_click": 1000 * cpu / max(total, 1),
        "machine_cpu_share": machine,  # of all cores
        "slowest_seconds": _slowest_seconds(timeline),
        "latencies": latencies,  # for the rounds' pooled figures; not saved
    }


def _verdict(figures: dict) -> str:
    return (
        f"p50 {'✔' if figures['p50_ms'] < 15 else '✘'} p99 {'✔' if figures['p99_ms'] < 50 else '✘'}"
    )


def _slowest_seconds(timeline: list[tuple[float, float]], count: int = 3) -> list[dict]:
    """The seconds of the run whose clicks waited longest (by p99): a stall shows up here as
    one or two bad seconds, a server that can't keep up as a slope."""
    by_second: dict[int, list[float]] = {}
    for due, latency in timeline:
        by_second.setdefault(int(due), []).append(latency)
    worst = sorted(
        by_second.items(), key=lambda pair: _percentile(sorted(pair[1]), 99), reverse=True
    )
    return [
        {"second": second, "clicks": len(waits), "p99_ms": 1000 * _percentile(sorted(waits), 99)}
        for second, waits in worst[:count]
    ]


def _percentile(sorted_values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p% of them at or below it."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


def _machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _machine_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    busy, total = after[0] - before[0], after[1] - before[1]
    return busy / total if total else float("nan")


def vacuum(url: str) -> int:
    """VACUUM the progress rows both views update; returns the dead rows it found. 50 learners
    on 6 items is 300 rows, each changed about twice a second in the closed loop, and the status
    is indexed (no HOT updates): a round otherwise inherits the last one's dead versions, and
    which view ran before decides how many."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        dead = conn.execute(
            "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'tracker_progress'"
        ).fetchone()[0]
        conn.execute("VACUUM tracker_progress")
    return dead


def rows_for_every_pair(learners: list[dict], slugs: list[str]) -> None:
    """A progress row for each learner on each item and on its shared-topic twins, as after
    their first clicks: the closed loop compares the click on existing rows (the floor only
    updates rows), and wrk's lost-update check then covers every pair."""
    from django.db.models import Q

    from tracker.models import Item, Progress

    clicked = Item.objects.filter(roadmap__slug="llm", slug__in=slugs)
    topics = [topic for topic in clicked.values_list("topic", flat=True) if topic]
    items = list(Item.objects.filter(Q(pk__in=clicked) | Q(topic__in=topics)))
    Progress.objects.bulk_create(
        [
            Progress(learner_id=learner["user_id"], item=item)
            for learner in learners
            for item in items
        ],
        ignore_conflicts=True,
    )


def closed_loop(base: str, path: str, learners: list[dict], targets: list[str], duration: int):
    result = toggle_load(base, learners, targets, duration, path)
    result.pop("last_write")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration", type=int, default=20, help="seconds of open-loop load a round"
    )
    parser.add_argument("--open-rounds", type=int, default=3, help="open-loop rounds of each view")
    parser.add_argument("--closed-duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="closed-loop rounds of each view")
    parser.add_argument(
        "--no-vacuum",
        dest="vacuum",
        action="store_false",
        help="don't VACUUM the progress rows before each run",
    )
    parser.add_argument("--warmup", type=int, default=5, help="open-loop seconds not counted")
    parser.add_argument("--connections", type=int, default=50, help="closed-loop connections")
    parser.add_argument(
        "--closed-items",
        choices=["all", "first-six"],
        default="all",
        help="the closed loop's clicks: on all the roadmap's items (as people click and as "
        "the open loop does) or on its first six (four of them topics shared by 5-11 items "
        "across the series, whose twins every click moves too: the worst case)",
    )
    parser.add_argument("--learners", type=int, default=300, help="learners the clicks rotate over")
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1),
        help="gunicorn sync workers (default: two a core, as bin/web)",
    )
    parser.add_argument(
        "--rate", type=float, help="clicks/s (default: half the floor's closed-loop capacity)"
    )
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/roadmap_openloop"
    )
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
        "CACHE_KEY_PREFIX": f"openloop{secrets.token_hex(4)}",
        "DJANGO_SETTINGS_MODULE": "roadmap_site.settings",
    }
    print(f"preparing database ({args.learners} learners)…", flush=True)
    recreate_database(args.database_url)
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "import_roadmap", "-v", "0")
    manage(env, "collectstatic", "--no-input", "-v", "0")
    data = prepare(env, learners=max(args.learners, args.connections))
    learners, slugs = data["cookies"], data["items"]
    wrk_learners = learners[: args.connections]
    closed_items = data["items"] if args.closed_items == "all" else data["targets"]
    rows_for_every_pair(wrk_learners, closed_items)

    def drive(base: str, path: str, slugs: list[str], rate: float) -> dict:
        # As before each closed-loop run: neither view starts on the other's dead rows.
        dead = vacuum(args.database_url) if args.vacuum else None
        if args.warmup:
            asyncio.run(open_loop(base, path, learners, slugs, rate, args.warmup))
        before = cpu_by_program()
        result = asyncio.run(open_loop(base, path, learners, slugs, rate, args.duration))
        result["cpu_ms"] = cpu_per_request(before, cpu_by_program(), result["scheduled"])
        result["dead_rows_before_vacuum"] = dead
        return result

    results: dict[str, dict] = {}
    floor_env = {**env, "DJANGO_SETTINGS_MODULE": "floor_settings"}
    with (
        serving(floor_env, "gunicorn-open-loop-floor.log", args.workers) as floor_base,
        serving(env, "gunicorn-open-loop.log", args.workers) as toggle_base,
    ):
        # Closed loop in alternating rounds, floor then toggle, each on its own server (the
        # one not driven sits idle): a busy spell on a shared machine then hits both alike,
        # and the share is the median of the rounds' shares, not one pair's luck.
        rounds = []
        for n in range(args.rounds):
            print(f"closed loop, round {n + 1}: floor and toggle, {args.connections} connections…")
            pair = {}
            for name, base, path in (
                ("floor", floor_base, FLOOR_PATH),
                ("toggle", toggle_base, TOGGLE_PATH),
            ):
                dead = vacuum(args.database_url) if args.vacuum else None
                pair[name] = closed_loop(
                    base, path, wrk_learners, closed_items, args.closed_duration
                )
                pair[name]["dead_rows_before_vacuum"] = dead
            pair["share"] = pair["toggle"]["rps"] / pair["floor"]["rps"]
            rounds.append(pair)
        results["closed rounds"] = rounds
        median = sorted(rounds, key=lambda pair: pair["share"])[len(rounds) // 2]
        results["closed: floor"], results["closed: toggle"] = median["floor"], median["toggle"]
        share = median["share"]
        rate = args.rate or statistics.median(pair["floor"]["rps"] for pair in rounds) / 2
        # Open loop in alternating rounds too: a slow spell (this machine's CPU speed moves by
        # half between spells) then hits one round of each view, not one view's whole run.
        open_rounds = []
        for n in range(args.open_rounds):
            print(f"open loop, round {n + 1}: floor and toggle at {rate:.0f}/s…", flush=True)
            open_rounds.append(
                {
                    # The floor updates existing rows only: it gets the targets, which every
                    # learner has; the toggle gets every item of the roadmap.
                    "floor": drive(floor_base, FLOOR_PATH, data["targets"], rate),
                    "toggle": drive(toggle_base, TOGGLE_PATH, slugs, rate),
                }
            )
        pooled = {
            name: sorted(x for pair in open_rounds for x in pair[name].pop("latencies"))
            for name in ("floor", "toggle")
        }
        results["open rounds"] = open_rounds
        results["open pooled"] = {
            name: {f"p{p}_ms": 1000 * _percentile(pooled[name], p) for p in (50, 90, 99)}
            for name in pooled
        }
        median = sorted(open_rounds, key=lambda pair: pair["toggle"]["p99_ms"])[
            len(open_rounds) // 2
        ]
        results["open: floor"], results["open: toggle"] = median["floor"], median["toggle"]

    print(
        f"\nclosed loop, {args.connections} connections, {args.rounds} rounds of "
        f"{args.closed_duration} s each (wrk):"
    )
    print("{:6} {:>11} {:>12} {:>7} {:>13} {:>14}".format(
        "round", "floor req/s", "toggle req/s", "share", "floor p50/p99", "toggle p50/p99"
    ))  # fmt: skip
    for n, pair in enumerate(rounds, 1):
        floor, toggle = pair["floor"], pair["toggle"]
        print(
            f"{n:<6} {floor['rps']:11.0f} {toggle['rps']:12.0f} {100 * pair['share']:6.0f}% "
            f"{floor['p50_ms']:6.0f}/{floor['p99_ms']:<6.0f} {toggle['p50_ms']:7.0f}/"
            f"{toggle['p99_ms']:<6.0f}"
        )
    errors = sum(pair[name]["errors"] for pair in rounds for name in ("floor", "toggle"))
    print(f"toggle / floor, median round: {100 * share:.0f}% (target ≥ 80%); errors: {errors}")
    for name in ("floor", "toggle"):
        used = results[f"closed: {name}"]["cpu_ms"]
        print(f"CPU ms a request, {name}: " + ", ".join(f"{n} {v:.2f}" for n, v in used.items()))
    print(
        f"\nopen loop at {rate:.0f} clicks/s (half the floor), {args.open_rounds} rounds of "
        f"{args.duration} s after {args.warmup} s of warm-up, {len(learners)} learners:"
    )
    print("{:6} {:>14} {:>15} {:>15} {:>16}".format(
        "round", "floor p50/p99", "toggle p50/p99", "floor CPU ms", "toggle CPU ms"
    ))  # fmt: skip
    for n, pair in enumerate(open_rounds, 1):
        floor, toggle = pair["floor"], pair["toggle"]
        cpu = {name: sum(pair[name]["cpu_ms"].values()) for name in ("floor", "toggle")}
        print(
            f"{n:<6} {floor['p50_ms']:6.1f}/{floor['p99_ms']:<7.1f} {toggle['p50_ms']:7.1f}/"
            f"{toggle['p99_ms']:<7.1f} {cpu['floor']:15.2f} {cpu['toggle']:16.2f}"
        )
    print("the median round (by the toggle's p99):")
    header = ("view", "achieved/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors")
    print("{:10} {:>10} {:>8} {:>8} {:>8} {:>8} {:>7}".format(*header))
    for name in ("floor", "toggle"):
        r = results[f"open: {name}"]
        row = (name, r["achieved_rps"], r["p50_ms"], r["p90_ms"], r["p99_ms"], r["max_ms"])
        print("{:10} {:10.0f} {:8.1f} {:8.1f} {:8.1f} {:8.1f}".format(*row), f"{r['errors']:7}")
    for name, r in results["open pooled"].items():
        print(
            f"all rounds' clicks, {name}: p50 {r['p50_ms']:.1f} ms, p90 {r['p90_ms']:.1f} ms, "
            f"p99 {r['p99_ms']:.1f} ms"
        )
    r = results["open: toggle"]
    print(
        "toggle targets (p50 < 15 ms, p99 < 50 ms): the median round "
        f"{_verdict(r)}, all rounds' clicks {_verdict(results['open pooled']['toggle'])}"
    )
    print(
        f"generator: {100 * r['generator_cpu_share']:.0f}% of one core "
        f"({r['generator_cpu_ms_per_click']:.2f} ms a click), sends late by "
        f"≤ {r['send_lag_p99_ms']:.1f} ms at p99 ({r['send_lag_max_ms']:.1f} at most); "
        f"machine busy {100 * r['machine_cpu_share']:.0f}%"
    )
    for name in ("floor", "toggle"):
        used = results[f"open: {name}"]["cpu_ms"]
        print(
            f"open loop, CPU ms a click, {name}: "
            + ", ".join(f"{n} {v:.2f}" for n, v in used.items())
        )
    for name in ("floor", "toggle"):
        slowest = results[f"open: {name}"]["slowest_seconds"]
        print(
            f"slowest seconds, {name}: "
            + ", ".join(f"{s['second']} s: p99 {s['p99_ms']:.0f} ms" for s in slowest)
        )
    out = ROOT / "bench" / "results" / "open_loop.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rate": rate, "toggle_share": share, "results": results}, indent=2))
    print(f"written to {out.relative_to(ROOT)}")
    errors += sum(pair[name]["errors"] for pair in open_rounds for name in ("floor", "toggle"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
