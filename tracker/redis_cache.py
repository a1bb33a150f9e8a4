"""Django's Redis cache backend, sharing one redis-py client and treating an outage as misses.

Django's backend builds a new `redis.Redis` client for every cache operation (about 0.08 ms of
CPU, more than the GET itself). The client holds no per-call state beyond its pool and is safe
to share, so this backend builds it once.

Every page works from the database alone, so a Redis error must not become a 500: reads answer
as misses, writes do nothing, and a warning is logged. After an error the cache is left alone
for `RETRY_AFTER_SECONDS`, so an outage costs a process one socket timeout and one log line
every few seconds instead of one per cache call.
"""

import logging
import re
import time

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5.0


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}
        self._scripts: dict[int, object] = {}
        self._skip_until = 0.0

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def _guarded(self, operation, fallback, *args):
        """`operation(*args)`, or `fallback` if Redis fails or failed a moment ago."""
        if time.monotonic() < self._skip_until:
            return fallback
        try:
            return operation(*args)
        except self._lib.RedisError as error:
            self._skip_until = time.monotonic() + RETRY_AFTER_SECONDS
            logger.warning(
                "Redis cache unavailable, working without it for %ss: %s",
                RETRY_AFTER_SECONDS,
                error,
            )
            return fallback

    def get(self, key, default):
        return self._guarded(super().get, default, key, default)

    def get_many(self, keys):
        return self._guarded(super().get_many, {}, keys)

    def has_key(self, key):
        return self._guarded(super().has_key, False, key)

    def add(self, key, value, timeout):
        return self._guarded(super().add, False, key, value, timeout)

    def set(self, key, value, timeout):
        self._guarded(super().set, None, key, value, timeout)

    def set_many(self, data, timeout):
        self._guarded(super().set_many, None, data, timeout)

    def touch(self, key, timeout):
        return self._guarded(super().touch, False, key, timeout)

    def delete(self, key):
        return self._guarded(super().delete, False, key)

    def delete_many(self, keys):
        self._guarded(super().delete_many, None, keys)

    def clear_matching(self, pattern: str) -> bool:
        """Delete the keys that match a glob `pattern`, a batch at a time (SCAN, then DEL)."""

        def delete_matching():
            client = self.get_client(write=True)
            batch = []
            for key in client.scan_iter(match=pattern, count=1000):
                batch.append(key)
                if len(batch) == 1000:
                    client.delete(*batch)
                    batch.clear()
            if batch:
                client.delete(*batch)
            return True

        return self._guarded(delete_matching, False)

    def incr(self, key, delta):
        # Unreachable reads as missing, which is how Django's incr() reports a missing key;
        # callers already handle that (by setting a fresh value, here a no-op).
        result = self._guarded(self._incr_if_present, None, key, delta)
        if result is None:
            raise ValueError(f"Key {key!r} not found (the cache is unavailable)")
        return result

    def _incr_if_present(self, key, delta):
        # Django's incr() asks EXISTS, then INCRBY: two round trips on every page-cache bump.
        # The script does both in one, and a missing key stays missing (INCRBY would make it
        # 1), which is what the caller must learn.
        client = self.get_client(key, write=True)
        script = self._scripts.get(id(client))
        if script is None:
            script = self._scripts[id(client)] = client.register_script(_INCR_IF_PRESENT)
        return script(keys=[key], args=[delta])


_INCR_IF_PRESENT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end
return false
"""


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def clear(self) -> bool:
        """Delete this cache's keys, and only those. Django's clear() is FLUSHDB, and Celery's
        broker shares the database (one REDIS_URL): clearing the cache would drop every
        queued task with it."""
        prefix = re.sub(r"([*?\[\]\\])", r"\\\1", self.key_prefix)
        return self._cache.clear_matching(f"{prefix}:*")
