"""Shared by the benchmark scripts: a throwaway PostgreSQL database for each run, and Django
set up on it as production runs."""

import os
from urllib.parse import urlsplit


def recreate_database(url: str) -> None:
    """Drop and create the database named in `url`, so a run starts from nothing."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    """Django on `url` with production-like settings: DEBUG off (no query logging), static files
    without a manifest, the in-process cache (no REDIS_URL)."""
    os.environ.pop("REDIS_URL", None)
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
