"""Link health: keep Link rows in step with content, run checks, record results, alert staff.

The HTTP side is tracker/linkcheck.py; this module turns its plain results into rows and
decides what learners see. The rule that keeps false alarms away: a link is shown as broken
only after two broken checks at least 24 h apart with nothing good in between. Transient,
blocked and skipped checks are inconclusive: they neither confirm nor clear a failure.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import redis
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tracker import linkcheck, page_cache
from tracker.models import HostRule, Item, Link, LinkCheck, LinkState, Resource, User
from tracker.models.links import GOOD_STATES

logger = logging.getLogger(__name__)

CONFIRM_AFTER = timedelta(hours=24)
# A full run skips links checked this recently, so a killed run resumes instead of restarting.
RESUME_WINDOW = timedelta(hours=12)
FULL_RUN_LOCK = "linkcheck:full-run"
QUICK_RUN_LOCK = "linkcheck:quick-run"
# A heartbeat renews a run's lock every LOCK_TTL / 3, so a killed run's lock lapses this soon.
LOCK_TTL = 30
QUICK_RUN_LIMIT = 500


# --- Configuration --------------------------------------------------------------------------


def checker_config(**overrides) -> linkcheck.CheckConfig:
    """The checker's settings: LINKCHECK_* settings, then the admin's host rules on top."""
    rules = {
        host.lower(): linkcheck.HostRule(min_interval=seconds)
        for host, seconds in settings.LINKCHECK_HOST_INTERVALS.items()
    }
    for rule in HostRule.objects.all():
        host = rule.host.strip().lower()
        default = rules.get(host, linkcheck.HostRule())
        rules[host] = linkcheck.HostRule(
            min_interval=(
                rule.min_interval_s if rule.min_interval_s is not None else default.min_interval
            ),
            max_per_host=rule.max_per_host,
            skip=rule.excluded,
        )
    values = {
        "concurrency": settings.LINKCHECK_CONCURRENCY,
        "per_host": settings.LINKCHECK_PER_HOST,
        "host_interval": settings.LINKCHECK_HOST_INTERVAL,
        "host_rules": rules,
        "connect_timeout": settings.LINKCHECK_CONNECT_TIMEOUT,
        "response_timeout": settings.LINKCHECK_RESPONSE_TIMEOUT,
        "url_timeout": settings.LINKCHECK_URL_TIMEOUT,
        "retry_after_cap": settings.LINKCHECK_RETRY_AFTER_CAP,
        "backoff": tuple(settings.LINKCHECK_BACKOFF) or (0.0,),
        "allow_private": settings.LINKCHECK_ALLOW_PRIVATE,
        "user_agent": f"RoadmapTracker-LinkCheck/1.0 (+{settings.SITE_URL})",
    }
    values.update(overrides)
    return linkcheck.CheckConfig(**values)


# --- Content → links ------------------------------------------------------------------------


def content_urls() -> set[str]:
    """Every normalised URL that active content links to (resources and project badges)."""
    raw = list(
        Resource.objects.active()
        .filter(roadmap__archived_at__isnull=True)
        .exclude(url="")
        .values_list("url", flat=True)
    )
    raw += Item.objects.active().exclude(badge_url="").values_list("badge_url", flat=True)
    return {linkcheck.normalize_url(url) for url in raw}


@dataclass
class SyncResult:
    created: int = 0
    revived: int = 0
    retired: int = 0


@transaction.atomic
def sync_links() -> SyncResult:
    """Create a Link for each new content URL; flag links content no longer uses.

    Unused links keep their history (an archived item may come back), they are just not
    checked.
    """
    urls = content_urls()
    existing = dict(Link.objects.values_list("url", "referenced"))
    new = [Link(url=url, host=linkcheck.url_host(url)) for url in urls if url not in existing]
    # ignore_conflicts: two syncs at once (beat task and admin) must not fail each other.
    Link.objects.bulk_create(new, ignore_conflicts=True)
    revive = [url for url in urls if existing.get(url) is False]
    retire = [url for url, referenced in existing.items() if referenced and url not in urls]
    result = SyncResult(created=len(new))
    if revive:
        result.revived = Link.objects.filter(url__in=revive).update(referenced=True)
    if retire:
        result.retired = Link.objects.filter(url__in=retire).update(referenced=False)
    if revive or retire:
        page_cache.invalidate(content=True)  # bulk updates send no signals
    return result


# --- Recording results ----------------------------------------------------------------------

CHECK_FIELDS = [
    "state",
    "last_result",
    "http_status",
    "error",
    "consecutive_failures",
    "first_failure_at",
    "last_checked_at",
    "last_ok_at",
    "confirmed_broken_at",
    "alerted_at",
    "next_check_at",
    "suggested_url",
]


def next_ok_check(*, now: datetime, first_time: bool) -> datetime:
    """When to recheck a good link: about weekly, and spread so each day gets its share.

    The first good check lands anywhere in the coming week, so links imported together do
    not all fall due on the same day; later ones come a little under a week apart, so the
    daily run catches them on the seventh day rather than the eighth.
    """
    days = settings.LINKCHECK_RECHECK_DAYS
    if first_time:
        return now + timedelta(days=random.uniform(1, days))
    return now + timedelta(days=days) - timedelta(hours=random.uniform(0, 12))


def apply_result(link: Link, result: linkcheck.CheckResult, *, now: datetime) -> bool:
    """Update a link from one check, in memory. True when what learners see has changed."""
    shown_before = (link.state, link.last_ok_at.date() if link.last_ok_at else None)
    link.last_result = result.state
    link.http_status = result.http_status
    link.error = result.error[:500]
    link.last_checked_at = now
    if result.state in GOOD_STATES:
        link.next_check_at = next_ok_check(now=now, first_time=link.last_ok_at is None)
        link.state = result.state
        link.last_ok_at = now
        link.consecutive_failures = 0
        link.first_failure_at = None
        link.confirmed_broken_at = None
        link.alerted_at = None
        link.suggested_url = result.suggested_url
    elif result.state == LinkState.BROKEN:
        if link.consecutive_failures == 0:
            link.first_failure_at = now
        link.consecutive_failures += 1
        if (
            link.confirmed_broken_at is None
            and link.consecutive_failures >= 2
            and now - link.first_failure_at >= CONFIRM_AFTER
        ):
            link.state = LinkState.BROKEN
            link.confirmed_broken_at = now
        # The confirming check is due as soon as the 24 hours are over.
        link.next_check_at = max(now, link.first_failure_at + CONFIRM_AFTER)
    else:
        # Inconclusive: keep what learners see, try again on the next run.
        link.next_check_at = now
    return (link.state, link.last_ok_at.date() if link.last_ok_at else None) != shown_before


def _record(pairs: list[tuple[Link, linkcheck.CheckResult]], *, now: datetime) -> bool:
    changed = False
    with transaction.atomic():
        for link, result in pairs:
            changed |= apply_result(link, result, now=now)
            link.save(update_fields=CHECK_FIELDS)
        LinkCheck.objects.bulk_create(
            LinkCheck(
                link=link,
                checked_at=now,
                state=result.state,
                http_status=result.http_status,
                final_url=result.final_url[:1000],
                redirects=result.redirects,
                latency_ms=result.elapsed_ms,
                error=result.error[:500],
            )
            for link, result in pairs
        )
    return changed


# --- Runs -----------------------------------------------------------------------------------


@dataclass
class RunSummary:
    checked: int = 0
    states: dict[str, int] = field(default_factory=dict)
    newly_confirmed: int = 0
    alerts_sent: int = 0
    locked: bool = False  # another run held the lock; nothing was done
    stopped: bool = False  # lost the lock midway and stopped, rather than overlap another run

    def as_dict(self) -> dict:
        return {
            "checked": self.checked,
            "states": self.states,
            "newly_confirmed": self.newly_confirmed,
            "alerts_sent": self.alerts_sent,
            "locked": self.locked,
            "stopped": self.stopped,
        }


def interleave_hosts(links: Iterable[Link]) -> list[Link]:
    """Round-robin over hosts, so each chunk spreads its requests over many hosts."""
    by_host: dict[str, list[Link]] = defaultdict(list)
    for link in links:
        by_host[link.host].append(link)
    ordered: list[Link] = []
    queues = list(by_host.values())
    depth = max((len(queue) for queue in queues), default=0)
    for index in range(depth):
        ordered.extend(queue[index] for queue in queues if index < len(queue))
    return ordered


def check_links(
    *,
    links: Iterable[Link],
    config: linkcheck.CheckConfig | None = None,
    chunk_size: int | None = None,
    after_chunk: Callable[[list[tuple[Link, linkcheck.CheckResult]]], None] | None = None,
    keep_going: Callable[[], bool] | None = None,
) -> RunSummary:
    """Check links chunk by chunk, saving each chunk's results as soon as it is done.

    A worker killed mid-run loses at most the chunk in flight: earlier chunks are saved,
    and a later run (see due_for_run) picks up the rest. `keep_going` is asked before each
    chunk; when it says no, the run stops there.
    """
    config = config or checker_config()
    chunk_size = chunk_size or settings.LINKCHECK_CHUNK_SIZE
    ordered = interleave_hosts(links)
    summary = RunSummary()
    display_changed = False
    for start in range(0, len(ordered), chunk_size):
        if keep_going is not None and not keep_going():
            summary.stopped = True
            break
        chunk = ordered[start : start + chunk_size]
        results = linkcheck.check_urls([link.url for link in chunk], config)
        by_url = {result.url: result for result in results}
        pairs = [(link, by_url[link.url]) for link in chunk]
        confirmed_before = {link.id for link in chunk if link.confirmed_broken_at}
        display_changed |= _record(pairs, now=timezone.now())
        for link, result in pairs:
            summary.checked += 1
            summary.states[result.state] = summary.states.get(result.state, 0) + 1
            if link.confirmed_broken_at and link.id not in confirmed_before:
                summary.newly_confirmed += 1
        if after_chunk is not None:
            after_chunk(pairs)
    return summary


_local_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)


def lock_key(name: str) -> str:
    return f"roadmap:{name}"


@contextmanager
def run_lock(
    name: str, *, owner: str = "", ttl: int = LOCK_TTL
) -> Iterator[Callable[[], bool] | None]:
    """Hold a named lock across processes (Redis) or, without Redis, within this process.

    Yields a function that renews the lock and says whether this run still holds it, or
    None when another run holds it. `owner` is the Celery task id: when a task is
    redelivered because its worker child died, it waits for the dead run's lock to lapse.
    """
    if not settings.REDIS_URL:
        lock = _local_locks[name]
        if not lock.acquire(blocking=False):
            yield None
            return
        try:
            yield lambda: True
        finally:
            lock.release()
        return

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=10)
    # thread_local=False: the heartbeat thread renews the token the run's thread took.
    lock = client.lock(lock_key(name), timeout=ttl, thread_local=False)
    if not _acquire(client, lock, owner=owner, ttl=ttl):
        yield None
        return
    stop = threading.Event()
    heartbeat = threading.Thread(target=_heartbeat, args=(lock, ttl, stop), daemon=True)
    heartbeat.start()
    try:
        yield lambda: _renew(lock, ttl)
    finally:
        stop.set()
        heartbeat.join()
        try:
            lock.release()
        except redis.exceptions.LockError:
            logger.warning("link check lock %s was lost before the run ended", name)


def _acquire(client: redis.Redis, lock, *, owner: str, ttl: int) -> bool:
    # One token per holder; its task-id prefix tells an earlier delivery of the same task.
    token = f"{owner}:{uuid.uuid4().hex}"
    if lock.acquire(blocking=False, token=token):
        return True
    holder = client.get(lock.name)
    if holder is None:  # it lapsed just now
        return lock.acquire(blocking=False, token=token)
    if not owner or not holder.decode().startswith(f"{owner}:"):
        return False
    # The broker redelivers a task whose process died, but a task can also be redelivered
    # while it still runs (the broker's visibility timeout): only a live run's heartbeat
    # keeps the lock beyond ttl, so waiting that long (and a second) tells the two apart.
    logger.info("link check lock %s held by an earlier delivery of this task; waiting", lock.name)
    return lock.acquire(blocking=True, blocking_timeout=ttl + 1, token=token)


def _renew(lock, ttl: int) -> bool:
    try:
        lock.extend(ttl, replace_ttl=True)
    except redis.exceptions.LockError:
        return False  # it lapsed, and another run may hold it now
    except redis.exceptions.RedisError as error:
        # Redis is unreachable: no other run can take the lock meanwhile either.
        logger.warning("could not renew link check lock: %s", error)
    return True


def _heartbeat(lock, ttl: int, stop: threading.Event) -> None:
    # Renewing from a thread keeps the lock through chunks of any length; a killed run
    # stops renewing, so its lock lapses within ttl.
    while not stop.wait(ttl / 3):
        if not _renew(lock, ttl):
            return


def run_full_check(
    *,
    owner: str = "",
    config: linkcheck.CheckConfig | None = None,
    chunk_size: int | None = None,
    after_chunk: Callable | None = None,
) -> RunSummary:
    """The scheduled run: sync links, check everything due, email newly confirmed breakage.

    `owner` is the Celery task id, so a redelivered task takes over its dead run's lock.
    """
    with run_lock(FULL_RUN_LOCK, owner=owner) as renew:
        if renew is None:
            logger.info("link check already running; this run does nothing")
            return RunSummary(locked=True)
        sync_links()
        due = Link.objects.due_for_run(timezone.now(), min_gap=RESUME_WINDOW)
        summary = check_links(
            links=list(due),
            config=config,
            chunk_size=chunk_size,
            after_chunk=after_chunk,
            keep_going=renew,
        )
        if summary.stopped:
            logger.warning("link check lost its lock and stopped; the next run checks the rest")
        else:
            summary.alerts_sent = send_broken_link_alerts()
        return summary


def run_quick_check(*, owner: str = "", config: linkcheck.CheckConfig | None = None) -> RunSummary:
    """Every few minutes: check links never checked (new or edited) and due confirmations."""
    with run_lock(QUICK_RUN_LOCK, owner=owner) as renew:
        if renew is None:
            return RunSummary(locked=True)
        sync_links()
        now = timezone.now()
        links = list(Link.objects.never_checked()[:QUICK_RUN_LIMIT])
        seen = [link.id for link in links]
        confirming = Link.objects.awaiting_confirmation(now).exclude(id__in=seen)
        links += confirming[: QUICK_RUN_LIMIT - len(links)]
        return check_links(links=links, config=config, keep_going=renew)


def request_check(*, links: Iterable[Link]) -> list[int]:
    """Mark links as waiting for a check; the caller queues the task with the ids."""
    ids = [link.id for link in links]
    Link.objects.filter(id__in=ids).update(check_requested_at=timezone.now())
    return ids


# --- Admin actions --------------------------------------------------------------------------


def set_ignored(*, links: Iterable[Link], ignored: bool) -> int:
    # A bulk update sends no signals; pages show a note for every link not ignored.
    page_cache.invalidate(content=True)
    return Link.objects.filter(id__in=[link.id for link in links]).update(ignored=ignored)


def _with_fragment(url: str, new_url: str) -> str:
    fragment = urlsplit(url).fragment
    if not fragment:
        return new_url
    parts = urlsplit(new_url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, fragment))


@transaction.atomic
def apply_suggested_redirect(*, link: Link) -> int:
    """Point every resource and badge using this link at its permanent redirect target.

    Returns how many content rows changed. The old link stops being referenced; the new
    URL becomes a link of its own at the next sync.
    """
    if not link.suggested_url:
        return 0
    changed = 0
    # Filtering by host narrows the rows; the exact match is on the normalised URL.
    for resource in Resource.objects.filter(url__icontains=link.host):
        if linkcheck.normalize_url(resource.url) == link.url:
            resource.url = _with_fragment(resource.url, link.suggested_url)
            resource.save(update_fields=["url", "updated_at"])
            changed += 1
    for item in Item.objects.filter(badge_url__icontains=link.host):
        if linkcheck.normalize_url(item.badge_url) == link.url:
            item.badge_url = _with_fragment(item.badge_url, link.suggested_url)
            item.save(update_fields=["badge_url", "updated_at"])
            changed += 1
    if changed:
        sync_links()
    return changed


# --- Alerts ---------------------------------------------------------------------------------


def send_broken_link_alerts() -> int:
    """One email per opted-in staff member listing links newly confirmed broken.

    Each link is reported once: `alerted_at` is set even when nobody has opted in, so a
    later opt-in does not bring a flood of old news.
    """
    links = list(
        Link.objects.confirmed_broken()
        .filter(ignored=False, referenced=True, alerted_at__isnull=True)
        .order_by("url")
    )
    if not links:
        return 0
    recipients = list(
        User.objects.filter(link_alerts__isnull=False, is_staff=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    entries = [
        {
            "link": link,
            "admin_url": settings.SITE_URL + reverse("admin:tracker_link_change", args=[link.id]),
            "titles": _titles_using(link),
        }
        for link in links
    ]
    if recipients:
        subject = f"{len(links)} broken link{'s' if len(links) != 1 else ''} confirmed"
        body = render_to_string(
            "email/link_alert.txt", {"entries": entries, "site_url": settings.SITE_URL}
        )
        connection = get_connection()
        connection.send_messages(
            [EmailMessage(subject, body, to=[email], connection=connection) for email in recipients]
        )
    Link.objects.filter(id__in=[link.id for link in links]).update(alerted_at=timezone.now())
    return len(recipients)


def _titles_using(link: Link) -> list[str]:
    titles = [
        resource.title
        for resource in Resource.objects.active().filter(url__icontains=link.host)
        if linkcheck.normalize_url(resource.url) == link.url
    ]
    titles += [
        f"{item.title} (badge)"
        for item in Item.objects.active().filter(badge_url__icontains=link.host)
        if linkcheck.normalize_url(item.badge_url) == link.url
    ]
    return titles


# --- What learners see ----------------------------------------------------------------------


@dataclass(frozen=True)
class LinkNote:
    broken: bool
    date: datetime


def link_notes() -> dict[str, LinkNote]:
    """The note to show next to each content URL, for every checked link, in one query."""
    notes = {}
    rows = Link.objects.filter(referenced=True, ignored=False).exclude(last_checked_at=None)
    for url, state, checked_at, ok_at in rows.values_list(
        "url", "state", "last_checked_at", "last_ok_at"
    ):
        if state == LinkState.BROKEN:
            notes[url] = LinkNote(broken=True, date=checked_at)
        elif ok_at is not None:
            notes[url] = LinkNote(broken=False, date=ok_at)
    return notes
