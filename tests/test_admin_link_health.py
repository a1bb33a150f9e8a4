"""The admin's link health: counts by state, who uses a link, columns that fit, and every
stylesheet requested from /static/ (never relative to the page)."""

import re

import pytest
from django.urls import reverse

from tests.factories import ItemFactory, ResourceFactory, SectionFactory
from tracker.models import Link, LinkState

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:tracker_link_changelist"


@pytest.fixture
def links(db):
    """Three links in three states, one ignored; one used by two items and a section."""
    guide = "https://example.org/guide"
    item = ItemFactory(title="Attention", slug="attention")
    ResourceFactory(item=item, roadmap=item.roadmap, url=guide, title="The guide")
    other = ItemFactory(section=item.section, title="Transformers", slug="transformers")
    ResourceFactory(item=other, roadmap=other.roadmap, url=guide + "#part-2", title="Part two")
    section = SectionFactory(roadmap=item.roadmap, title="Further reading")
    ResourceFactory(
        item=None, section=section, roadmap=item.roadmap, url=guide, title="Guide again"
    )
    ResourceFactory(url="https://example.org/elsewhere", title="Unrelated")
    Link.objects.create(url=guide, host="example.org", state=LinkState.BROKEN)
    Link.objects.create(url="https://example.org/ok", host="example.org", state=LinkState.OK)
    Link.objects.create(
        url="https://example.org/" + "long-path/" * 20,
        host="example.org",
        state=LinkState.OK,
        ignored=True,
    )
    return {"item": item, "other": other, "guide": Link.objects.get(url=guide)}


def test_the_list_is_called_link_health_in_the_admin(admin_client, links):
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert ">Link health</a>" in index
    assert ">Links</a>" not in index
    page = admin_client.get(reverse(CHANGELIST)).content.decode()
    assert "3 links" in page and "link health" not in page.split('class="paginator"')[1]


def test_counts_by_state_head_the_list_and_each_filters_it(admin_client, links):
    page = admin_client.get(reverse(CHANGELIST)).content.decode()
    counts = page.split('class="link-health-counts"')[1].split("</nav>")[0]
    assert re.search(r"Broken <strong>1</strong>", counts)
    assert re.search(r"OK <strong>2</strong>", counts)
    assert re.search(r"Unverified <strong>0</strong>", counts)
    assert re.search(r"Ignored <strong>1</strong>", counts)

    broken = admin_client.get(reverse(CHANGELIST), {"state__exact": "broken"}).content.decode()
    assert "example.org/guide" in broken and "example.org/ok" not in broken
    assert 'href="/admin/tracker/link/?state__exact=broken" aria-current="page"' in broken


def test_long_urls_are_cut_in_the_list_with_the_whole_url_in_the_title(admin_client, links):
    long_url = "https://example.org/" + "long-path/" * 20
    page = admin_client.get(reverse(CHANGELIST)).content.decode()
    assert f'<span class="link-url" title="{long_url}">' in page
    # The HTTP status rides in "latest check": five columns beside the checkbox.
    assert len(re.findall(r'<th scope="col" class="[^"]*column-', page)) == 5
    assert '/static/css/admin-links.css"' in page


def test_a_link_page_says_which_items_and_sections_use_it(admin_client, links):
    item, other = links["item"], links["other"]
    page = admin_client.get(
        reverse("admin:tracker_link_change", args=[links["guide"].pk])
    ).content.decode()
    used_by = page.split('class="link-used-by"')[1].split("</ul>")[0]
    # The fragment of "#part-2" is dropped when links are matched, as by the link check.
    assert used_by.count("<li>") == 3
    for used in (item, other):
        assert reverse("admin:tracker_item_change", args=[used.pk]) in used_by
        assert f'href="{used.get_absolute_url()}"' in used_by
    assert "Further reading" in used_by and "“Guide again”" in used_by
    assert "Unrelated" not in used_by


def test_a_link_nothing_uses_says_so(admin_client, links):
    unused = Link.objects.get(url="https://example.org/ok")
    page = admin_client.get(reverse("admin:tracker_link_change", args=[unused.pk])).content
    assert "No active content uses this link." in page.decode()


def _stylesheets(html: str) -> list[str]:
    links = re.findall(r'<link[^>]*rel="stylesheet"[^>]*>', html)
    return [re.search(r'href="([^"]*)"', tag).group(1) for tag in links]


@pytest.mark.parametrize("model", ["item", "link", "resource", "section", "roadmap"])
def test_admin_change_pages_ask_for_every_stylesheet_by_an_absolute_path(
    admin_client, links, model
):
    obj = {"item": links["item"], "link": links["guide"]}.get(model)
    if obj is None:
        obj = {
            "resource": links["item"].resources.first(),
            "section": links["item"].section,
            "roadmap": links["item"].roadmap,
        }[model]
    html = admin_client.get(reverse(f"admin:tracker_{model}_change", args=[obj.pk])).content
    sheets = _stylesheets(html.decode())
    assert sheets and all(href.startswith("/static/") for href in sheets), sheets
    assert "@import" not in html.decode()  # no inline style pulling in a relative file
