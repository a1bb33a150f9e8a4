"""Version numbers for caching rendered pages: one for the content, one per learner.

Cached fragments are stored with the versions they were built from, so a bump invalidates them
all at once in every process that shares the cache (Redis in production):

- the content version is bumped on every content write (import, admin, link checks);
- a learner's version is bumped, once the write commits, by every service that changes what
  that learner's own pages show (statuses, notes, follows, week plans).

Cached pages carry sentinels instead of the CSRF token and the page's own address;
`personalize` puts the requesting browser's values back on every response. Whole pages are
cached without django messages and served only to requests that have none pending; the others
get the page rendered afresh, so a cached page never hides a message.
"""

import time
from collections.abc import Callable, Hashable
from functools import partial
from typing import TypeVar

from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import escape

VERSION_KEY = "content-version"

# A learner's cached page lives under one key per page and learner, overwritten when stale,
# so the timeout only bounds how long an idle learner's page (~150 kB for a roadmap) takes up
# memory: an hour keeps the active learners', and a miss rebuilds from shared parts cheaply.
LEARNER_PAGE_SECONDS = 60 * 60

# Rendered into cached fragments in place of per-request values; characters that HTML
# escaping leaves alone, so they come out of the templates unchanged.
CSRF_SENTINEL = "csrf-sentinel-7f3a9c"
PATH_SENTINEL = "/path-sentinel-7f3a9c/"

T = TypeVar("T")


def _fresh_version() -> int:
    # From the clock rather than 1: if a version key is ever lost (eviction, a flush) while
    # pages stay cached, the restarted version is still newer than any they were stored under.
    return time.time_ns() // 1000


def content_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # add() so that concurrent first readers agree on one starting value.
        cache.add(VERSION_KEY, _fresh_version(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def bump_content_version() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, _fresh_version(), timeout=None)


def content_cached(key: str, build: Callable[[], T], timeout: int = 24 * 60 * 60) -> T:
    """`build()`, cached until the content version changes, in one cache round trip.

    As in `learner_page`, the entry keeps the version it was built from, read before the
    data, so content that changes meanwhile is never served under the newer version.
    """
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    if version is None:
        version = content_version()
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return entry[1]
    value = build()
    # Misses are not stored: keys come from URLs, so caching them would let anyone fill the
    # cache with one entry per made-up slug. A miss costs a query anyway.
    if value is not None:
        cache.set(key, (version, value), timeout)
    return value


def _learner_key(user_id: int) -> str:
    return f"learner-version:{user_id}"


def learner_version(user_id: int) -> int:
    key = _learner_key(user_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, _fresh_version(), timeout=None)
        version = cache.get(key)
    return version


def bump_learner_version(user_id: int) -> None:
    try:
        cache.incr(_learner_key(user_id))
    except ValueError:
        cache.set(_learner_key(user_id), _fresh_version(), timeout=None)


def bump_learner_version_on_commit(user_id: int) -> None:
    """Bump once the current transaction commits (at once outside one).

    After the commit, not before: a page rendered between the bump and the commit would be
    stored under the new version with the old data and kept until the next change.
    """
    transaction.on_commit(partial(bump_learner_version, user_id))


def page_versions(user_id: int, *keys: str) -> tuple[int, int, dict]:
    """The content version, the learner's version and the cached values of `keys`, in one
    round trip to the cache (two or three the first time a version is missing)."""
    learner_key = _learner_key(user_id)
    found = cache.get_many([VERSION_KEY, learner_key, *keys])
    content = found.get(VERSION_KEY)
    if content is None:
        content = content_version()
    learner = found.get(learner_key)
    if learner is None:
        learner = learner_version(user_id)
    return content, learner, found


def learner_page(key: str, *, user_id: int, stamp: Hashable, build: Callable[[], T]) -> T:
    """A learner's cached page part, or `build()` stored for next time.

    The entry keeps the versions it was built from: it is used only while the content
    version, the learner's version and `stamp` (whatever else the part depends on, such as
    the learner's local date) are all unchanged. The versions are read before `build()`
    reads the data, so a part built from data that changes meanwhile carries the versions
    that the change retires, and is never served afterwards.
    """
    content, learner, found = page_versions(user_id, key)
    versions = (content, learner, stamp)
    entry = found.get(key)
    if entry is not None and entry[0] == versions:
        return entry[1]
    value = build()
    if value is not None:  # as in content_cached: never store a miss keyed by a URL
        cache.set(key, (versions, value), LEARNER_PAGE_SECONDS)
    return value


def profile_stamp(user) -> tuple:
    """The profile fields a learner's cached pages may show (the navigation included), for
    `learner_page`'s stamp: a change made anywhere (/me/, the admin) then misses the cache
    with no bump."""
    return (
        user.display_name,
        user.email,
        user.time_zone,
        user.weekly_hours,
        user.target_date,
        user.is_staff,
    )


def has_pending_messages(request) -> bool:
    """Whether the response must show django messages. Whole pages are cached without any,
    so such a request is rendered afresh instead: no message is ever hidden. (Counting them
    does not consume them.)"""
    return bool(len(messages.get_messages(request)))


def page_for_cache(template_name: str, context: dict, request) -> str:
    """A whole page rendered for the cache: with sentinels for `personalize` and without
    messages (see `has_pending_messages`)."""
    context = {**context, "csrf_token": CSRF_SENTINEL, "messages": ()}
    return str(render_to_string(template_name, context, request=request))


def personalize(html: str, request, *, path: str | None = None) -> str:
    """A cached fragment with this request's CSRF token and address (or `path`) in place of
    the sentinels (the token also sets the CSRF cookie when the browser has none)."""
    if CSRF_SENTINEL in html:
        html = html.replace(CSRF_SENTINEL, get_token(request))
    if PATH_SENTINEL in html:
        html = html.replace(PATH_SENTINEL, escape(path or request.get_full_path()))
    return html
