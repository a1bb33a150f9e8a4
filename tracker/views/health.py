from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


def _database_ok() -> bool:
    # A connection of its own with the check's short deadline: a database that accepts
    # connections and never answers must get a 503 back, not hold the worker until gunicorn
    # kills it. It also shows whether a new connection can be made, which pages need.
    probe = connections.create_connection(DEFAULT_DB_ALIAS)
    probe.settings_dict = {**probe.settings_dict, "OPTIONS": _probe_options(probe)}
    try:
        with probe.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False
    finally:
        probe.close()


def _probe_options(probe) -> dict:
    options = dict(probe.settings_dict.get("OPTIONS", {}))
    if probe.vendor == "postgresql":
        # libpq counts whole seconds and waits at least 2.
        options["connect_timeout"] = max(2, round(settings.HEALTHZ_TIMEOUT))
        deadline = f"-c statement_timeout={int(settings.HEALTHZ_TIMEOUT * 1000)}"
        options["options"] = f"{options.get('options', '')} {deadline}".strip()
    return options


def _redis_ok() -> bool:
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.HEALTHZ_TIMEOUT,
        socket_timeout=settings.HEALTHZ_TIMEOUT,
    )
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


@require_safe
@never_cache
def liveness(request: HttpRequest) -> HttpResponse:
    """The process answers; touches nothing else. Also the load test's trivial-view ceiling."""
    return HttpResponse("ok", content_type="text/plain")


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The database and (when configured) Redis answer, each within HEALTHZ_TIMEOUT."""
    checks = {"database": _database_ok()}
    if settings.REDIS_URL:
        checks["redis"] = _redis_ok()
    healthy = all(checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )
