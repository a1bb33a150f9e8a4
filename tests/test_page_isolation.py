"""What one browser's page shows never reaches another: names, statuses, staff links, CSRF
tokens, messages and query strings, whichever page was built or cached first."""

import pytest
from django.test import Client

from tests.builders import client_for
from tracker.services.progress import set_status

ROADMAP = "/roadmaps/llm/"


@pytest.fixture
def roadmap_items(db):
    from tests.builders import make_roadmap

    return make_roadmap(6)[1]


def _pressed(html: str, item) -> str:
    """The status `item`'s row shows on a roadmap page ("" without a status control)."""
    import re

    from tests.builders import row_of

    found = re.search(r'class="st is-(\w+)"', row_of(html, item))
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
