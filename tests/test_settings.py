import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from roadmap_site.settings import email_settings, env_bool, env_int


def test_env_bool_rejects_garbage(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env_bool("SOME_FLAG")


def test_env_int_rejects_non_numbers(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER"):
        env_int("SOME_NUMBER", 1)


def test_email_url_defaults_to_console_and_parses_smtp():
    assert email_settings(None)["EMAIL_BACKEND"].endswith("console.EmailBackend")
    smtp = email_settings("smtp://mailer:s%40cret@mail.example.org:2525")
    assert smtp["EMAIL_HOST"] == "mail.example.org"
    assert smtp["EMAIL_PORT"] == 2525
    assert smtp["EMAIL_HOST_PASSWORD"] == "s@cret"
    assert smtp["EMAIL_USE_TLS"] is True
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        email_settings("ftp://nope")


def test_healthz_reports_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] is True


def _settings_in_a_fresh_process(env_changes: dict, expression: str) -> str:
    """Evaluate `expression` against settings loaded from the environment plus `env_changes`."""
    env = {**os.environ, "SECRET_KEY": "settings-test", **env_changes}
    script = f"import django; django.setup(); from django.conf import settings; print({expression})"
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**env, "DJANGO_SETTINGS_MODULE": "roadmap_site.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 or "ImproperlyConfigured" in result.stderr, result.stderr
    return result.stdout.strip() or result.stderr


def test_database_and_redis_timeouts_come_from_the_environment():
    output = _settings_in_a_fresh_process(
        {
            "DATABASE_URL": "postgres://u@db.example:5432/roadmap",
            "DB_CONNECT_TIMEOUT": "3",
            "DB_STATEMENT_TIMEOUT": "12.5",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "REDIS_SOCKET_TIMEOUT": "0.25",
        },
        "settings.DATABASES['default']['OPTIONS'], settings.CACHES['default']['OPTIONS'],"
        " settings.SESSION_ENGINE",
    )
    assert "'connect_timeout': 3" in output
    assert "'options': '-c statement_timeout=12500'" in output
    assert "'socket_connect_timeout': 0.25, 'socket_timeout': 0.25" in output
    # Sessions never depend on Redis, so signing in survives an outage.
    assert "django.contrib.sessions.backends.db" in output


def test_a_malformed_timeout_stops_the_settings_with_its_name():
    output = _settings_in_a_fresh_process({"DB_CONNECT_TIMEOUT": "soon"}, "1")
    assert "ImproperlyConfigured" in output and "DB_CONNECT_TIMEOUT" in output
