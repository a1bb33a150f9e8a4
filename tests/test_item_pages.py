"""Item pages: previous/next in the roadmap page's order, and resource links whose label only
repeats the item's title."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.builders import make_roadmap
from tests.factories import ItemFactory, ResourceFactory, RoadmapFactory, SectionFactory
from tracker import roadmap_layout
from tracker.models import Item, Section
from tracker.selectors.roadmaps import roadmap_for_page


def pager(html: str) -> dict[str, tuple[str, str]]:
    """rel -> (href, text) of the item page's previous/next links."""
    found = re.findall(r'<a href="([^"]+)" rel="(prev|next)">(.*?)</a>', html, re.DOTALL)
    return {
        rel: (href, re.sub(r"<[^>]+>|[←→]", "", text).split(maxsplit=1)[1].strip())
        for href, rel, text in found
    }


@pytest.fixture
def interleaved(db):
    """A roadmap whose prerequisites interleave two groups in the file (Maths, Code, Maths):
    the page gathers each group's items under its heading, so page order is not file order."""
    roadmap = RoadmapFactory(slug="mixed", title="Mixed")
    prereqs = SectionFactory(roadmap=roadmap, slug="pre", kind=Section.Kind.PREREQUISITES, order=0)
    level = SectionFactory(
        roadmap=roadmap, slug="beginner", kind=Section.Kind.LEVEL, level="beginner", order=1
    )
    make = [
        (prereqs, "algebra", "Maths", 0),
        (prereqs, "python", "Code", 1),
        (prereqs, "calculus", "Maths", 2),
        (level, "tokens", "", 3),
        (level, "attention", "", 4),
    ]
    items = {
        slug: ItemFactory(section=section, slug=slug, title=slug.title(), group=group, order=n)
        for section, slug, group, n in make
    }
    ItemFactory(section=level, slug="gone", order=5, archived_at=timezone.now())
    return items


def test_page_order_gathers_groups_as_the_roadmap_page_shows_them(interleaved):
    page = roadmap_for_page("mixed")
    shown = [i.slug for b in roadmap_layout.roadmap_blocks(page) for g in b.groups for i in g.items]

    items = Item.objects.active().filter(roadmap__slug="mixed").order_by("section__order", "order")
    ordered = [item.slug for item in roadmap_layout.page_order(items.select_related("section"))]

    assert ordered == shown == ["algebra", "calculus", "python", "tokens", "attention"]


def test_item_pages_link_previous_and_next_in_page_order_with_titles(client, interleaved):
    html = client.get(interleaved["calculus"].get_absolute_url()).content.decode()

    assert pager(html) == {
        "prev": ("/roadmaps/mixed/algebra/", "Algebra"),
        "next": ("/roadmaps/mixed/python/", "Python"),
    }
    # At the end of the page, after everything else.
    assert html.index('rel="next"') > html.index('id="unlocks-heading"')


def test_a_sections_last_item_leads_to_the_next_sections_first(client, interleaved):
    html = client.get(interleaved["python"].get_absolute_url()).content.decode()

    assert pager(html)["next"] == ("/roadmaps/mixed/tokens/", "Tokens")


def test_the_first_item_has_no_previous_and_the_last_no_next(client, interleaved):
    first = client.get(interleaved["algebra"].get_absolute_url()).content.decode()
    last = client.get(interleaved["attention"].get_absolute_url()).content.decode()

    assert set(pager(first)) == {"next"} and 'rel="prev"' not in first
    assert set(pager(last)) == {"prev"} and 'rel="next"' not in last  # the archived item is not


def test_an_item_alone_in_its_roadmap_has_no_pager(client, db):
    item = ItemFactory(section=SectionFactory(roadmap=RoadmapFactory(slug="solo")))

    html = client.get(item.get_absolute_url()).content.decode()

    assert "item-pager" not in html


def test_a_new_item_joins_the_order_once_content_changes(
    client, interleaved, django_capture_on_commit_callbacks
):
    client.get(interleaved["attention"].get_absolute_url())  # the order is cached now
    with django_capture_on_commit_callbacks(execute=True):  # content changes once it commits
        ItemFactory(section=interleaved["attention"].section, slug="decoding", order=9)

    html = client.get(interleaved["attention"].get_absolute_url()).content.decode()

    assert pager(html)["next"][0] == "/roadmaps/mixed/decoding/"


# --- Resource labels that repeat the item's title ---------------------------------------------


@pytest.mark.parametrize(
    ("label", "item_title", "shown"),
    [
        ("AI Ethics", "AI Ethics", "plato.stanford.edu"),
        ("ai ethics.", "AI  Ethics", "plato.stanford.edu"),  # case, spacing, a full stop
        ("The Ethics of AI", "AI Ethics", ""),  # a real label stays
        ("AI Ethics", "", ""),  # no item: a section's resource
    ],
)
def test_a_label_repeating_the_item_title_gives_way_to_the_host(label, item_title, shown):
    url = "https://www.plato.stanford.edu/entries/ethics-ai/"

    assert roadmap_layout.repeated_title_host(label, url, item_title) == shown


def test_an_unlinked_title_is_kept_even_if_it_repeats():
    assert roadmap_layout.repeated_title_host("AI Ethics", "", "AI Ethics") == ""


def test_item_page_and_roadmap_row_show_the_host_not_the_repeated_title(client, db):
    _, items = make_roadmap(2)
    item = items[0]
    ResourceFactory(item=item, title=item.title, url="https://www.youtube.com/watch?v=x")
    ResourceFactory(item=item, title="A real label", url="https://example.org/real")

    for url in (item.get_absolute_url(), reverse("roadmap_detail", args=["llm"])):
        html = client.get(url).content.decode()
        assert re.search(
            r'<a href="https://www.youtube.com/watch\?v=x"[^>]*><span class="resource-host">'
            r"youtube.com</span></a>",
            html,
        ), url
        assert ">A real label</a>" in html


def test_a_section_resource_keeps_its_label(client, db):
    make_roadmap(2)

    html = client.get(reverse("roadmap_detail", args=["llm"])).content.decode()

    assert ">Math README</a>" in html  # the builders' prerequisite-group link
