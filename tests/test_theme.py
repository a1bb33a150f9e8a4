"""Dark mode: the device's choice by default, or the user's, remembered on their account."""

import re

import pytest
from django.test import Client

from tests.builders import make_roadmap
from tracker.models import ColourTheme, RoadmapFollow, Status
from tracker.services.progress import set_status


def _html_tag(page: str) -> str:
    return re.search(r"<html[^>]*>", page).group(0)


def _theme_form(page: str) -> str:
    return page.split('class="theme-switch"')[1].split("</form>")[0]


@pytest.mark.django_db
def test_visitors_follow_their_device_and_get_no_switch(client):
    page = client.get("/accounts/login/").content.decode()
    assert "data-theme" not in _html_tag(page)
    assert '<meta name="color-scheme" content="light dark">' in page
    assert "theme-switch" not in page


def test_a_new_user_follows_their_device_and_sees_which_choice_is_on(learner_client, learner):
    assert learner.theme == ColourTheme.SYSTEM
    page = learner_client.get("/me/").content.decode()
    assert "data-theme" not in _html_tag(page)
    form = _theme_form(page)
    assert 'value="system" aria-pressed="true"' in form
    assert 'value="dark" aria-pressed="false"' in form
    assert '<input type="hidden" name="next" value="/me/">' in form


def test_the_header_switch_remembers_dark_and_goes_back_to_the_page(learner_client, learner):
    response = learner_client.post("/me/theme/", {"theme": "dark", "next": "/plan/?week=2"})
    assert response.status_code == 302
    assert response["Location"] == "/plan/?week=2"
    learner.refresh_from_db()
    assert learner.theme == ColourTheme.DARK
    page = learner_client.get("/plan/").content.decode()
    assert _html_tag(page) == '<html lang="en" data-theme="dark">'
    assert '<meta name="color-scheme" content="dark">' in page
    assert 'value="dark" aria-pressed="true"' in _theme_form(page)


def test_light_is_pinned_even_on_a_dark_device(learner_client, learner):
    learner_client.post("/me/theme/", {"theme": "light", "next": "/me/"})
    page = learner_client.get("/me/").content.decode()
    assert 'data-theme="light"' in _html_tag(page)
    assert '<meta name="color-scheme" content="light">' in page


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/me/", "javascript:alert(1)", ""]
)
def test_the_switch_never_sends_anyone_off_the_site(learner_client, next_url):
    response = learner_client.post("/me/theme/", {"theme": "dark", "next": next_url})
    assert response["Location"] == "/me/"


def test_an_unknown_theme_changes_nothing(learner_client, learner):
    response = learner_client.post("/me/theme/", {"theme": "purple", "next": "/plan/"})
    assert response["Location"] == "/plan/"
    learner.refresh_from_db()
    assert learner.theme == ColourTheme.SYSTEM
    page = learner_client.get("/plan/").content.decode()
    assert "That theme does not exist; nothing changed." in page


def test_the_switch_only_takes_a_post_from_a_signed_in_user_with_a_csrf_token(
    learner, learner_client
):
    assert learner_client.get("/me/theme/").status_code == 405
    response = Client().post("/me/theme/", {"theme": "dark"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(learner)
    assert strict.post("/me/theme/", {"theme": "dark"}).status_code == 403
    learner.refresh_from_db()
    assert learner.theme == ColourTheme.SYSTEM


def test_the_settings_page_saves_the_theme_with_the_rest(learner_client, learner):
    form = learner_client.get("/me/").content.decode()
    assert '<label for="id_theme">Colour theme:</label>' in form
    data = {
        "display_name": "Alice",
        "time_zone": "UTC",
        "weekly_hours": "5",
        "target_date": "",
        "theme": "dark",
    }
    assert learner_client.post("/me/", data).status_code == 302
    learner.refresh_from_db()
    assert learner.theme == ColourTheme.DARK


def test_cached_pages_switch_theme_at_once_and_their_form_returns_to_them(learner_client, learner):
    # The dashboard and the signed-in roadmap page are cached per learner (and 304 on an
    # unchanged ETag): the theme is part of what they show, so a switch shows on the next load.
    roadmap, items = make_roadmap(4)
    RoadmapFollow.objects.create(learner=learner, roadmap=roadmap, position=0)
    set_status(learner=learner, item=items[0], status=Status.DONE)
    for path in ("/", "/roadmaps/llm/", "/roadmaps/llm/?from=search"):
        first = learner_client.get(path)
        assert "data-theme" not in _html_tag(first.content.decode())
        # The shell is cached with a placeholder for the address, filled in per request.
        assert f'name="next" value="{path.replace("&", "&amp;")}"' in _theme_form(
            first.content.decode()
        )
        learner_client.post("/me/theme/", {"theme": "dark", "next": path})
        again = learner_client.get(path, headers={"if-none-match": first["ETag"]})
        assert again.status_code == 200
        assert 'data-theme="dark"' in _html_tag(again.content.decode())
        learner_client.post("/me/theme/", {"theme": "system", "next": path})
