#!/usr/bin/env python3
"""Time of one search over the twelve roadmaps (with the GIN indexes of migration 0013).

    DATABASE_URL=postgres://... .venv/bin/python bench/search.py [--requests 30]

Recreates the database named in DATABASE_URL (a throwaway one: it is dropped), migrates and
imports content/*.yaml, and gives a learner a note on a third of the items. Then it runs each
query `--requests` times through selectors.search.search, anonymous and signed in, and prints
the median and the slowest in milliseconds, with the number of hits.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchdb import recreate_database, setup_django  # noqa: E402 (bench/ is the script's folder)

QUERIES = ["attention", "linear algebra", "transformer", "youtube", "pytorch or tensorflow",
           '"neural networks" -video', "zzzz-no-match"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    recreate_database(url)
    setup_django(url)

    from django.contrib.auth.models import AnonymousUser
    from django.core.management import call_command
    from django.db import connection

    from tracker.models import Item, Progress, Resource, User
    from tracker.selectors.search import search

    call_command("migrate", verbosity=0)
    call_command("import_roadmap", verbosity=0)
    learner = User.objects.create_user(email="search@example.com", password=None)
    items = list(Item.objects.active().order_by("id"))
    Progress.objects.bulk_create(
        Progress(learner=learner, item=item, note=f"My notes on {item.title}: revisit attention.")
        for item in items[::3]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would soon after an import
    print(f"{len(items)} items, {Resource.objects.active().count()} resources, "
          f"{len(items[::3])} notes; {args.requests} runs each")  # fmt: skip
    print(f"{'query':<28} {'who':<10} {'hits':>5} {'median ms':>10} {'max ms':>8}")
    for query in QUERIES:
        for who, user in [("anonymous", AnonymousUser()), ("learner", learner)]:
            times = []
            for _ in range(args.requests + 1):
                start = time.perf_counter()
                results = search(query, user)
                times.append((time.perf_counter() - start) * 1000)
            times = times[1:]  # the first run warms the connection and caches
            print(f"{query:<28} {who:<10} {len(results.hits):>5} "
                  f"{statistics.median(times):>10.1f} {max(times):>8.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
