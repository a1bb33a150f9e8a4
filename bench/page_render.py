#!/usr/bin/env python3
"""Server time and `localize` calls of the signed-in LLM roadmap page rendered with a cold cache,
and the cache memory one learner takes after visiting four pages.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/page_render.py [--requests 20]

Recreates the database named in DATABASE_URL (a throwaway one: it is dropped), migrates,
imports the content and makes a learner with a third of the LLM roadmap under way. Then it
times `--requests` GETs of /roadmaps/llm/ through django.test.Client, clearing the cache
before each, and prints the median. With REDIS_URL it also signs in ten more learners, has
each visit the dashboard, two roadmap pages and /plan/, and prints the Redis bytes
(MEMORY USAGE) of the keys that belong to one learner (their sessions and anything else
named after them) against the shared ones.
"""

import argparse
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchdb import recreate_database  # noqa: E402 (bench/ is the script's folder)

PAGES = ["/", "/roadmaps/llm/", "/roadmaps/mlops/", "/plan/"]


def make_learner(n: int, items: list):
    from tracker.models import User
    from tracker.services.follows import follow_roadmap
    from tracker.services.progress import set_status

    rng = random.Random(n)
    user = User.objects.create_user(email=f"render{n}@example.com", password=None)
    follow_roadmap(learner=user, roadmap=items[0].roadmap)
    for item in rng.sample(items, k=len(items) // 3):
        set_status(learner=user, item=item, status=rng.choice(["in_progress", "done", "skipped"]))
    return user


def cold_page_times(client, requests: int) -> tuple[list[float], int]:
    from django.core.cache import cache
    from django.template import base

    calls = 0
    original = base.localize

    def counting(*args, **kwargs):
        nonlocal calls
        calls += 1
        return original(*args, **kwargs)

    times = []
    for n in range(requests + 1):
        cache.clear()
        base.localize = counting
        calls = 0
        start = time.perf_counter()
        response = client.get("/roadmaps/llm/")
        elapsed = time.perf_counter() - start
        base.localize = original
        assert response.status_code == 200, response.status_code
        if n:  # the first request warms Python's own caches (templates, URL resolver)
            times.append(elapsed * 1000)
    return times, calls


def learner_memory(items: list) -> tuple[float, int]:
    """Redis bytes per learner and shared, after ten learners each visited PAGES."""
    import redis
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client

    cache.clear()
    learners = [make_learner(100 + n, items) for n in range(10)]
    for learner in learners:
        client = Client()
        client.force_login(learner)
        for page in PAGES:
            assert client.get(page).status_code == 200, page
    server = redis.Redis.from_url(settings.REDIS_URL)
    ids = "|".join(str(learner.pk) for learner in learners)
    own = re.compile(rf"(session|learner[^:]*:({ids})\b|:u({ids})\b)")
    mine = shared = 0
    for key in server.scan_iter(f"{settings.CACHES['default']['KEY_PREFIX']}:*"):
        size = server.memory_usage(key) or 0
        if own.search(key.decode()):
            mine += size
        else:
            shared += size
    return mine / len(learners), shared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    recreate_database(url)
    os.environ.update(
        DEBUG="0",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-secret-key"),
        ALLOWED_HOSTS="testserver",
        STATIC_MANIFEST="0",
        LOG_LEVEL="WARNING",
        CACHE_KEY_PREFIX="render-bench",
        DJANGO_SETTINGS_MODULE="roadmap_site.settings",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from tracker.models import Item

    call_command("migrate", verbosity=0)
    call_command("import_roadmap", verbosity=0)
    items = list(Item.objects.active().filter(roadmap__slug="llm").order_by("order"))
    client = Client()
    client.force_login(make_learner(0, items))

    times, calls = cold_page_times(client, args.requests)
    print(
        f"signed-in /roadmaps/llm/, cold cache: median {statistics.median(times):.1f} ms "
        f"(min {min(times):.1f}, max {max(times):.1f}) over {len(times)} requests; "
        f"{calls} localize calls"
    )
    warm = []
    for _ in range(args.requests):
        start = time.perf_counter()
        client.get("/roadmaps/llm/")
        warm.append((time.perf_counter() - start) * 1000)
    median = statistics.median(warm)
    print(f"signed-in /roadmaps/llm/, warm cache, no If-None-Match: median {median:.1f} ms")
    if os.environ.get("REDIS_URL"):
        per_learner, shared = learner_memory(items)
        print(
            f"Redis after {', '.join(PAGES)}: {per_learner / 1000:.1f} kB per learner, "
            f"{shared / 1000:.1f} kB shared"
        )


if __name__ == "__main__":
    main()
