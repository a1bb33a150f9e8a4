"""One settings module for every environment; production differs only through the environment.

Every variable is listed in .env.example.
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"
    )


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number; got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def email_settings(url: str | None) -> dict:
    """Turn EMAIL_URL (smtp://user:pass@host:587?tls=1, console://, locmem://) into settings."""
    if not url:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    parts = urlsplit(url)
    simple = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
    }
    if parts.scheme in simple:
        return {"EMAIL_BACKEND": simple[parts.scheme]}
    if parts.scheme not in {"smtp", "smtps"}:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme must be smtp, smtps, console or locmem; got {parts.scheme!r}"
        )
    query = parse_qs(parts.query)
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 587),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": parts.scheme == "smtp" and query.get("tls", ["1"])[0] in _TRUE,
    }


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required unless DEBUG is on. "
            "Set it in the environment (see .env.example)."
        )
    # Only ever used with DEBUG on, so it never signs anything in production.
    SECRET_KEY = "django-insecure-dev-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_celery_beat",
    "csp",
    "tracker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tracker.middleware.PrivateForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Innermost, so the 429 page it returns still passes through the middleware above.
    "tracker.middleware.SignInLimitMiddleware",
]

ROOT_URLCONF = "roadmap_site.urls"
WSGI_APPLICATION = "roadmap_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tracker.context_processors.pending_reviews",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
# Give up on a database that doesn't answer instead of holding a worker until gunicorn kills
# it: connecting (libpq's connect_timeout, whole seconds, at least 2) and each statement
# (server-side; 0 turns it off, e.g. for a long migration).
DB_CONNECT_TIMEOUT = env_int("DB_CONNECT_TIMEOUT", 5)
DB_STATEMENT_TIMEOUT = env_float("DB_STATEMENT_TIMEOUT", 30.0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default: take the write lock at BEGIN so concurrent writers (two imports,
    # runserver plus a command) wait for each other instead of failing mid-transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    _pg_options["connect_timeout"] = DB_CONNECT_TIMEOUT
    _pg_options["options"] = (
        f"{_pg_options.get('options', '')} -c statement_timeout={int(DB_STATEMENT_TIMEOUT * 1000)}"
    ).strip()
    # The status click's statement is planned once per connection instead of on every click
    # (tracker/services/progress.py; the ORM's queries bind on the client and are never
    # prepared). Off behind a pooler in transaction mode that can't keep prepared statements.
    _pg_options["prepare_threshold"] = 5 if env_bool("DB_PREPARED_STATEMENTS", True) else None
# /healthz gives each service this long (seconds; the database at least 2) before it answers 503.
HEALTHZ_TIMEOUT = env_float("HEALTHZ_TIMEOUT", 2.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Where `import_roadmap` looks when given no paths.
CONTENT_DIR = Path(os.environ.get("CONTENT_DIR") or BASE_DIR / "content")

REDIS_URL = os.environ.get("REDIS_URL", "")
# How long a request waits on Redis (connecting, then each reply) before it carries on
# without it: the cache answers a miss, queueing a task reports that it couldn't.
REDIS_SOCKET_TIMEOUT = env_float("REDIS_SOCKET_TIMEOUT", 0.5)

if REDIS_URL:
    CACHES = {
        "default": {
            # Django's backend, reusing its redis-py client and turning Redis errors into
            # misses with a logged warning (see the module).
            "BACKEND": "tracker.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "roadmap"),
            "OPTIONS": {
                "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
    }
else:
    # Files, not per-process memory: bin/web starts several workers, and a version bumped in
    # one must reach the others. A database cache would need `createcachetable` everywhere.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("CACHE_DIR") or BASE_DIR / ".cache" / "pages",
        }
    }
# Sessions live in the database only (Django's default engine, named here because it is a
# choice): signing in must survive a Redis outage, and a sign-out must not come back to
# life from a cached copy whose delete failed while Redis was down. It costs one indexed
# query per signed-in request.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# The release, in cache keys and ETags so a deploy never serves HTML from old templates; the
# Dockerfile sets it, and without it tracker.page_cache hashes the templates and the code.
BUILD_ID = os.environ.get("BUILD_ID", "")

AUTH_USER_MODEL = "tracker.User"
AUTHENTICATION_BACKENDS = [
    # Checks passwords behind the sign-in limits (tracker/throttle.py has the policy).
    "tracker.services.signin.ThrottledModelBackend",
    # Loads sessions made by sign-up's login() and before the throttle existed.
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Sign-in limits count per client address. Behind proxies, the client's address is the entry
# the last TRUSTED_PROXY_COUNT of them added to X-Forwarded-For; with 0 the header is ignored,
# since anyone can send it. BEHIND_PROXY=1 means one proxy unless said otherwise.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if env_bool("BEHIND_PROXY", False) else 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be 0 or more; got {TRUSTED_PROXY_COUNT}")

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("STATIC_MANIFEST", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Tests and runserver work without collectstatic; production runs collectstatic in the image.
WHITENOISE_USE_FINDERS = DEBUG or env_bool("WHITENOISE_USE_FINDERS", False)

globals().update(email_settings(os.environ.get("EMAIL_URL")))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Roadmap Tracker <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis is the broker when REDIS_URL is set; without it tasks run in-process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 600)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 660)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# Security. Behind TLS in production set HTTPS=1; everything below follows from it.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Scripts only from our own static files: htmx is vendored by django-htmx, never a CDN.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "https:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "plain": {"format": "%(levelname)s %(name)s: %(message)s"},
    },
    # stderr, never stdout: a command's stdout is its data (`export_roadmap llm > file`).
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": os.environ.get("LOG_FORMAT", "plain" if DEBUG else "json"),
        }
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Link health (tracker/linkcheck.py). Per-host rules edited in the admin add to these.
LINKCHECK_CONCURRENCY = env_int("LINKCHECK_CONCURRENCY", 16)
LINKCHECK_PER_HOST = env_int("LINKCHECK_PER_HOST", 2)
LINKCHECK_HOST_INTERVAL = env_float("LINKCHECK_HOST_INTERVAL", 1.0)
# host=seconds pairs; a rule covers the host's subdomains too.
LINKCHECK_HOST_INTERVALS = {
    host: float(seconds)
    for host, _, seconds in (
        pair.partition("=")
        for pair in env_list("LINKCHECK_HOST_INTERVALS", ["arxiv.org=3", "huggingface.co=3"])
    )
}
LINKCHECK_CONNECT_TIMEOUT = env_float("LINKCHECK_CONNECT_TIMEOUT", 5.0)
LINKCHECK_RESPONSE_TIMEOUT = env_float("LINKCHECK_RESPONSE_TIMEOUT", 20.0)
LINKCHECK_URL_TIMEOUT = env_float("LINKCHECK_URL_TIMEOUT", 90.0)
LINKCHECK_RETRY_AFTER_CAP = env_float("LINKCHECK_RETRY_AFTER_CAP", 60.0)
LINKCHECK_BACKOFF = [float(s) for s in env_list("LINKCHECK_BACKOFF", ["2", "4"])]
# Refusing private addresses is the SSRF guard; only tests and development turn it off.
LINKCHECK_ALLOW_PRIVATE = env_bool("LINKCHECK_ALLOW_PRIVATE", False)
LINKCHECK_CHUNK_SIZE = env_int("LINKCHECK_CHUNK_SIZE", 64)
LINKCHECK_RECHECK_DAYS = env_int("LINKCHECK_RECHECK_DAYS", 7)
LINKCHECK_RUN_TIME_LIMIT = env_int("LINKCHECK_RUN_TIME_LIMIT", 3600)
LOGGING["loggers"]["httpx"] = {"level": "WARNING"}  # one INFO line per checked URL is noise
