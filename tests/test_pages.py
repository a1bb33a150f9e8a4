"""The public roadmap pages: /roadmaps/, /roadmaps/<slug>/ and /roadmaps/<slug>/<item>/."""

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tests.builders import make_roadmap, row_of
from tests.factories import (
    ItemFactory,
    ProgressFactory,
    ResourceFactory,
    RoadmapFactory,
)
from tests.html_forms import form_data
from tracker import roadmap_layout
from tracker.content_io.schema import source_pointer
from tracker.markdown import render_markdown
from tracker.models import Item, Resource, Status

CONTENT = Path(__file__).resolve().parents[1] / "content"


def seed_path() -> Path:
    shared = os.environ.get("ROADMAP_SHARED_DIR")
    if shared:
        return Path(shared) / "seed/llm-roadmap.md"
    return Path(__file__).resolve().parents[2] / "shared/seed/llm-roadmap.md"


class LinkParser(HTMLParser):
    """Collects every <a> (href, rel), every element id and every <img>."""

    def __init__(self):
        super().__init__()
        self.links: list[dict] = []
        self.ids: list[str] = []
        self.images: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "a":
            self.links.append(attrs)
        if tag == "img":
            self.images.append(attrs)


def parse(html: str) -> LinkParser:
    parser = LinkParser()
    parser.feed(html)
    return parser


def external_links_without_noopener(html: str) -> list[str]:
    """External links that could reach window.opener: only a link that opens a new browsing
    context (a target) gets an opener, and noreferrer implies noopener. What a link sends as
    Referer is the site's Referrer-Policy (same-origin: nothing to other sites), which
    tests/test_deploy.py pins; so resource links carry no rel and the pages stay light."""
    return [
        link.get("href", "")
        for link in parse(html).links
        if urlsplit(link.get("href", "")).scheme in {"http", "https"}
        and link.get("target")
        and not {"noopener", "noreferrer"} & set((link.get("rel") or "").split())
    ]


def main_of(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


# --- The list --------------------------------------------------------------------------------


def test_roadmap_list_shows_active_roadmaps_with_item_count_and_hours(client, db):
    roadmap, items = make_roadmap(3)
    archived = RoadmapFactory(slug="old", title="Old Roadmap", archived_at=timezone.now())
    ItemFactory(section__roadmap=roadmap, effort_hours=100, archived_at=timezone.now())

    response = client.get(reverse("roadmap_list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert roadmap.get_absolute_url() in html
    assert archived.title not in html
    assert "3 items" in html
    assert f"about {sum(item.effort_hours for item in items)} hours" in html


# --- The roadmap page ------------------------------------------------------------------------


def test_outsider_sees_every_section_item_and_link_of_a_roadmap(client, db):
    roadmap, items = make_roadmap(8)

    response = client.get(reverse("roadmap_detail", args=["llm"]))

    assert response.status_code == 200
    html = response.content.decode()
    parsed = parse(html)
    for item in items:
        assert f"item-{item.id}" in parsed.ids
        assert item.get_absolute_url() in html
    hrefs = {link.get("href") for link in parsed.links}
    for resource in Resource.objects.exclude(url=""):
        assert resource.url in hrefs, resource
    assert "<cite>An Unlinked Book</cite>" in html
    # Markdown is rendered, the table of contents links to every section.
    assert "<strong>tokens</strong>" in html
    for section in roadmap.sections.all():
        assert f'href="#{section.slug}"' in html
        assert section.slug in parsed.ids
    assert "LLM Engineer" in html
    assert "Highly Recommended Resources" in html
    assert "<em>Read both.</em>" in html
    assert all(image.get("alt") for image in parsed.images)
    assert external_links_without_noopener(html) == []


def test_resource_table_follows_the_documents_headers_and_rows(client, db):
    make_roadmap(0)

    html = client.get(reverse("roadmap_detail", args=["llm"])).content.decode()

    table = html[html.index('class="resource-table"') :]
    table = table[: table.index("</table>")]
    headers = re.findall(r'<th scope="col">([^<]*)</th>', table)
    assert headers == ["S.No", "Best Book", "Best YouTube Playlist", "Level"]
    assert len(re.findall(r"<tr>", table)) == 3  # header + two rows
    assert "<td>Beginner</td>" in table


def test_techniques_are_table_rows_linking_to_their_item_pages(client, db):
    _, items = make_roadmap(4)
    technique = next(item for item in items if item.kind == Item.Kind.TECHNIQUE)

    html = client.get(reverse("roadmap_detail", args=["llm"])).content.decode()

    assert f'<tr id="item-{technique.id}"' in html
    row = row_of(html, technique)
    assert technique.get_absolute_url() in row
    for resource in technique.resources.all():
        assert resource.url in row


def test_a_row_rendered_on_its_own_keeps_its_shape(db):
    # Status changes re-render one row (htmx); it must come back as the same element.
    _, items = make_roadmap(4)
    technique = Item.objects.get(kind=Item.Kind.TECHNIQUE)
    topic = Item.objects.get(pk=items[0].pk)

    technique_row = render_to_string("tracker/partials/_item_row.html", {"item": technique})
    topic_row = render_to_string("tracker/partials/_item_row.html", {"item": topic})

    assert technique_row.strip().startswith(f'<tr id="item-{technique.id}"')
    cells = re.findall(r"<td>(.*?)</td>", technique_row, re.S)
    assert technique.resources.get(kind="video").url in cells[1]
    assert technique.resources.get(kind="article").url in cells[2]
    assert topic_row.strip().startswith(f'<li id="item-{topic.id}"')


def test_archived_items_and_resources_are_hidden_from_the_roadmap_page(client, db):
    _, items = make_roadmap(4)
    hidden = items[1]
    Item.objects.filter(pk=hidden.pk).update(archived_at=timezone.now())
    gone = items[0].resources.first()
    Resource.objects.filter(pk=gone.pk).update(archived_at=timezone.now())

    html = client.get(reverse("roadmap_detail", args=["llm"])).content.decode()

    assert f'id="item-{hidden.id}"' not in html
    assert hidden.title not in html
    assert gone.url not in html


def test_unknown_and_archived_roadmaps_are_404(client, db):
    RoadmapFactory(slug="old", archived_at=timezone.now())

    assert client.get(reverse("roadmap_detail", args=["nope"])).status_code == 404
    assert client.get(reverse("roadmap_detail", args=["old"])).status_code == 404


def test_learner_gets_404_for_an_unknown_roadmap_too(learner_client):
    assert learner_client.get(reverse("roadmap_detail", args=["nope"])).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        reverse("roadmap_list"),
        reverse("roadmap_detail", args=["llm"]),
        reverse("item_detail", args=["llm", "item"]),
    ],
)
def test_posting_to_a_page_is_405(client, db, url):
    ItemFactory(section__roadmap__slug="llm", slug="item")
    assert client.post(url).status_code == 405


def test_learner_sees_their_own_status_on_each_row_and_nobody_elses(learner_client, learner, db):
    _, items = make_roadmap(4)
    ProgressFactory(learner=learner, item=items[0], status=Status.IN_PROGRESS)
    ProgressFactory(item=items[1], status=Status.DONE)  # another learner's

    response = learner_client.get(reverse("roadmap_detail", args=["llm"]))

    # The page is assembled from cached parts, so the statuses are read from the HTML: the
    # pressed button of each row.
    html = response.content.decode()

    def pressed(item) -> str:
        return re.search(r'value="(\w+)" aria-pressed="true"', row_of(html, item)).group(1)

    assert pressed(items[0]) == Status.IN_PROGRESS
    assert pressed(items[1]) == Status.NOT_STARTED
    # Each row carries its status control (its content belongs to the learners' partial).
    for item in items:
        assert 'class="st is-' in row_of(html, item)


def test_anonymous_page_does_not_show_any_status(client, db):
    _, items = make_roadmap(2)
    ProgressFactory(item=items[0], status=Status.IN_PROGRESS)

    html = client.get(reverse("roadmap_detail", args=["llm"])).content.decode()

    assert "In progress" not in html
    assert 'class="st is-' not in html


# Queries, anonymous, cache miss: roadmap, sections, section resources, items (+roadmap),
# item resources, item prerequisites = 6. Signed in adds the session, the user, the
# learner's progress for the whole page and the progress summary's counts = 10.
# Both add one for the link-health notes of every link on the page (link_health tag).
ANONYMOUS_ROADMAP_QUERIES = 7
SIGNED_IN_ROADMAP_QUERIES = 11


@pytest.mark.parametrize("n_items", [5, 60])
def test_roadmap_page_queries_do_not_grow_with_items(
    client, learner, db, n_items, django_assert_max_num_queries
):
    _, items = make_roadmap(n_items)
    for item in items[::3]:
        ProgressFactory(learner=learner, item=item)
    url = reverse("roadmap_detail", args=["llm"])

    with django_assert_max_num_queries(ANONYMOUS_ROADMAP_QUERIES):
        assert client.get(url).status_code == 200
    client.force_login(learner)
    with django_assert_max_num_queries(SIGNED_IN_ROADMAP_QUERIES):
        html = client.get(url).content.decode()
    assert html.count('class="st is-') == len(items)


def test_cached_anonymous_page_costs_no_query(client, db, django_assert_num_queries):
    make_roadmap(5)
    url = reverse("roadmap_detail", args=["llm"])
    first = client.get(url).content.decode()

    with django_assert_num_queries(0):
        second = client.get(url).content.decode()

    # Only the CSRF token in <body> differs between two responses.
    assert main_of(first) == main_of(second)
    assert "Item" in main_of(second)


def test_admin_edit_shows_on_the_cached_anonymous_page(
    client, admin_client, db, django_capture_on_commit_callbacks
):
    _, items = make_roadmap(3)
    url = reverse("roadmap_detail", args=["llm"])
    assert items[0].title in client.get(url).content.decode()
    change = reverse("admin:tracker_item_change", args=[items[0].pk])
    data = form_data(admin_client.get(change).content.decode(), "item_form")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(change, {**data, "title": "Renamed In The Admin"})

    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert "Renamed In The Admin" in html
    assert items[0].title not in html


# --- The item page ---------------------------------------------------------------------------


def test_item_page_shows_the_item_its_links_prerequisites_and_dependents(client, db):
    _, items = make_roadmap(6)
    item = items[2]
    item.description = "Read *carefully*."
    item.effort_note = "Two evenings."
    item.note = "optional but useful"
    item.save()
    archived_dependent = ItemFactory(section=item.section, archived_at=timezone.now())
    archived_dependent.prerequisites.add(item)

    response = client.get(item.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert item.title in html
    assert "<em>carefully</em>" in html
    assert "Two evenings." in html
    assert "optional but useful" in html
    assert f"{item.effort_hours} hours" in html
    assert items[1].get_absolute_url() in html  # its prerequisite
    assert items[3].get_absolute_url() in html  # depends on it
    assert archived_dependent.title not in html
    for resource in item.resources.all():
        assert resource.url in html
    assert external_links_without_noopener(html) == []


def test_project_page_shows_skills_and_badge_with_alt_text(client, db):
    _, items = make_roadmap(4)
    project = next(item for item in items if item.kind == Item.Kind.PROJECT)

    html = client.get(project.get_absolute_url()).content.decode()

    assert "Prompting" in html
    assert [image.get("alt") for image in parse(html).images] == ["Beginner level badge"]


def test_unknown_and_archived_items_are_404(client, db):
    _, items = make_roadmap(2)
    Item.objects.filter(pk=items[0].pk).update(archived_at=timezone.now())
    other = RoadmapFactory(slug="other")

    assert client.get(reverse("item_detail", args=["llm", "nope"])).status_code == 404
    assert client.get(items[0].get_absolute_url()).status_code == 404
    # An item is only found under its own roadmap.
    assert client.get(reverse("item_detail", args=[other.slug, items[1].slug])).status_code == 404


def test_items_of_an_archived_roadmap_are_404(client, db):
    roadmap, items = make_roadmap(2)
    roadmap.archived_at = timezone.now()
    roadmap.save()

    assert client.get(items[1].get_absolute_url()).status_code == 404


def test_learner_sees_their_status_on_the_item_page(learner_client, learner, db):
    _, items = make_roadmap(2)
    ProgressFactory(learner=learner, item=items[1], status=Status.SKIPPED)

    html = learner_client.get(items[1].get_absolute_url()).content.decode()

    assert "Skipped" in html


# Item page: item (+roadmap, section), resources, prerequisites, dependents = 4; signed in adds
# session, user and the learner's progress = 7. Both add one for the link-health notes, one for
# the item's twins in other roadmaps (selectors.item_twins; none without a topic) and one for
# the roadmap's page order, cached, behind previous/next (selectors.item_neighbours).
@pytest.mark.parametrize("n_items", [5, 60])
def test_item_page_queries_do_not_grow_with_items(
    client, learner, db, n_items, django_assert_max_num_queries
):
    _, items = make_roadmap(n_items)
    hub = items[1]
    for other in items[2:]:
        other.prerequisites.add(hub)
        hub.prerequisites.add(other) if other.pk % 2 else None
        ResourceFactory(item=hub)

    with django_assert_max_num_queries(6):
        assert client.get(hub.get_absolute_url()).status_code == 200
    client.force_login(learner)
    with django_assert_max_num_queries(9):
        assert client.get(hub.get_absolute_url()).status_code == 200


# --- The real content ------------------------------------------------------------------------


def _importer_available() -> bool:
    from django.core.management import get_commands

    return "import_roadmap" in get_commands()


@pytest.mark.skipif(not seed_path().exists(), reason="shared/seed/llm-roadmap.md not found")
def test_llm_page_contains_every_link_of_the_seed_document(client, db):
    if not _importer_available():
        pytest.skip("the import_roadmap command has not landed yet")
    call_command("import_roadmap", str(CONTENT / "llm.yaml"))
    seed_urls = set(re.findall(r"https?://[^\s)\]>]+", seed_path().read_text(encoding="utf-8")))
    # but its pointer into the roadmaps' own repository (README.md#…), dropped on purpose
    seed_urls = {url for url in seed_urls if not source_pointer("", url)}

    response = client.get(reverse("roadmap_detail", args=["llm"]))

    assert response.status_code == 200
    html = response.content.decode()
    parsed = parse(html)
    # The seed's badge is an image, every other URL a link.
    shown = {link.get("href") for link in parsed.links} | {i.get("src") for i in parsed.images}
    assert sorted(seed_urls - shown) == []
    assert external_links_without_noopener(html) == []
    for item in Item.objects.filter(roadmap__slug="llm"):
        item_page = client.get(item.get_absolute_url())
        assert item_page.status_code == 200
        assert external_links_without_noopener(item_page.content.decode()) == []


# --- Plain functions -------------------------------------------------------------------------


def test_markdown_escapes_raw_html_and_marks_external_links():
    html = render_markdown("<script>alert(1)</script> [out](https://x.org) [in](/roadmaps/)")

    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert '<a href="https://x.org" rel="noreferrer">out</a>' in html
    assert '<a href="/roadmaps/">in</a>' in html


def test_markdown_of_empty_text_is_empty():
    assert render_markdown("") == ""
    assert render_markdown("  \n") == ""


def _resource(kind, row=1, level=""):
    return SimpleNamespace(kind=kind, row=row, level=level, title=kind, url="", note="")


def test_table_columns_follow_headers_that_name_each_kind():
    cells = [_resource("course"), _resource("book")]
    columns = roadmap_layout.table_columns(cells, ["Best Book", "Best University Course"])
    assert [(c.kind, c.label) for c in columns] == [
        ("book", "Best Book"),
        ("course", "Best University Course"),
    ]


def test_table_columns_fall_back_to_kinds_when_headers_do_not_match():
    cells = [_resource("video"), _resource("paper")]
    columns = roadmap_layout.table_columns(cells, ["Best Book", "Best Video"])
    assert [(c.kind, c.label) for c in columns] == [("video", "Video"), ("paper", "Paper")]


def test_resource_table_groups_cells_by_row_and_labels_the_level():
    cells = [_resource("book", 2), _resource("book", 1, "advanced"), _resource("video", 1)]
    table = roadmap_layout.resource_table(
        cells, ["S.No", "Book", "Video", "Level"], default_level="beginner"
    )
    assert [row.number for row in table.rows] == [1, 2]
    assert [len(cell) for cell in table.rows[0].cells] == [1, 1]
    assert [row.level_label for row in table.rows] == ["Advanced", "Beginner"]
    assert (table.number_header, table.level_header) == ("S.No", "Level")
