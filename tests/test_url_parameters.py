"""Bad values in URL parameters answer 404, never a database error (a NUL byte is one on
PostgreSQL, which refuses it in text)."""

import re

import pytest
from django.urls import URLResolver

from tracker.urls import urlpatterns

# The converters whose values can reach a query, and which can't match a NUL byte.
SAFE_CONVERTERS = {"slug", "int"}


def _parametrised_routes(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _parametrised_routes(pattern.url_patterns, route)
        # Django's own views (the password reset link) check their parameters themselves.
        elif "<" in route and not pattern.callback.__module__.startswith("django."):
            yield route


ROUTES = sorted(_parametrised_routes(urlpatterns))


def test_every_tracker_url_parameter_uses_a_converter_that_refuses_nul():
    converters = {
        match.group(1) or "str"
        for route in ROUTES
        for match in re.finditer(r"<(?:(\w+):)?\w+>", route)
    }
    assert converters <= SAFE_CONVERTERS, ROUTES


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("who", ["anonymous", "signed in"])
def test_a_nul_byte_in_any_url_parameter_answers_404(client, learner, route, who):
    if who == "signed in":
        client.force_login(learner)
    url = "/" + re.sub(r"<[^>]+>", "%00", route)
    assert client.get(url).status_code == 404, url
    assert client.post(url).status_code == 404, url


@pytest.mark.parametrize(
    "url",
    [
        "/plan/calendar/%00.ics",
        "/plan/calendar/abc%00def.ics",
        "/cohorts/join/%00/",
        "/cohorts/join/abc%00def/",
        "/roadmaps/llm%00/",
    ],
)
def test_the_reported_urls_answer_404_signed_in_or_not(client, learner, url):
    assert client.get(url).status_code == 404
    client.force_login(learner)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/cohorts/99999999999999999999999/",
        "/cohorts/1/learners/99999999999999999999999/",
        "/cohorts/99999999999999999999999/items/some-item/",
    ],
)
def test_ids_too_large_for_the_database_answer_404(learner_client, url):
    assert learner_client.get(url).status_code == 404


def test_a_nul_byte_in_djangos_own_url_parameters_answers_without_an_error(admin_client):
    # The admin's object ids are <path:…>; Django turns a bad one into "doesn't exist".
    for url in ["/admin/tracker/item/%00/change/", "/admin/tracker/link/%00/change/"]:
        assert admin_client.get(url).status_code == 302
    reset = admin_client.get("/accounts/reset/%00/%00/")
    assert reset.status_code == 200
    assert "This link no longer works" in reset.content.decode()
