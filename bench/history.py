#!/usr/bin/env python3
"""One learner's dashboard with 10,000 and with 10,000,000 ProgressEvent rows in the table.

    .venv/bin/python bench/history.py [--events 10000000] [--small 10000] [--rounds 6] [--runs 5]

Builds two throwaway PostgreSQL databases, postgres://postgres@127.0.0.1:5432/roadmap_bench_history
and the same name with _small (--database-url to change it; never point it at real data: it
is dropped). The small one is migrated, gets content/*.yaml, one measured learner with a year
of history (about 200 status changes on two followed roadmaps) and other learners' events up to
--small rows (100 events per learner). The large one starts as a copy and grows to --events
rows by COPY (100,000 learners for 10M; the measured learner's rows scattered through the
load), then its indexes are rebuilt and it is vacuumed and analysed: a few minutes and about
2 GB of disk for 10M.

Then it times, alternating between the two databases round by round so that both see the
same machine load: `load_dashboard` for the measured learner (wall and this process's CPU
time), PostgreSQL's own execution time of its three history queries (EXPLAIN ANALYZE), the
streak, chart and recent-activity parts, and the whole page through django.test.Client with
the cache cleared before each request. It prints the medians for both tables and their
ratio; the target is load_dashboard within 2x. On a busy machine wall times mostly measure
the wait for a CPU: the load average is printed.
"""

import argparse
import io
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchdb import recreate_database, setup_django  # noqa: E402 (bench/ is the script's folder)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/roadmap_bench_history"
EVENTS_PER_LEARNER = 100
NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
STATUSES = ("in_progress", "done", "skipped", "not_started")


def timed(function, runs: int) -> tuple[list[float], list[float]]:
    """Wall and this process's CPU time of each run, in ms, after one warm-up run."""
    function()
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def server_ms(statements: list[str], runs: int) -> list[float]:
    """PostgreSQL's own execution time of the statements together (EXPLAIN ANALYZE), per run:
    what grows with the table, without Python or a busy CPU's queue in the figure."""
    from django.db import connection

    totals = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            total = 0.0
            for sql in statements:
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
                (plan,) = cursor.fetchone()
                plan = json.loads(plan) if isinstance(plan, str) else plan
                total += plan[0]["Execution Time"]
            totals.append(total)
    return totals


def seed_measured_learner(rng: random.Random):
    """A year of steady study: most weeks start and finish a few items, some are skipped,
    a few are undone, and a couple of weeks off break the streak."""
    from tracker.models import Progress, ProgressEvent, Roadmap, RoadmapFollow, User

    learner = User.objects.create_user(email="measured@example.com", password="x")
    learner.time_zone = "Europe/Berlin"
    learner.save()
    roadmaps = list(Roadmap.objects.active().order_by("order", "title")[:2])
    for position, roadmap in enumerate(roadmaps):
        RoadmapFollow.objects.create(learner=learner, roadmap=roadmap, position=position)
    items = [item for roadmap in roadmaps for item in roadmap.items.order_by("order", "id")]
    status, events = {}, []

    def change(item, new, at):
        events.append(
            ProgressEvent(
                learner=learner,
                item=item,
                status=new,
                previous_status=status.get(item.id, "not_started"),
                at=at,
            )
        )
        status[item.id] = new

    position = 0
    for week in range(52, -1, -1):
        if week in (30, 31, 9):
            continue
        monday = NOW - timedelta(weeks=week, days=NOW.weekday())
        for _ in range(rng.randint(1, 4)):
            item = items[position % len(items)]
            position += 1
            started = monday + timedelta(hours=rng.randint(8, 60))
            change(item, "in_progress", started)
            finished = started + timedelta(hours=rng.randint(2, 90))
            if finished < NOW:
                change(item, "skipped" if rng.random() < 0.1 else "done", finished)
            if rng.random() < 0.05 and finished + timedelta(hours=1) < NOW:
                change(item, "in_progress", finished + timedelta(hours=1))  # undone
    ProgressEvent.objects.bulk_create(events)
    Progress.objects.bulk_create(
        Progress(learner=learner, item_id=item_id, status=final)
        for item_id, final in status.items()
    )
    return learner, len(events)


def grow(url: str, total: int, measured_id: int, rng: random.Random) -> float:
    """Other learners' events by COPY until the table holds `total` rows; returns seconds.

    The secondary indexes are dropped for the load and rebuilt after it (a bulk load's
    usual shape, and minutes faster), so the table ends with exactly the migrated indexes.
    """
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        (rows,) = conn.execute("SELECT count(*) FROM tracker_progressevent").fetchone()
        if rows >= total:
            return 0.0
        learner_ids = add_learners(conn, max(1, -(-total // EVENTS_PER_LEARNER)))
        item_ids = [row[0] for row in conn.execute("SELECT id FROM tracker_item")]
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tracker_progressevent'"
            " AND indexname NOT LIKE '%pkey'"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        # Real histories are written a few rows a day among everyone else's, so the measured
        # learner's rows move from where they are to random places in the load.
        own = conn.execute(
            "DELETE FROM tracker_progressevent WHERE learner_id = %s"
            " RETURNING learner_id, item_id, status, previous_status, at",
            [measured_id],
        ).fetchall()
        count = total - rows + len(own)
        scattered = {
            position: "\t".join([str(row[0]), str(row[1]), row[2], row[3], row[4].isoformat()])
            + "\n"
            for position, row in zip(rng.sample(range(count), len(own)), own, strict=True)
        }
        copy_events(conn, count, learner_ids, item_ids, scattered, rng)
        conn.execute("SET maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            conn.execute(definition)
        conn.execute("VACUUM (ANALYZE) tracker_progressevent")
        conn.execute("VACUUM (ANALYZE) tracker_user")
    return time.perf_counter() - started


def add_learners(conn, wanted: int) -> list[int]:
    """Other learners by COPY until there are `wanted`; returns all their ids."""
    others = "FROM tracker_user WHERE email LIKE 'other-%'"
    (have,) = conn.execute(f"SELECT count(*) {others}").fetchone()
    with conn.cursor().copy(
        "COPY tracker_user (password, is_superuser, first_name, last_name, email, is_staff,"
        " is_active, date_joined, display_name, time_zone, time_zone_chosen, weekly_hours,"
        " digest_opt_in, calendar_token, is_mentor) FROM STDIN"
    ) as copy:
        for n in range(have, wanted):
            copy.write(
                f"!\tf\t\t\tother-{n}@example.com\tf\tt\t{NOW.isoformat()}\tOther {n}"
                f"\tUTC\tf\t5\tf\tbench-token-{n}\tf\n"
            )
    return [row[0] for row in conn.execute(f"SELECT id {others}")]


def copy_events(conn, count, learner_ids, item_ids, scattered: dict[int, str], rng) -> None:
    """`count` random events over two years, with the lines in `scattered` at their places."""
    moments = [
        (NOW - timedelta(seconds=rng.randrange(2 * 365 * 86400))).isoformat() for _ in range(50_000)
    ]
    with conn.cursor().copy(
        "COPY tracker_progressevent (learner_id, item_id, status, previous_status, at) FROM STDIN"
    ) as copy:
        batch = 100_000
        for offset in range(0, count, batch):
            size = min(batch, count - offset)
            lines = [
                f"{learner}\t{item}\t{status}\t{previous}\t{at}\n"
                for learner, item, status, previous, at in zip(
                    rng.choices(learner_ids, k=size),
                    rng.choices(item_ids, k=size),
                    rng.choices(STATUSES[:3], weights=(4, 5, 1), k=size),
                    rng.choices(STATUSES, k=size),
                    rng.choices(moments, k=size),
                    strict=True,
                )
            ]
            for position in range(offset, offset + size):
                if position in scattered:  # one of ours instead of someone else's
                    lines[position - offset] = scattered[position]
            copy.write("".join(lines))


def measure(learner, runs: int) -> dict[str, list[float]]:
    """Milliseconds per run on the database in use: the dashboard's data, its parts, the page."""
    from zoneinfo import ZoneInfo

    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tracker.progress_math import streak_from_weeks, weekly_totals
    from tracker.selectors import progress
    from tracker.selectors.roadmaps import followed_roadmaps

    roadmaps = followed_roadmaps(learner)
    tz = ZoneInfo(learner.time_zone)
    shown = {item.id: item for roadmap in roadmaps for item in roadmap.items.all()}
    client = Client()
    client.force_login(learner)

    def dashboard():
        return progress.load_dashboard(learner, roadmaps, now=NOW)

    def chart():
        before, events = progress._chart_events(learner, shown, tz=tz, now=NOW)
        return weekly_totals(events, tz=tz, now=NOW, before=before)

    def recent():
        return list(
            learner.progress_events.select_related("item__roadmap").order_by("-at", "-id")[:8]
        )

    def page():
        cache.clear()
        assert client.get("/").status_code == 200

    with CaptureQueriesContext(connection) as captured:
        dashboard()
    history = [q["sql"] for q in captured if 'FROM "tracker_progressevent"' in q["sql"]]
    wall, cpu = timed(dashboard, runs)
    return {
        "load_dashboard": wall,
        "load_dashboard, Django CPU": cpu,
        f"  its {len(history)} history queries in PG": server_ms(history, runs),
        "  streak (done weeks)": timed(
            lambda: streak_from_weeks(progress._done_weeks(learner, tz), tz=tz, now=NOW), runs
        )[0],
        "  chart (window + before)": timed(chart, runs)[0],
        "  recent activity": timed(recent, runs)[0],
        "page / (cache cleared)": timed(page, runs)[0],
    }


def copy_database(source: str, target: str) -> None:
    """Drop `target` and create it as a copy of `source` (which must have no connections)."""
    import psycopg

    source_name = urlsplit(source).path.lstrip("/")
    parts = urlsplit(target)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source_name}"')


def table_size(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('tracker_progressevent'))"
        ).fetchone()[0]


def use(name: str) -> None:
    """Point Django's connection at another of the two databases (it reconnects lazily)."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per round")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()

    large_url = args.database_url
    small_url = f"{large_url}_small"
    recreate_database(small_url)
    setup_django(small_url)
    from django.core.management import call_command
    from django.db import connection

    rng = random.Random(args.seed)
    call_command("migrate", verbosity=0)
    call_command("import_roadmap", verbosity=0, stdout=io.StringIO())
    learner, history = seed_measured_learner(rng)
    print(f"measured learner: {history} events on {len(learner.follows.all())} roadmaps")
    grow(small_url, args.small, learner.pk, rng)
    connection.close()
    # The large database starts as a copy of the small one: the same learner, ids and content.
    copy_database(small_url, large_url)
    seconds = grow(large_url, args.events, learner.pk, rng)
    print(f"grew a copy to {args.events:,} events in {seconds:.0f} s (COPY, indexes, VACUUM)")

    # Rounds alternate between the databases, so that both see the same load on a busy
    # machine: timed one after the other, a change of load shows up as a ratio.
    names = {"small": small_url.rsplit("/", 1)[1], "large": large_url.rsplit("/", 1)[1]}
    figures = {size: {} for size in names}
    for _ in range(args.rounds):
        for size, name in names.items():
            use(name)
            for key, values in measure(learner, args.runs).items():
                figures[size].setdefault(key, []).extend(values)
    rows = {"small": args.small, "large": args.events}
    for size, url in (("small", small_url), ("large", large_url)):
        print(f"{size}: {rows[size]:,} events in the table ({table_size(url)} with indexes)")
    heading = f"medians of {args.rounds * args.runs} runs, ms"
    print(f"{heading:<36}{'small':>8}{'large':>10}{'ratio':>9}")
    for key in figures["small"]:
        small, large = (statistics.median(figures[size][key]) for size in names)
        print(f"  {key:<34}{small:8.1f}{large:10.1f}{large / small:8.2f}x")
    small, large = (min(figures[size]["load_dashboard"]) for size in names)
    print(f"  {'load_dashboard, fastest':<34}{small:8.1f}{large:10.1f}{large / small:8.2f}x")
    print("target: load_dashboard within 2x of the small table")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
