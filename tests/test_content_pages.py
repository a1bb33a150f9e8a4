"""The pages of all twelve roadmaps (issue 17): each answers for visitors and learners and shows
its roadmap, and an item's "Also in" names every roadmap that shares its topic."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape

from tracker.models import Item, Resource, Roadmap, Section

CONTENT = Path(__file__).resolve().parents[1] / "content"
ROADMAP_FILES = sorted(p for p in CONTENT.glob("*.yaml") if p.name != "topics.yaml")


@pytest.fixture(scope="module")
def twelve(django_db_setup, django_db_blocker):
    """All twelve roadmaps, imported once for the module (an import takes seconds)."""
    with django_db_blocker.unblock():
        call_command("import_roadmap", str(CONTENT), stdout=io.StringIO(), stderr=io.StringIO())
    yield
    with django_db_blocker.unblock():
        # Children first: sections and items protect their rows from a cascade.
        Resource.objects.all().delete()
        Item.objects.all().delete()
        Section.objects.all().delete()
        Roadmap.objects.all().delete()


def _shows(response, text: str) -> bool:
    return response.status_code == 200 and escape(text) in response.content.decode()


@pytest.mark.parametrize("path", ROADMAP_FILES, ids=[p.stem for p in ROADMAP_FILES])
def test_every_roadmaps_pages_answer_and_show_its_title(twelve, client, learner, path):
    roadmap = Roadmap.objects.get(slug=path.stem)
    item = Item.objects.filter(roadmap=roadmap).order_by("section__order", "order").first()
    pages = [roadmap.get_absolute_url(), item.get_absolute_url(), reverse("roadmap_list")]

    assert [url for url in pages if not _shows(client.get(url), roadmap.title)] == []
    assert _shows(client.get(item.get_absolute_url()), item.title)
    client.force_login(learner)
    assert [url for url in pages if not _shows(client.get(url), roadmap.title)] == []
    assert _shows(client.get(item.get_absolute_url()), item.title)


def test_also_in_lists_every_roadmap_that_shares_the_topic(twelve, client, db):
    sharing = sorted(
        path.stem
        for path in ROADMAP_FILES
        if path.stem != "llm" and "topic: python\n" in path.read_text(encoding="utf-8")
    )
    assert len(sharing) >= 10  # Python is a prerequisite of nearly every roadmap

    html = client.get(reverse("item_detail", args=["llm", "python"])).content.decode()

    also_in = html[html.index('id="twins-heading"') : html.index("</aside>")]
    assert sorted(set(re.findall(r'href="/roadmaps/([\w-]+)/"', also_in))) == sharing
