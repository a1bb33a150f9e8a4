"""A content version number, bumped on every content write, for caching rendered pages.

Cached fragments include the version in their key, so a bump invalidates them all at once in
every process that shares the cache (Redis in production).
"""

from django.core.cache import cache

VERSION_KEY = "content-version"


def content_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # add() so that concurrent first readers agree on one starting value.
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return version


def bump_content_version() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 2, timeout=None)
