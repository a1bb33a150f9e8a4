#!/usr/bin/env python3
"""One learner's dashboard with 10,000 and then 10,000,000 ProgressEvent rows in the table.

    .venv/bin/python bench/history.py [--events 10000000] [--small 10000] [--repeat 30]

(Re)creates its own PostgreSQL database, postgres://postgres@127.0.0.1:5432/roadmap_bench_history
(--database-url to change it; never point it at real data: the database is dropped). It
migrates, imports content/*.yaml, gives one measured learner a year of history (about 200
status changes on two followed roadmaps) and fills the table with other learners' events up
to --small rows (100 events per learner, so 100 learners). It times `load_dashboard` for the
measured learner (median and fastest of --repeat after warm-up, and this process's CPU
time), PostgreSQL's own execution time of its three history queries (EXPLAIN ANALYZE), its
streak, chart and recent-activity parts, and the whole page through django.test.Client with
the cache cleared before each request. Then it grows the table to --events rows with COPY
(100,000 learners for 10M), rebuilds the indexes, runs VACUUM ANALYZE, times everything again
and prints the ratios: the learner's dashboard should stay within 2x. 10M rows take a few
minutes and about 2 GB of disk. Wall times on a busy machine mostly measure the wait for a
CPU: the load average is printed.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchdb import recreate_database  # noqa: E402 (bench/ is the script's folder)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/roadmap_bench_history"
EVENTS_PER_LEARNER = 100
NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
STATUSES = ("in_progress", "done", "skipped", "not_started")


def timed(function, repeat: int) -> tuple[float, float, float]:
    """Median and fastest wall time and median CPU time of this process, in ms."""
    for _ in range(3):  # warm up: connection, PostgreSQL's caches, templates
        function()
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), min(wall), statistics.median(cpu)


def server_ms(statements: list[str], repeat: int) -> float:
    """PostgreSQL's own execution time of the statements (EXPLAIN ANALYZE), medians summed:
    what grows with the table, without Python or a busy CPU's queue in the figure."""
    from django.db import connection

    total = 0.0
    with connection.cursor() as cursor:
        for sql in statements:
            runs = []
            for _ in range(repeat):
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
                (plan,) = cursor.fetchone()
                runs.append(
                    (json.loads(plan) if isinstance(plan, str) else plan)[0]["Execution Time"]
                )
            total += statistics.median(runs)
    return total


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


def measure(learner, repeat: int) -> dict[str, float]:
    """Milliseconds: the dashboard's data, its parts, and the whole page."""
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

    def chart():
        before, events = progress._chart_events(learner, shown, tz=tz, now=NOW)
        return weekly_totals(events, tz=tz, now=NOW, before=before)

    def page():
        cache.clear()
        assert client.get("/").status_code == 200

    def dashboard():
        return progress.load_dashboard(learner, roadmaps, now=NOW)

    with CaptureQueriesContext(connection) as captured:
        dashboard()
    history = [q["sql"] for q in captured if 'FROM "tracker_progressevent"' in q["sql"]]
    median, fastest, cpu = timed(dashboard, repeat)
    return {
        "load_dashboard, median": median,
        "load_dashboard, fastest": fastest,
        "load_dashboard, Django CPU": cpu,
        f"  its {len(history)} history queries in PG": server_ms(history, repeat),
        "  streak (done weeks)": timed(
            lambda: streak_from_weeks(progress._done_weeks(learner, tz), tz=tz, now=NOW), repeat
        )[0],
        "  chart (window + before)": timed(chart, repeat)[0],
        "  recent activity": timed(
            lambda: list(
                learner.progress_events.select_related("item__roadmap").order_by("-at", "-id")[:8]
            ),
            repeat,
        )[0],
        "page / (cache cleared)": timed(page, repeat)[0],
    }


def table_size(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('tracker_progressevent'))"
        ).fetchone()[0]


def report(label: str, rows: int, size: str, timings: dict[str, float]) -> None:
    print(f"{label}: {rows:,} events in the table ({size} with indexes)")
    for name, value in timings.items():
        print(f"  {name:<34} {value:8.1f} ms")
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()

    url = args.database_url
    recreate_database(url)
    # Production-like settings: DEBUG off (no query logging), the in-process cache.
    os.environ.pop("REDIS_URL", None)
    os.environ.update(
        DATABASE_URL=url,
        DEBUG="0",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-secret-key"),
        ALLOWED_HOSTS="testserver",
        STATIC_MANIFEST="0",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="roadmap_site.settings",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    rng = random.Random(args.seed)
    call_command("migrate", verbosity=0)
    call_command("import_roadmap", verbosity=0, stdout=io.StringIO())
    learner, history = seed_measured_learner(rng)
    print(f"measured learner: {history} events on {len(learner.follows.all())} roadmaps")
    grow(url, args.small, learner.pk, rng)
    small = measure(learner, args.repeat)
    report("small", args.small, table_size(url), small)

    connection.close()  # the load runs on its own connection; start afresh after it
    seconds = grow(url, args.events, learner.pk, rng)
    print(f"grew the table to {args.events:,} events in {seconds:.0f} s (COPY, indexes, VACUUM)")
    large = measure(learner, args.repeat)
    report("large", args.events, table_size(url), large)
    print("ratio large / small (target: load_dashboard at most 2x):")
    for name in small:
        print(f"  {name:<34} {large[name] / small[name]:8.2f}x")


if __name__ == "__main__":
    main()
