"""Findings of the security review, each pinned by a test: what one user must never see of
another's, and what the cached pages must never mix up."""

import pytest
from django.test import Client

from tests.factories import ItemFactory, SectionFactory
from tracker.services.follows import follow_roadmap
from tracker.services.progress import set_status


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("week", ["this week (snapshot saved)", "next planned week"])
def test_a_mentor_sees_no_item_of_the_learners_other_roadmaps_in_their_plan(
    mentor, learner, cohort, week
):
    # The join page promises mentors never see "your other roadmaps' progress"; the study
    # plan on the mentor's page of the learner covers every roadmap the learner follows.
    private = SectionFactory(title="Private studies")
    secret = ItemFactory(section=private, slug="secret-item", title="Secret side project")
    follow_roadmap(learner=learner, roadmap=private.roadmap)
    follow_roadmap(learner=learner, roadmap=cohort.roadmap)
    set_status(learner=learner, item=secret, status="in_progress")
    if week.startswith("this week"):
        assert client_for(learner).get("/plan/").status_code == 200  # saves this week's plan

    page = client_for(mentor).get(f"/cohorts/{cohort.pk}/learners/{learner.pk}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Cohort item 0" in html  # the cohort's own roadmap still shows in the plan
    assert ("This week (from" in html) == week.startswith("this week")
    assert "Secret side project" not in html


# ---------------------------------------------------------------------------------------------
# Cached pages: one learner's page, name, statuses or token never reach another browser


ROADMAP = "/roadmaps/llm/"


@pytest.fixture
def roadmap_items(db):
    from tests.builders import make_roadmap

    return make_roadmap(6)[1]


def _pressed(html: str, item) -> str:
    """The status button shown pressed for `item` on a roadmap page."""
    import re

    found = re.search(
        rf'id="status-{item.id}-(\w+)" name="status" value="\w+" aria-pressed="true"', html
    )
    return found.group(1) if found else ""


def test_cached_pages_never_show_one_learner_to_another_or_to_a_visitor(
    learner, outsider, roadmap_items
):
    from django.middleware.csrf import _does_token_match

    learner.is_staff = True
    learner.save()
    item = roadmap_items[0]
    set_status(learner=learner, item=item, status="done")
    alice, charlie, visitor = client_for(learner), client_for(outsider), Client()

    # Alice's pages go into the cache first; everyone else then asks for the same URLs.
    for url in (ROADMAP, "/"):
        assert "Alice" in alice.get(url).content.decode()
    for url in (ROADMAP, "/"):
        theirs = charlie.get(url)
        html = theirs.content.decode()
        assert "Alice" not in html and "alice@example.com" not in html
        assert 'href="/admin/"' not in html  # Alice is staff; Charlie is not
        assert "Charlie" in html
        token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        assert _does_token_match(token, charlie.cookies["csrftoken"].value)
        assert not _does_token_match(token, alice.cookies["csrftoken"].value)
    assert _pressed(charlie.get(ROADMAP).content.decode(), item) == "not_started"
    assert _pressed(alice.get(ROADMAP).content.decode(), item) == "done"
    assert 'href="/admin/"' in alice.get(ROADMAP).content.decode()

    anonymous = visitor.get(ROADMAP).content.decode()
    assert "Sign out" not in anonymous and "Your status" not in anonymous
    assert "Alice" not in anonymous and "Charlie" not in anonymous
    # And the other way round: a visitor's page cached first never reaches a signed-in one.
    assert "Sign out" in client_for(outsider).get(ROADMAP).content.decode()


@pytest.mark.parametrize("signed_in", [True, False])
def test_a_query_string_is_escaped_and_never_cached_for_the_next_request(
    learner, roadmap_items, signed_in
):
    client = client_for(learner) if signed_in else Client()
    probe = '"><script>alert(1)</script>'
    from urllib.parse import quote

    first = client.get(f"{ROADMAP}?next={quote(probe)}").content.decode()
    assert "<script>alert(1)" not in first
    for url in (ROADMAP, "/"):
        later = Client() if not signed_in else client_for(learner)
        assert "alert(1)" not in later.get(url).content.decode()


# ---------------------------------------------------------------------------------------------
# Open redirects: every `next` is kept only when it points at this site

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


# ---------------------------------------------------------------------------------------------
# CSRF: every change is a POST that needs the token; a GET never changes anything


def _post_endpoints(cohort, item) -> list[str]:
    c = cohort.pk
    return [
        f"/roadmaps/{item.roadmap.slug}/follow/",
        f"/roadmaps/{item.roadmap.slug}/unfollow/",
        f"/me/roadmaps/{item.roadmap.slug}/move/",
        f"/roadmaps/{item.roadmap.slug}/{item.slug}/status/",
        f"/roadmaps/{item.roadmap.slug}/{item.slug}/note/",
        "/plan/replan/",
        "/me/calendar-token/",
        f"/cohorts/{c}/invite/regenerate/",
        f"/cohorts/{c}/mentors/",
        f"/cohorts/{c}/share-notes/",
    ]


def test_every_action_refuses_get_and_a_post_without_the_csrf_token(learner, mentor, cohort):
    item = cohort.roadmap.items.first()
    for user in (learner, mentor):
        plain = client_for(user)
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(user)
        for url in _post_endpoints(cohort, item):
            assert plain.get(url).status_code == 405, url
            assert strict.post(url, {"status": "done"}).status_code == 403, url


def test_forms_that_open_on_get_change_nothing_until_a_post_with_the_token(
    learner, outsider, mentor, cohort
):
    token_before = learner.calendar_token
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(outsider)
    assert strict.get(cohort.get_invite_path()).status_code == 200
    assert strict.post(cohort.get_invite_path()).status_code == 403
    assert not cohort.memberships.filter(learner=outsider).exists()

    strict.force_login(learner)
    for url in (f"/cohorts/{cohort.pk}/leave/", "/me/delete/", "/me/"):
        assert strict.get(url).status_code == 200
        assert strict.post(url, {"weekly_hours": 9}).status_code == 403
    assert cohort.memberships.filter(learner=learner).exists()
    learner.refresh_from_db()
    assert learner.weekly_hours != 9 and learner.is_active
    assert learner.calendar_token == token_before
    assert strict.post("/accounts/logout/").status_code == 403
    assert strict.get("/accounts/logout/").status_code == 405

    strict.force_login(mentor)
    learner_page = f"/cohorts/{cohort.pk}/learners/{learner.pk}/remove/"
    assert strict.post(learner_page).status_code == 403
    assert cohort.memberships.filter(learner=learner).exists()


def test_one_learners_message_never_shows_on_another_learners_cached_page(
    learner, outsider, roadmap_items
):
    item = roadmap_items[1]
    alice, charlie, visitor = client_for(learner), client_for(outsider), Client()
    for client in (alice, charlie, visitor):
        client.get(ROADMAP)  # everyone's page is in the cache before the message exists
    alice.post(f"/roadmaps/llm/{item.slug}/status/", {"status": "done", "next": ROADMAP})

    assert "is now marked done" in alice.get(ROADMAP).content.decode()
    for client in (charlie, visitor, alice):  # Alice's message was shown once, and only to her
        for url in (ROADMAP, "/"):
            assert "is now marked done" not in client.get(url).content.decode()


def test_taking_away_staff_removes_the_admin_link_from_cached_pages_at_once(learner, roadmap_items):
    learner.is_staff = True
    learner.save()
    alice = client_for(learner)
    for url in (ROADMAP, "/"):
        assert 'href="/admin/"' in alice.get(url).content.decode()
    learner.is_staff = False
    learner.save()  # as the admin would: no version bump, only the profile changes
    for url in (ROADMAP, "/"):
        assert 'href="/admin/"' not in alice.get(url).content.decode()
