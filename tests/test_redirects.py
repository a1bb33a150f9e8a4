"""Open redirects: every `next` is kept only when it points at this site."""

import pytest
from django.test import Client

from tests.builders import client_for


@pytest.fixture
def roadmap_items(db):
    from tests.builders import make_roadmap

    return make_roadmap(6)[1]


OFFSITE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    " //evil.example/",
]


def _lands_here(response) -> bool:
    from urllib.parse import urlsplit

    location = response.headers["Location"]
    parts = urlsplit(location)
    return (
        not parts.scheme and not parts.netloc and location.startswith("/") and "\\" not in location
    )


@pytest.mark.parametrize("target", OFFSITE)
def test_the_status_form_never_sends_a_browser_off_site(learner, roadmap_items, target):
    item = roadmap_items[0]
    url = f"/roadmaps/llm/{item.slug}/status/"
    response = client_for(learner).post(url, {"status": "done", "next": target})
    assert response.status_code == 302 and _lands_here(response)
    response = client_for(learner).post(url, {"status": "bogus", "next": target})
    assert response.status_code == 302 and _lands_here(response)


@pytest.mark.parametrize("target", OFFSITE)
def test_sign_up_and_sign_in_never_send_a_browser_off_site(learner, password, target):
    from urllib.parse import quote

    signup = Client().get(f"/accounts/signup/?next={quote(target)}").content.decode()
    assert "evil.example" not in signup and "javascript:" not in signup
    response = Client().post(
        "/accounts/signup/",
        {"email": "new@example.com", "password1": password, "password2": password, "next": target},
    )
    assert response.status_code == 302 and _lands_here(response)

    login = Client().get(f"/accounts/login/?next={quote(target)}").content.decode()
    assert "evil.example" not in login and "javascript:" not in login
    response = Client().post(
        "/accounts/login/",
        {"username": learner.email, "password": "correct-horse-battery", "next": target},
    )
    assert response.status_code == 302 and _lands_here(response)


def test_the_lockout_page_drops_an_off_site_next(learner, settings):
    client = Client()
    for _ in range(6):  # five failures lock this account on this address
        page = client.post(
            "/accounts/login/?next=https://evil.example/",
            {"username": learner.email, "password": "wrong", "next": "https://evil.example/"},
        )
    assert page.status_code == 429
    assert "evil.example" not in page.content.decode()
