#!/usr/bin/env python3
"""Server time of the mentor dashboard for one cohort on the LLM roadmap, a page at a time,
and the peak memory of its CSV export.

    .venv/bin/python bench/cohort_dashboard.py [--learners 500] [--requests 20] [--seed 1]
    .venv/bin/python bench/cohort_dashboard.py --csv --learners 500 --rows 50000

Uses DATABASE_URL when set; otherwise it (re)creates a throwaway PostgreSQL database,
postgres://postgres@127.0.0.1:5432/roadmap_bench, so it never touches real data. It migrates,
imports content/llm.yaml and seeds the cohort with `seed_demo`, then gives every third member
a target date (seed_demo sets none, and the plan status of a learner without a target needs no
planning: the bench would miss that cost). `--reuse` (with DATABASE_URL) skips all that when
the database holds a cohort of that size from an earlier run, to compare code on the same data.

Dashboard mode times `--requests` GETs of each of four pages of /cohorts/<id>/ (the default
page, a middle page sorted by name, the at-risk filter sorted by progress, the last page
sorted by last activity) through django.test.Client signed in as the mentor (middleware,
queries and template rendering included; no network) after a warm-up, and prints the median
and p95 in milliseconds per page with the number of queries one request runs.

CSV mode first copies the seeded members (with their progress, events and weekly snapshots,
in SQL) until the cohort has `--rows` learners, then streams /cohorts/<id>/export.csv in a
fresh process and prints its peak RSS next to that process's RSS before the export; a second
process holds the whole CSV in memory, as the export did before it streamed, for comparison.

The load average is printed too: on a busy machine wall time mostly measures the wait for a
CPU.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchdb import recreate_database, setup_django  # noqa: E402 (bench/ is the script's folder)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/roadmap_bench"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def seeded_cohort(learners: int):
    """A cohort of `learners` seeded by an earlier run, or None."""
    from django.core.management import call_command
    from django.db.models import Count

    from tracker.models import Cohort

    call_command("migrate", verbosity=0)  # the code measured may bring an index
    return (
        Cohort.objects.filter(roadmap__slug="llm")
        .annotate(members=Count("memberships"))
        .filter(members__gte=learners, members__lte=learners + 1)  # + the demo learner
        .order_by("-pk")
        .first()
    )


def seed_cohort(learners: int, seed: int):
    from django.core.management import call_command
    from django.db import connection

    from tracker.models import Cohort, Membership, Roadmap, User

    call_command("migrate", verbosity=0)
    if (ROOT / "content" / "llm.yaml").exists():
        call_command("import_roadmap", verbosity=0)
    if not Roadmap.objects.filter(slug="llm").exists():
        sys.exit("The LLM roadmap is missing: content/llm.yaml did not import.")
    before = set(Cohort.objects.values_list("pk", flat=True))
    call_command("seed_demo", learners=learners, cohorts=1, seed=seed, if_empty=False)
    cohort = Cohort.objects.exclude(pk__in=before).get()
    assert cohort.roadmap.slug == "llm", "seed_demo picked another roadmap"
    # Targets from 4 to 40 weeks out, some of them out of reach at the learner's pace.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {User._meta.db_table}"
            " SET target_date = CURRENT_DATE + 7 * (4 + id %% 37)::integer"
            f" WHERE id %% 3 = 0 AND id IN (SELECT learner_id FROM"
            f" {Membership._meta.db_table} WHERE cohort_id = %s)",
            [cohort.pk],
        )
    vacuum_analyze()
    return cohort


def vacuum_analyze() -> None:
    """Tables as autovacuum leaves them by the time anyone looks: statistics, and the
    visibility map that lets PostgreSQL answer from an index alone (index-only scans)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def mentor_client():
    from django.test import Client

    from tracker.models import User

    client = Client()
    client.force_login(User.objects.get(email="mentor@example.com"))
    return client


def count_queries(client, path: str) -> int:
    from django.db import connection

    queries = []

    def count(execute, sql, *args):
        queries.append(sql)
        return execute(sql, *args)

    # request_started resets connection.queries, so count through an execute wrapper instead.
    with connection.execute_wrapper(count):
        assert client.get(path).status_code == 200
    return len(queries)


def database_cpu_ms() -> float:
    """CPU time of this connection's PostgreSQL backend so far (0 when the server runs on
    another machine): under load, wall time mostly measures the wait for a CPU."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def bench_dashboard(cohort, requests: int) -> None:
    from django.db import connection

    from tracker.selectors.cohort_dashboard import PAGE_SIZE as DASHBOARD_PAGE_SIZE

    client = mentor_client()
    members = cohort.memberships.count()
    pages = max(1, -(-members // DASHBOARD_PAGE_SIZE))
    base = f"/cohorts/{cohort.pk}/"
    paths = {
        "default (at risk first), page 1": base,
        f"by name, page {max(1, pages // 2)}": f"{base}?sort=name&dir=asc&page={pages // 2}",
        "at-risk filter, by progress": f"{base}?sort=overall&dir=desc&filter=at-risk",
        f"by last active, page {pages} (last)": f"{base}?sort=last_active&dir=asc&page={pages}",
    }
    items = cohort.roadmap.items.filter(archived_at__isnull=True).count()
    print(
        f"cohort dashboard, {members} learners ({pages} pages of {DASHBOARD_PAGE_SIZE}), "
        f"{items} items, {requests} requests a page, {connection.vendor}:"
    )
    everything, busy = [], []
    for label, path in paths.items():
        for _ in range(2):  # warm caches: templates, connection, PostgreSQL plans
            response = client.get(path)
            assert response.status_code == 200
        queries = count_queries(client, path)
        timings, cpu = [], []
        database_before = database_cpu_ms()
        for _ in range(requests):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            timings.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            assert response.status_code == 200
        database = (database_cpu_ms() - database_before) / requests if database_before else 0
        everything += timings
        busy.append(statistics.median(cpu) + database)
        # Django's CPU time leaves PostgreSQL's own work out: the difference is the database.
        print(
            f"  {label:<34} median {statistics.median(timings):6.1f} ms, "
            f"p95 {percentile(timings, 0.95):6.1f} ms, Django CPU {statistics.median(cpu):5.1f} ms,"
            f" PostgreSQL CPU {database:5.1f} ms, {queries} queries,"
            f" {len(response.content) / 1024:.0f} KiB"
        )
    print(
        f"  all pages: median {statistics.median(everything):.1f} ms, "
        f"p95 {percentile(everything, 0.95):.1f} ms; CPU a page (Django + PostgreSQL), the wall"
        f" time of an idle machine: {min(busy):.0f}-{max(busy):.0f} ms"
    )
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def copy_members(cohort, rows: int) -> int:
    """Copy the cohort's members, with progress, events and snapshots, until it has `rows`."""
    from django.db import connection, transaction

    from tracker.models import Membership, Progress, ProgressEvent, User, WeekPlan

    existing = cohort.memberships.count()
    missing = rows - existing
    if missing <= 0:
        return existing
    copies = -(-missing // existing)
    user_fields = [f for f in User._meta.concrete_fields if not f.primary_key]
    user_columns = [f.column for f in user_fields]
    # Unique text columns (email, calendar token) get a prefix; the email's is undone below.
    picked = ", ".join(
        f"'clone' || g || '.' || s.{f.column}" if f.unique else f"s.{f.column}" for f in user_fields
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {User._meta.db_table} ({', '.join(user_columns)}) "
            f"SELECT {picked} FROM {User._meta.db_table} s "
            f"JOIN {Membership._meta.db_table} m ON m.learner_id = s.id AND m.cohort_id = %s "
            "CROSS JOIN generate_series(1, %s) g ORDER BY g, s.id LIMIT %s",
            [cohort.pk, copies, missing],
        )
        cursor.execute(
            "CREATE TEMP TABLE clone_map AS SELECT n.id AS new_id, s.id AS old_id "
            f"FROM {User._meta.db_table} n JOIN {User._meta.db_table} s "
            "ON s.email = substr(n.email, strpos(n.email, '.') + 1) WHERE n.email LIKE 'clone%%'"
        )
        for model in (Membership, Progress, ProgressEvent, WeekPlan):
            columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
            picked = ", ".join("map.new_id" if c == "learner_id" else f"t.{c}" for c in columns)
            where = f"AND t.cohort_id = {cohort.pk}" if model is Membership else ""
            cursor.execute(
                f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
                f"SELECT {picked} FROM {model._meta.db_table} t "
                f"JOIN clone_map map ON map.old_id = t.learner_id {where}"
            )
        cursor.execute("DROP TABLE clone_map")
    vacuum_analyze()
    return cohort.memberships.count()


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def measure_export(cohort_id: int, hold: bool) -> None:
    """In a fresh process: RSS before, then the peak while the export runs."""
    import tracemalloc

    client = mentor_client()
    assert client.get("/cohorts/").status_code == 200  # load templates, URLs, the connection
    before = _status_kib("VmRSS") / 1024
    # Linux: writing 5 resets the peak RSS (VmHWM) to the current RSS, so the peak read
    # afterwards is the export's, not django.setup()'s.
    Path("/proc/self/clear_refs").write_text("5")
    tracemalloc.start()
    start = time.perf_counter()
    response = client.get(f"/cohorts/{cohort_id}/export.csv")
    assert response.status_code == 200 and response.streaming
    if hold:
        # As before streaming: every row in a list, then the whole file as one string.
        size = len(b"".join(list(response.streaming_content)))
    else:
        size = sum(len(chunk) for chunk in response.streaming_content)
    seconds = time.perf_counter() - start
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    peak = _status_kib("VmHWM") / 1024
    way = "held in memory" if hold else "streamed"
    print(
        f"  {way:<15} {size / 2**20:6.1f} MiB of CSV in {seconds:5.1f} s (traced): peak RSS "
        f"{peak:6.1f} MiB, {peak - before:+.1f} MiB over the {before:.1f} MiB before; "
        f"Python allocations peak {traced:.1f} MiB"
    )


def bench_csv(cohort, rows: int) -> None:
    members = copy_members(cohort, rows)
    print(f"cohort CSV export, {members} learners:")
    for hold in (False, True):
        command = [sys.executable, __file__, "--export-child", str(cohort.pk)]
        subprocess.run([*command, "--hold"] if hold else command, check=True)
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--csv", action="store_true", help="measure the CSV export's memory")
    parser.add_argument("--rows", type=int, default=0, help="CSV mode: copy members up to this")
    parser.add_argument(
        "--reuse", action="store_true", help="with DATABASE_URL: use a cohort seeded before"
    )
    parser.add_argument("--export-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--hold", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL")
    if args.export_child:
        setup_django(url)
        measure_export(args.export_child, args.hold)
        return
    if not url:
        url = DEFAULT_URL
        recreate_database(url)
        os.environ["DATABASE_URL"] = url  # for the export processes
    setup_django(url)
    cohort = (args.reuse and seeded_cohort(args.learners)) or seed_cohort(args.learners, args.seed)
    if args.csv:
        bench_csv(cohort, max(args.rows, args.learners))
    else:
        bench_dashboard(cohort, args.requests)


if __name__ == "__main__":
    main()
