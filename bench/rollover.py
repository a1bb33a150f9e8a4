#!/usr/bin/env python3
"""The weekly rollover on real Celery workers: learners planned per second per worker process.

    .venv/bin/python bench/rollover.py [--learners 20000] [--chunk-size 500] [--seed 1]

It (re)creates a throwaway PostgreSQL database, postgres://postgres@127.0.0.1:5432/
roadmap_bench_rollover (BENCH_DATABASE_URL overrides it), migrates, imports content/*.yaml and
seeds `--learners` learners spread over time zones whose week has begun at the bench's Monday,
each following one or two roadmaps with a history of done, skipped and in-progress items and
last week's snapshot. Then it runs the rollover twice on `celery worker --pool=prefork`
subprocesses against Redis (REDIS_URL, default DB 10): first one worker process, then two
(`--concurrency=2`), deleting the week's snapshots in between. Each run enqueues the fan-out's
chunks and waits until every learner has this week's snapshot. It prints learners per second
per worker process, the scaling ratio and queries per learner (one chunk counted in-process).
Digests are left out (nobody opted in): they are one email task each, bound by the mail server.
"""

import argparse
import io
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchdb import recreate_database  # noqa: E402 (bench/ is the script's folder)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/roadmap_bench_rollover"
QUEUE = "rollover-bench"
# Monday 2 March 2026, 12:00 UTC: the week has begun in every one of these zones.
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TIME_ZONES = [
    "UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Sao_Paulo",
    "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
]  # fmt: skip
WEEKLY_HOURS = [3, 4, 5, 5, 6, 8, 8, 10, 10, 12, 15, 20]


def seed(learners: int, rng: random.Random) -> None:
    """Learners with follows, progress and last week's snapshot, written in bulk."""
    from django.contrib.auth.hashers import make_password

    from tracker.models import Item, Progress, Roadmap, RoadmapFollow, Status, User, WeekPlan

    roadmaps = list(Roadmap.objects.active())
    items = {
        r.pk: list(Item.objects.active().filter(roadmap=r).order_by("order", "pk"))
        for r in roadmaps
    }
    password = make_password("bench-only")
    last_monday = (NOW - timedelta(days=7)).date()
    for start in range(0, learners, 2000):
        users = User.objects.bulk_create(
            User(
                email=f"bench-{n}@example.com",
                password=password,
                time_zone=rng.choice(TIME_ZONES),
                weekly_hours=rng.choice(WEEKLY_HOURS),
            )
            for n in range(start, min(learners, start + 2000))
        )
        follows, progress, snapshots = [], [], []
        for user in users:
            followed = rng.sample(roadmaps, k=rng.choice([1, 1, 2]))
            entries = []
            for position, roadmap in enumerate(followed):
                follows.append(RoadmapFollow(learner=user, roadmap=roadmap, position=position))
                todo = items[roadmap.pk]
                done = rng.randint(0, min(40, len(todo) - 1))
                for index, item in enumerate(todo[: done + 1]):
                    finished = NOW - timedelta(days=2 * (done - index) + 3)
                    status = Status.IN_PROGRESS if index == done else Status.DONE
                    if status == Status.DONE and rng.random() < 0.1:
                        status = Status.SKIPPED
                    progress.append(
                        Progress(
                            learner=user,
                            item=item,
                            status=status,
                            started_at=finished - timedelta(days=2),
                            completed_at=None if status == Status.IN_PROGRESS else finished,
                        )
                    )
                entries += [_entry(item) for item in todo[done : done + 2]]
            snapshots.append(
                WeekPlan(
                    learner=user,
                    week_start=last_monday,
                    weekly_hours=user.weekly_hours,
                    entries=entries,
                )
            )
        RoadmapFollow.objects.bulk_create(follows)
        Progress.objects.bulk_create(progress, batch_size=5000)
        WeekPlan.objects.bulk_create(snapshots)


def _entry(item) -> dict:
    return {
        "item": item.pk,
        "title": item.title,
        "hours": item.effort_hours,
        "continues_from_previous": False,
        "continues_next": False,
    }


def start_worker(concurrency: int, env: dict, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "roadmap_site", "worker"]
    command += [
        "--pool=prefork",
        f"--concurrency={concurrency}",
        "-Q",
        QUEUE,
        "-n",
        f"bench{concurrency}@%h",
    ]
    command += ["--loglevel=INFO", "--without-mingle", "--without-gossip", "--without-heartbeat"]
    with log.open("wb") as out:
        worker = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while b" ready." not in log.read_bytes():
        if worker.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"The worker did not start; see {log}")
        time.sleep(0.2)
    return worker


def stop_worker(worker: subprocess.Popen) -> None:
    # Its own process group (start_new_session): the prefork children go with it.
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def run_rollover(processes: int, learners: int, env: dict, log: Path) -> float:
    """Seconds from enqueuing the chunks until every learner has this week's snapshot."""
    from tracker.models import WeekPlan

    this_week = WeekPlan.objects.filter(week_start=NOW.date())
    this_week.delete()
    worker = start_worker(processes, env, log)
    try:
        cpu_before = _worker_cpu(worker)
        started = time.perf_counter()
        chunks = fan_out()
        progress = (0, time.monotonic())
        while (done := this_week.count()) < learners:
            if worker.poll() is not None:
                sys.exit(f"The worker died; see {log}")
            if done != progress[0]:
                progress = (done, time.monotonic())
            elif time.monotonic() - progress[1] > 15:
                # A lost message (say, a FLUSHDB on the shared Redis DB): the next hourly run
                # would find these learners still due; do it now rather than wait forever.
                print(f"  (no progress for 15 s at {done}: fanned out again)")
                chunks += fan_out()
                progress = (done, time.monotonic())
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        cpu = 1000 * (_worker_cpu(worker) - cpu_before) / learners
    finally:
        stop_worker(worker)
    rate = learners / elapsed / processes
    print(
        f"  {processes} worker process(es): {learners} learners in {elapsed:.1f} s, "
        f"{chunks} chunks, {rate:.0f} learners/s per process ({1000 / rate:.2f} ms a learner; "
        f"worker CPU {cpu:.2f} ms a learner)"
    )
    return rate


def fan_out() -> int:
    """What the hourly task does, onto the bench's queue; returns the number of chunks."""
    from tracker import tasks
    from tracker.services import plans

    chunks = list(plans.due_chunks(now=NOW))
    for chunk in chunks:
        tasks.plan_chunk.apply_async((asdict(chunk), NOW.isoformat()), queue=QUEUE)
    return len(chunks)


def _worker_cpu(worker: subprocess.Popen) -> float:
    """CPU seconds of the worker and its pool processes so far.

    On a busy machine wall time mostly measures the wait for a CPU; the workers' own CPU time
    (PostgreSQL's and Redis's work excluded) is steadier.
    """
    pid = worker.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    ticks = 0
    for process in [pid, *children]:
        fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def count_queries(chunk_size: int) -> None:
    """Run one chunk in-process and print its queries, and its time as a single process."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tracker.models import WeekPlan
    from tracker.services import plans

    chunk = next(plans.due_chunks(now=NOW, size=chunk_size))
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = plans.plan_chunk(chunk=chunk, now=NOW)
    elapsed = time.perf_counter() - started
    WeekPlan.objects.filter(week_start=NOW.date()).delete()
    per_learner = (len(queries) + 1) / result.snapshots_created  # + the fan-out's page query
    print(
        f"  one chunk in-process: {result.snapshots_created} learners, {len(queries)} queries "
        f"(+1 fan-out page), {per_learner:.3f} queries a learner, "
        f"{1000 * elapsed / result.snapshots_created:.2f} ms a learner"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=20_000)
    parser.add_argument("--chunk-size", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    # Production-like settings: DEBUG off (no query logging), quiet logs.
    os.environ.update(
        DATABASE_URL=url,
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/10"),
        DEBUG="0",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-secret-key"),
        EMAIL_URL="locmem://",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="roadmap_site.settings",
    )
    import django

    django.setup()
    from django.core.management import call_command

    from roadmap_site.celery import app
    from tracker.services import plans

    call_command("migrate", verbosity=0)
    call_command("import_roadmap", verbosity=0, stdout=io.StringIO())
    started = time.perf_counter()
    seed(args.learners, random.Random(args.seed))
    print(
        f"rollover of {args.learners} learners, chunks of {args.chunk_size}, PostgreSQL "
        f"(seeded in {time.perf_counter() - started:.0f} s):"
    )
    plans.CHUNK_SIZE = args.chunk_size
    app.control.purge()
    count_queries(args.chunk_size)
    logs = Path(os.environ.get("TMPDIR", "/tmp"))
    one = run_rollover(1, args.learners, dict(os.environ), logs / "bench-rollover-1.log")
    two = run_rollover(2, args.learners, dict(os.environ), logs / "bench-rollover-2.log")
    print(f"  scaling: 2 processes do {2 * two / one:.2f}x the work of one")
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
