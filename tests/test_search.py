"""Search across roadmaps: the header box, /search/, ranking, notes privacy and hostile input.

Alice (`learner`) searches; Charlie (`outsider`) keeps notes with the same words, which Alice
must never see. PostgreSQL's full-text path is tested through the page; the SQLite fallback
is called directly, so it is tested on PostgreSQL too.
"""

from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from tests.builders import WIDEST_JS, client_for
from tests.factories import ItemFactory, ProgressFactory, ResourceFactory, SectionFactory
from tracker import search_text
from tracker.models import Status
from tracker.selectors import search as search_reads

SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"


@pytest.fixture
def content(db):
    """Three items about zeppelins: one in its title, one in its summary, one through a
    resource; plus a section-wide resource and an archived item that must not show."""
    section = SectionFactory(title="Airships", slug="airships", roadmap__title="Flight Roadmap")
    by_title = ItemFactory(section=section, slug="zeppelins", title="Zeppelin Basics")
    by_summary = ItemFactory(
        section=section,
        slug="lift",
        title="Lift and Buoyancy",
        effort_note="Why a zeppelin floats: hydrogen, helium and hot air.",
    )
    by_resource = ItemFactory(section=section, slug="history", title="Aviation History")
    ResourceFactory(
        item=by_resource, title="The Zeppelin Story", url="https://www.airships.example/z"
    )
    ResourceFactory(
        item=None, section=section, roadmap=section.roadmap, title="Zeppelin Field Guide"
    )
    ItemFactory(section=section, slug="old", title="Zeppelin Archive", archived_at=timezone.now())
    return {"title": by_title, "summary": by_summary, "resource": by_resource}


def _titles(response) -> list[str]:
    return [hit.title for hit in response.context["results"].hits]


# --- the header box ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_page_has_a_labelled_search_box_in_the_header_that_gets_search(client):
    html = client.get("/roadmaps/").content.decode()
    header = html[html.index("<header") : html.index("</header>")]
    assert 'role="search"' in header
    assert 'action="/search/"' in header and 'method="get"' in header
    assert 'id="site-search"' in header and 'name="q"' in header and 'maxlength="200"' in header
    assert '<label class="visually-hidden" for="site-search">Search roadmaps</label>' in header


# --- PostgreSQL: full-text search, ranked ----------------------------------------------------


@pytest.mark.needs_postgres
def test_title_hit_ranks_before_summary_hit_before_resource_hit(client, content):
    response = client.get("/search/", {"q": "zeppelins"})
    assert response.status_code == 200
    titles = _titles(response)
    assert titles[:2] == ["Zeppelin Basics", "Lift and Buoyancy"]
    # Then the resources, the section-wide one included; never the archived item.
    assert sorted(titles[2:]) == ["The Zeppelin Story", "Zeppelin Field Guide"]


@pytest.mark.needs_postgres
def test_results_show_kind_roadmap_section_and_link_to_the_item(client, content):
    html = client.get("/search/", {"q": "zeppelin"}).content.decode()
    assert "4 matches for “zeppelin”" in html
    assert '<a href="/roadmaps/' + content["title"].roadmap.slug + '/zeppelins/">' in html
    assert "Flight Roadmap" in html and "Airships" in html
    # A resource hit shows the resource's title and leads to the item that uses it.
    resource_url = f"/roadmaps/{content['resource'].roadmap.slug}/history/"
    assert f'<a href="{resource_url}"><mark>Zeppelin</mark> Story</a>' not in html
    assert f'<a href="{resource_url}">The <mark>Zeppelin</mark> Story</a>' in html
    assert f'Used by <a href="{resource_url}">Aviation History</a>' in html
    # A section's resource leads to its section on the roadmap page.
    assert f'href="/roadmaps/{content["title"].roadmap.slug}/#airships"' in html
    assert '<span class="tag search-hit-kind">Item</span>' in html
    assert '<span class="tag search-hit-kind">Resource</span>' in html


@pytest.mark.needs_postgres
def test_websearch_syntax_phrase_exclusion_and_or(client, content):
    assert _titles(client.get("/search/", {"q": '"lift and buoyancy"'})) == ["Lift and Buoyancy"]
    excluded = _titles(client.get("/search/", {"q": "zeppelin -hydrogen"}))
    assert "Lift and Buoyancy" not in excluded and "Zeppelin Basics" in excluded
    either = _titles(client.get("/search/", {"q": "buoyancy or aviation"}))
    assert sorted(either) == ["Aviation History", "Lift and Buoyancy"]


@pytest.mark.needs_postgres
def test_a_link_host_finds_its_resources(client, content):
    # Its host is airships.example; "Airships" is also the section, which is not searched.
    assert _titles(client.get("/search/", {"q": "airships"})) == ["The Zeppelin Story"]


@pytest.mark.needs_postgres
def test_item_and_resource_searches_use_their_gin_indexes(learner, content):
    # The indexes of migration 0013 hold a copy of search_postgres's expressions: if they
    # drift apart, every search computes its vectors again for every row.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        search_reads.search("zeppelin", learner)
    plans = []
    with connection.cursor() as cursor:
        # A tiny table would be scanned, and a btree index scan in the join order can win on
        # the statistics earlier tests leave: only bitmap scans (the GIN index) remain.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        for query in queries.captured_queries[:2]:
            cursor.execute("EXPLAIN " + query["sql"])
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    assert "item_search" in plans[0]
    assert "resource_search" in plans[1]


# --- the learner's status and own notes ------------------------------------------------------


@pytest.mark.needs_postgres
def test_signed_in_learner_sees_their_status_on_each_hit(learner, content):
    ProgressFactory(learner=learner, item=content["title"], status=Status.DONE)
    ProgressFactory(learner=learner, item=content["resource"], status=Status.IN_PROGRESS)
    hits = {
        hit.title: hit
        for hit in client_for(learner).get("/search/", {"q": "zeppelin"}).context["results"].hits
    }
    assert hits["Zeppelin Basics"].status == Status.DONE
    assert hits["Lift and Buoyancy"].status == Status.NOT_STARTED
    assert hits["The Zeppelin Story"].status == Status.IN_PROGRESS  # its item's status
    assert hits["Zeppelin Field Guide"].status is None  # a section's resource: no item
    html = client_for(learner).get("/search/", {"q": "zeppelin"}).content.decode()
    assert '<span class="visually-hidden">Your status: </span>Done</span>' in html


@pytest.mark.needs_postgres
def test_anonymous_visitor_sees_results_without_any_status(client, content):
    response = client.get("/search/", {"q": "zeppelin"})
    assert "Zeppelin Basics" in _titles(response)
    assert all(hit.status is None for hit in response.context["results"].hits)
    html = response.content.decode()
    assert "Your status" not in html
    assert "your own notes" not in html


@pytest.mark.needs_postgres
def test_learner_finds_their_own_note_but_never_another_learners(learner, outsider, content):
    ProgressFactory(
        learner=learner, item=content["title"], status=Status.IN_PROGRESS, note="Ask about ballast"
    )
    ProgressFactory(learner=outsider, item=content["summary"], note="Charlie's ballast secret")
    alice = client_for(learner).get("/search/", {"q": "ballast"})
    assert [(hit.kind, hit.title) for hit in alice.context["results"].hits] == [
        ("note", "Zeppelin Basics")
    ]
    html = alice.content.decode()
    assert "Your note" in html and "Ask about <mark>ballast</mark>" in html
    assert "secret" not in html
    charlie = client_for(outsider).get("/search/", {"q": "ballast"}).content.decode()
    assert "Charlie&#x27;s <mark>ballast</mark> secret" in charlie and "Ask about" not in charlie
    assert (
        "Nothing matches" in client_for(learner).get("/search/", {"q": "secret"}).content.decode()
    )


def test_fallback_finds_own_notes_only(learner, outsider, content):
    ProgressFactory(learner=learner, item=content["title"], note="Ask about ballast")
    ProgressFactory(learner=outsider, item=content["summary"], note="Charlie's ballast secret")
    hits = search_reads.search_fallback(("ballast",), learner)
    assert [(hit.kind, hit.text) for hit in hits] == [("note", "Ask about ballast")]
    assert search_reads.search_fallback(("secret",), learner) == []
    assert search_reads.search_fallback(("ballast",), None) == []


# --- the fallback for databases without full-text search --------------------------------------


def test_fallback_puts_title_matches_first_and_needs_every_word(learner, content):
    hits = search_reads.search_fallback(("zeppelin",), learner)
    titles = [hit.title for hit in hits]
    assert titles[0] == "Zeppelin Basics"
    assert set(titles) == {
        "Zeppelin Basics",
        "Lift and Buoyancy",
        "The Zeppelin Story",
        "Zeppelin Field Guide",
    }
    assert titles.index("Lift and Buoyancy") < titles.index("The Zeppelin Story")
    assert [hit.title for hit in search_reads.search_fallback(("zeppelin", "floats"), None)] == [
        "Lift and Buoyancy"
    ]
    assert search_reads.search_fallback((), learner) == []


def test_search_uses_the_fallback_on_other_databases(client, content, monkeypatch):
    monkeypatch.setattr(search_reads.connection, "vendor", "sqlite")
    assert _titles(client.get("/search/", {"q": "Zeppelin"}))[0] == "Zeppelin Basics"


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_empty_search_shows_a_friendly_prompt(client):
    for query in ["", "   ", "\x00"]:
        response = client.get("/search/", {"q": query})
        assert response.status_code == 200
        assert "What do you want to learn about?" in response.content.decode()
    assert "What do you want to learn about?" in client.get("/search/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw_query",
    ["%00", "zep%00pelin", "%ED%A0%80", "%C0%AF", "%22", "-", "%26%7C!", "!!", "(", "-zeppelin",
     "a%3A*", "%5C", "'", "or", "%27%3B+DROP+TABLE+tracker_item%3B--"],
)  # fmt: skip
def test_odd_input_never_fails(client, content, raw_query):
    response = client.get("/search/?q=" + raw_query)
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_nul_byte_is_dropped_and_the_rest_searched(client, content):
    response = client.get("/search/?q=zeppelin%00")
    assert response.context["results"].query == "zeppelin"
    assert "Zeppelin Basics" in _titles(response)


@pytest.mark.django_db
def test_a_very_long_search_is_cut_to_200_characters_and_says_so(client, content):
    response = client.get("/search/", {"q": "zeppelin " + "x" * 400})
    assert response.status_code == 200
    assert len(response.context["results"].query) == 200
    assert "only its first 200 were searched" in response.content.decode()


@pytest.mark.django_db
def test_html_in_the_query_and_in_content_is_escaped(client, content):
    ItemFactory(section=content["title"].section, slug="tags", title="<b>Zeppelin</b> markup")
    html = client.get("/search/", {"q": "<script>"}).content.decode()
    assert "<script>" not in html[html.index("<main") :]
    assert "Nothing matches “&lt;script&gt;”" in html
    html = client.get("/search/", {"q": "markup"}).content.decode()
    assert "&lt;b&gt;Zeppelin&lt;/b&gt; <mark>markup</mark>" in html


@pytest.mark.django_db
def test_search_page_refuses_post(client):
    assert client.post("/search/", {"q": "x"}).status_code == 405


# --- a cap and a fixed query count --------------------------------------------------------------


def _many_items(count: int, section):
    for n in range(count):
        item = ItemFactory(section=section, slug=f"glider-{n}", title=f"Glider {n}")
        ResourceFactory(item=item, title=f"Glider manual {n}")


@pytest.mark.django_db
def test_results_are_capped_at_50_and_the_page_says_there_are_more(client, content):
    _many_items(60, content["title"].section)
    response = client.get("/search/", {"q": "glider"})
    assert len(response.context["results"].hits) == 50
    assert "The best 50 matches for “glider”; there are more" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 40])
def test_query_count_does_not_grow_with_hits(
    learner, content, count, django_assert_max_num_queries
):
    _many_items(count, content["title"].section)
    ProgressFactory(learner=learner, item=content["title"], note="glider notes")
    client = client_for(learner)
    # session, user, then items, resources and the learner's notes: one query each.
    with django_assert_max_num_queries(5):
        response = client.get("/search/", {"q": "glider"})
    assert len(response.context["results"].hits) >= count
    # Anonymous: items and resources only.
    with django_assert_max_num_queries(2):
        Client().get("/search/", {"q": "glider"})


# --- pure text rules ---------------------------------------------------------------------------


def test_clean_query_drops_control_characters_and_lone_surrogates():
    assert search_text.clean_query("a\x00b\ud800 c\n\td").text == "a b c d"
    assert search_text.clean_query(None).text == ""
    cut = search_text.clean_query("y" * 250)
    assert cut.cut and len(cut.text) == 200


def test_query_terms_leave_out_excluded_words_and_or():
    assert search_text.query_terms('"Large Language" -video OR models models') == (
        "large",
        "language",
        "models",
    )


def test_highlight_escapes_and_marks_word_stems():
    marked = search_text.highlight("<i>Transformers</i> & a transformer", ("transformers",))
    assert marked == (
        "&lt;i&gt;<mark>Transformers</mark>&lt;/i&gt; &amp; a <mark>transformer</mark>"
    )
    assert search_text.highlight("<x>", ()) == "&lt;x&gt;"
    # A term full of regex characters is matched literally.
    assert search_text.highlight("a.*b", ("*",)) == "a.*b"


def test_excerpt_centres_on_the_first_match():
    text = "word " * 100 + "zeppelin " + "word " * 100
    cut = search_text.excerpt(text, ("zeppelin",), length=60)
    assert cut.startswith("…") and cut.endswith("…") and "zeppelin" in cut
    assert len(cut) <= 62
    assert search_text.excerpt("short", ("x",)) == "short"


def test_host_of_a_url():
    assert search_text.host_of("https://www.youtube.com/watch?v=1") == "youtube.com"
    assert search_text.host_of("") == ""
    assert search_text.host_of("http://[::1") == ""


# --- in a browser ------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280])
def test_learner_types_in_the_header_box_and_sees_results(browser_page, live_server, width):
    from django.conf import settings

    from tests.factories import UserFactory

    section = SectionFactory(title="Airships", slug="airships", roadmap__title="Flight Roadmap")
    item = ItemFactory(
        section=section, slug="zeppelins", title="Zeppelin Basics", effort_note="How they float."
    )
    ResourceFactory(item=item, title="The Zeppelin Story")
    dana = UserFactory(email="dana@example.com", display_name="Dana")
    ProgressFactory(learner=dana, item=item, status=Status.DONE, note="Zeppelin ballast maths")
    client = Client()
    client.force_login(dana)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page = browser_page
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    page.set_viewport_size({"width": width, "height": 900})

    page.goto("/roadmaps/")
    box = page.get_by_role("searchbox", name="Search roadmaps")
    # The header fits the screen with the box in it.
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.evaluate(WIDEST_JS)
    box.fill("zeppelin")
    box.press("Enter")
    page.wait_for_url("**/search/?q=zeppelin")
    results = page.locator(".search-hit")
    assert results.count() == 3
    assert "Zeppelin Basics" in results.first.inner_text()
    assert page.get_by_text("Your note").count() == 1
    assert page.locator(".search-hit .status-done").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.evaluate(WIDEST_JS)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"search-{width}.png", full_page=True)
    page.locator(".search-hit-item a").first.click()
    page.wait_for_url(f"**/roadmaps/{item.roadmap.slug}/zeppelins/")
