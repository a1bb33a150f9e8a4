"""The map view of a roadmap (/roadmaps/<slug>/map/): nodes, statuses, links and queries."""

import re

import pytest
from django.urls import resolve, reverse

from tests.builders import client_for, make_roadmap
from tests.factories import ItemFactory, ProgressFactory
from tracker.models import Status
from tracker.views import roadmaps as roadmap_views

pytestmark = pytest.mark.django_db


def _wide(html: str) -> str:
    """The wide drawing only: the page holds the same nodes twice (wide and narrow)."""
    start = html.index('class="map-scroll map-wide"')
    return html[start : html.index('class="map-scroll map-narrow"')]


def _node(html: str, item) -> str:
    """A node's markup in the wide drawing, from its link to the link's end."""
    wide = _wide(html)
    start = wide.index(f'href="{item.get_absolute_url()}"')
    return wide[start : wide.index("</a>", start)]


def test_visitors_see_every_item_as_a_not_started_node_linking_to_its_page(client):
    roadmap, items = make_roadmap(8)
    response = client.get(f"/roadmaps/{roadmap.slug}/map/")
    assert response.status_code == 200
    html = response.content.decode()
    for item in items:
        node = _node(html, item)
        assert f"<title>{item.title}: not started" in node
        assert "○ Not started" in node
        assert 'class="map-node map-not_started"' in html
    assert html.count('class="map-node ') == 2 * len(items)  # a wide and a narrow drawing
    assert "Sign in</a> to see your own progress" in html


def test_prerequisites_are_drawn_as_arrows(client):
    roadmap, items = make_roadmap(6)  # each item needs the one before it
    html = client.get(f"/roadmaps/{roadmap.slug}/map/").content.decode()
    assert _wide(html).count('class="map-edge"') == len(items) - 1
    assert 'marker-end="url(#map-arrow-wide)"' in html


def test_a_learner_sees_their_own_statuses_with_a_mark_beside_the_colour(learner, outsider):
    roadmap, items = make_roadmap(5)
    ProgressFactory(learner=learner, item=items[0], status=Status.DONE)
    ProgressFactory(learner=learner, item=items[1], status=Status.IN_PROGRESS)
    ProgressFactory(learner=learner, item=items[2], status=Status.SKIPPED)
    ProgressFactory(learner=outsider, item=items[3], status=Status.DONE)
    html = client_for(learner).get(f"/roadmaps/{roadmap.slug}/map/").content.decode()
    assert "✓ Done" in _node(html, items[0])
    assert "◐ In progress" in _node(html, items[1])
    assert "⤼ Skipped" in _node(html, items[2])
    # Another learner's tick is not theirs.
    assert "○ Not started" in _node(html, items[3])
    assert re.search(r"Done: 1\b", html)
    assert "Sign in</a> to see" not in html


def test_titles_are_escaped_in_the_drawing(client):
    roadmap, items = make_roadmap(1)
    ItemFactory(section=items[0].section, title='<script>alert("x")</script> & more')
    html = client.get(f"/roadmaps/{roadmap.slug}/map/").content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in html


def test_the_drawing_is_a_group_of_links_with_the_list_view_as_the_alternative(client):
    roadmap, _ = make_roadmap(4)
    html = client.get(f"/roadmaps/{roadmap.slug}/map/").content.decode()
    assert 'role="img"' not in html
    assert re.search(r'<svg [^>]*role="group" aria-label="LLM Roadmap: map', html)
    list_url = reverse("roadmap_detail", args=[roadmap.slug])
    assert f'<a href="{list_url}">List view</a>' in html
    assert 'class="visually-hidden">The same items, with their status controls' in html


def test_the_roadmap_page_links_to_its_map(client, learner):
    roadmap, _ = make_roadmap(2)
    map_link = f'<a href="/roadmaps/{roadmap.slug}/map/">Map view</a>'
    assert map_link in client.get(f"/roadmaps/{roadmap.slug}/").content.decode()
    assert map_link in client_for(learner).get(f"/roadmaps/{roadmap.slug}/").content.decode()


def test_map_of_an_unknown_or_archived_roadmap_is_404(client):
    assert client.get("/roadmaps/nothing-here/map/").status_code == 404
    roadmap, _ = make_roadmap(1)
    roadmap.archived_at = roadmap.created_at
    roadmap.save()
    assert client.get(f"/roadmaps/{roadmap.slug}/map/").status_code == 404


def test_map_refuses_post(client):
    roadmap, _ = make_roadmap(1)
    assert client.post(f"/roadmaps/{roadmap.slug}/map/").status_code == 405


def test_archived_items_are_left_off_the_map(client):
    roadmap, items = make_roadmap(3)
    items[1].archived_at = items[1].created_at
    items[1].save()
    html = client.get(f"/roadmaps/{roadmap.slug}/map/").content.decode()
    assert items[1].get_absolute_url() not in html
    assert items[2].get_absolute_url() in html


def test_the_map_url_is_the_map_however_items_are_slugged():
    # "map" is a reserved item slug (the importer refuses it: tests/test_import.py), and the
    # map's route comes before the item pages'.
    assert resolve("/roadmaps/llm/map/").func is roadmap_views.roadmap_map
    assert resolve("/roadmaps/llm/maps/").func is roadmap_views.item_detail


@pytest.mark.parametrize("n_items", [4, 40])
def test_map_page_runs_a_fixed_number_of_queries(
    client, learner, django_assert_max_num_queries, n_items
):
    roadmap, items = make_roadmap(n_items)
    ProgressFactory(learner=learner, item=items[0], status=Status.DONE)
    url = f"/roadmaps/{roadmap.slug}/map/"
    # Roadmap, sections, items, prerequisite links.
    with django_assert_max_num_queries(4):
        assert client.get(url).status_code == 200
    signed_in = client_for(learner)
    # Session, user, then the same four and the learner's statuses.
    with django_assert_max_num_queries(7):
        assert signed_in.get(url).status_code == 200
