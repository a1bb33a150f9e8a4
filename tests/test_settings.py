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
