"""Shared by the benchmark scripts: a throwaway PostgreSQL database for each run."""

from urllib.parse import urlsplit


def recreate_database(url: str) -> None:
    """Drop and create the database named in `url`, so a run starts from nothing."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
