#!/usr/bin/env python3
"""Server time of the mentor dashboard for one cohort of 500 learners on the LLM roadmap.

    .venv/bin/python bench/cohort_dashboard.py [--learners 500] [--requests 50] [--seed 1]

Uses DATABASE_URL when set; otherwise it (re)creates a throwaway PostgreSQL database,
postgres://postgres@127.0.0.1:5432/roadmap_bench, so it never touches real data. It migrates,
imports content/llm.yaml, seeds the cohort with `seed_demo`, then times `--requests` GETs of
/cohorts/<id>/ through django.test.Client signed in as the mentor (middleware, queries and
template rendering included; no network) after two warm-up requests, and prints the median and
p95 in milliseconds with the number of queries one request runs. The load average is printed
too: on a busy machine wall time mostly measures the wait for a CPU.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchdb import recreate_database  # noqa: E402 (bench/ is the script's folder)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/roadmap_bench"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL")
    if not url:
        url = DEFAULT_URL
        recreate_database(url)
    # Production-like settings: DEBUG off (no query logging), static files without a manifest.
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
    from django.test import Client

    from tracker.models import Cohort, Roadmap, User

    call_command("migrate", verbosity=0)
    if (ROOT / "content" / "llm.yaml").exists():
        call_command("import_roadmap", verbosity=0)
    if not Roadmap.objects.filter(slug="llm").exists():
        sys.exit("The LLM roadmap is missing: content/llm.yaml did not import.")
    before = set(Cohort.objects.values_list("pk", flat=True))
    call_command("seed_demo", learners=args.learners, cohorts=1, seed=args.seed, if_empty=False)
    cohort = Cohort.objects.exclude(pk__in=before).get()
    assert cohort.roadmap.slug == "llm", "seed_demo picked another roadmap"
    mentor = User.objects.get(email="mentor@example.com")

    client = Client()
    client.force_login(mentor)
    path = f"/cohorts/{cohort.pk}/"
    for _ in range(2):  # warm caches: templates, connection, PostgreSQL plans
        assert client.get(path).status_code == 200
    queries = []

    def count(execute, sql, *args):
        queries.append(sql)
        return execute(sql, *args)

    # request_started resets connection.queries, so count through an execute wrapper instead.
    with connection.execute_wrapper(count):
        client.get(path)
    timings, cpu = [], []
    for _ in range(args.requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200
    print(
        f"cohort dashboard, {cohort.memberships.count()} learners, "
        f"{cohort.roadmap.items.filter(archived_at__isnull=True).count()} items, "
        f"{args.requests} requests, {len(queries)} queries each, "
        f"{connection.vendor}:"
    )
    print(f"  median {statistics.median(timings):.1f} ms")
    print(f"  p95    {percentile(timings, 0.95):.1f} ms")
    print(f"  min    {min(timings):.1f} ms, max {max(timings):.1f} ms")
    # Wall time includes waiting for a busy CPU; this process's CPU time (PostgreSQL's own work
    # excluded) shows how much of it is Django's.
    print(f"  Django CPU time: median {statistics.median(cpu):.1f} ms")
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"  response size {len(response.content) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
