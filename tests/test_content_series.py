"""The twelve roadmaps as one series (issue 17): they import together, keep no converter
default, share each common topic once with consistent hours and prerequisites, plan a shared
topic once for any two followed roadmaps, and cost the same queries however many there are."""

from __future__ import annotations

import io
import itertools
from datetime import date
from pathlib import Path

import pytest
import yaml
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from tracker import planning
from tracker.models import Item, Roadmap, RoadmapFollow

CONTENT = Path(__file__).resolve().parents[1] / "content"
ROADMAP_FILES = sorted(p for p in CONTENT.glob("*.yaml") if p.name != "topics.yaml")
FIRST_FIVE = ["llm", "generative-ai", "mlops", "ai-safety", "data-science"]


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


ROADMAPS = {path.stem: _load(path) for path in ROADMAP_FILES}
TOPICS = {topic["slug"]: topic for topic in _load(CONTENT / "topics.yaml")["topics"]}


def items_of(roadmap: str) -> list[dict]:
    """The roadmap's items in roadmap order (sections, then items), as the plan reads them."""
    return [item for section in ROADMAPS[roadmap]["sections"] for item in section.get("items", [])]


def ancestors(roadmap: str, slug: str) -> set[str]:
    """Slugs of every item `slug` needs in `roadmap`, directly or through other items."""
    needs = {item["slug"]: item.get("prerequisites", []) for item in items_of(roadmap)}
    found: set[str] = set()
    stack = list(needs[slug])
    while stack:
        other = stack.pop()
        if other not in found:
            found.add(other)
            stack.extend(needs[other])
    return found


def topics_in(roadmap: str) -> set[str]:
    return {item["topic"] for item in items_of(roadmap) if item.get("topic")}


def topics_before(roadmap: str, topic: str) -> set[str]:
    """The shared topics `roadmap` places before `topic`: those of its items' ancestors."""
    by_slug = {item["slug"]: item for item in items_of(roadmap)}
    before = {
        by_slug[other].get("topic")
        for item in items_of(roadmap)
        if item.get("topic") == topic
        for other in ancestors(roadmap, item["slug"])
    }
    return before - {None, topic}


def import_content(*paths: Path) -> str:
    out = io.StringIO()
    call_command("import_roadmap", *map(str, paths), stdout=out, stderr=io.StringIO())
    return out.getvalue()


# ---- the content files ------------------------------------------------------------------------


def test_content_holds_all_twelve_roadmaps():
    assert len(ROADMAPS) == 12
    assert {data["slug"] for data in ROADMAPS.values()} == set(ROADMAPS)


def test_no_item_keeps_a_converter_default():
    for path in ROADMAP_FILES:
        assert "not yet reviewed" not in path.read_text(encoding="utf-8"), path.name
    for roadmap in ROADMAPS:
        for item in items_of(roadmap):
            where = f"{roadmap}/{item['slug']}"
            assert isinstance(item.get("effort_hours"), int) and item["effort_hours"] >= 1, where
            assert (item.get("effort_note") or "").strip(), where


def test_a_shared_topics_items_agree_on_prerequisites_in_every_roadmap_that_has_them():
    """Prerequisites are consistent across a topic's roadmaps, by two rules:

    1. Direct needs agree. When an item of topic T in roadmap A lists a prerequisite of topic P,
       every other roadmap B that contains both T and P places P before T: P is the topic of
       an ancestor (a prerequisite, directly or through other items) of one of B's T items.
       Ancestors, not direct prerequisites, because each file lists only direct needs, so the
       same need can sit one step further away in another roadmap.
    2. No two roadmaps order two topics oppositely (P before T in A, T before P in B): the plan
       keeps one item per topic waiting for all of its twins' prerequisites, so that would be
       a cycle it could not honour.

    Differences among prerequisites that have no topic, or whose topic the other roadmap does
    not contain, are each roadmap's own path (RLHF follows instruction tuning in LLM and model
    alignment in AI Safety; neither roadmap has the other's, so they do not disagree).
    """
    by_topic = {t: [r for r in ROADMAPS if t in topics_in(r)] for t in TOPICS}
    disagreements = []
    for roadmap in ROADMAPS:
        by_slug = {item["slug"]: item for item in items_of(roadmap)}
        for item in items_of(roadmap):
            topic = item.get("topic")
            needed = {by_slug[p].get("topic") for p in item.get("prerequisites", [])}
            for need, other in itertools.product(needed - {None, topic}, by_topic.get(topic, [])):
                shared = other != roadmap and need in topics_in(other)
                if shared and need not in topics_before(other, topic):
                    disagreements.append(f"{roadmap}/{item['slug']} needs {need}; {other} not")
    for topic, roadmaps in by_topic.items():
        for first, second in itertools.permutations(roadmaps, 2):
            for need in topics_before(first, topic) & topics_in(second):
                if topic in topics_before(second, need):
                    disagreements.append(f"{first}: {need} before {topic}; {second}: after")

    assert disagreements == []


def test_a_shared_topics_items_agree_on_hours_or_the_reason_names_the_difference():
    for slug, topic in TOPICS.items():
        hours = {
            item["effort_hours"]
            for roadmap in ROADMAPS
            for item in items_of(roadmap)
            if item.get("topic") == slug
        }
        missing = [h for h in sorted(hours) if len(hours) > 1 and f"{h} h" not in topic["reason"]]
        assert not missing, f"{slug}: the reason does not mention {missing} h"


def _plan_items(roadmaps: tuple[str, ...]) -> list[planning.PlanItem]:
    """Plain plan items for following `roadmaps` in that order, as plan_items builds them."""
    ids = {(r, item["slug"]): n for n, (r, item) in enumerate(_all_items(), start=1)}
    return [
        planning.PlanItem(
            id=ids[(roadmap, item["slug"])],
            title=f"{roadmap}/{item['slug']}",
            hours=item["effort_hours"],
            prerequisites=tuple(ids[(roadmap, p)] for p in item.get("prerequisites", [])),
            topic=item.get("topic", ""),
        )
        for roadmap in roadmaps
        for item in items_of(roadmap)
    ]


def _all_items() -> list[tuple[str, dict]]:
    return [(roadmap, item) for roadmap in ROADMAPS for item in items_of(roadmap)]


PAIRS = list(itertools.combinations(sorted(ROADMAPS), 2))


@pytest.mark.parametrize("pair", PAIRS, ids=["+".join(pair) for pair in PAIRS])
def test_following_any_two_roadmaps_plans_each_shared_topic_once(pair):
    for roadmaps in (pair, pair[::-1]):
        items = _plan_items(roadmaps)
        kept = planning.one_per_topic(items)
        plan = planning.make_plan(kept, weekly_hours=10, today=date(2026, 12, 1))

        # An item split over weeks has several entries: count it once.
        planned = list(dict.fromkeys(e.item_id for week in plan.weeks for e in week.entries))
        topic_of = {item.id: item.topic for item in items}
        shared = {item.topic for item in items if item.topic}
        assert sorted(topic_of[i] for i in planned if topic_of[i]) == sorted(shared), roadmaps
        assert len(planned) == len({item.topic or item.id for item in items}), roadmaps
        for item in kept:  # with the largest estimate of its twins in the two roadmaps
            twins = [i for i in items if item.topic and i.topic == item.topic] or [item]
            assert item.hours == max(twin.hours for twin in twins), (roadmaps, item.title)
        # Every prerequisite (or its kept twin) comes first: the merged graph has no cycle.
        position = {item_id: n for n, item_id in enumerate(planned)}
        for item in kept:
            for need in item.prerequisites:
                assert position[need] < position[item.id], (roadmaps, item.title, need)


# ---- importing ----------------------------------------------------------------------------


def test_all_twelve_import_in_one_transaction_and_a_reimport_has_nothing_to_do(db, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the last step of the import fails")

    # The topics are reconciled after all twelve roadmaps are written: failing there must
    # leave nothing behind.
    monkeypatch.setattr("tracker.services.content.reconcile_topics", fail)
    with pytest.raises(RuntimeError):
        import_content(CONTENT)
    assert Roadmap.objects.count() == 0
    monkeypatch.undo()

    assert "Imported." in import_content(CONTENT)
    assert sorted(Roadmap.objects.values_list("slug", flat=True)) == sorted(ROADMAPS)
    assert Item.objects.count() == len(_all_items())

    assert "nothing to do: content is up to date" in import_content(CONTENT)


# ---- query counts do not grow with the series ---------------------------------------------


def _queries(client, url: str) -> list[str]:
    cache.clear()  # measure the pages' own queries, not a cached copy
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def _follow_all(learner) -> None:
    for position, roadmap in enumerate(Roadmap.objects.order_by("pk")):
        RoadmapFollow.objects.get_or_create(
            learner=learner, roadmap=roadmap, defaults={"position": position}
        )


def test_the_list_and_dashboard_cost_the_same_queries_with_five_or_twelve_roadmaps(
    learner_client, learner, django_assert_num_queries
):
    import_content(*(CONTENT / f"{name}.yaml" for name in FIRST_FIVE))
    _follow_all(learner)
    urls = (reverse("roadmap_list"), reverse("home"))
    with_five = {url: _queries(learner_client, url) for url in urls}

    import_content(CONTENT)
    _follow_all(learner)
    assert Roadmap.objects.count() == 12

    # Measured against five followed roadmaps, not a fixed figure, so that pages changed
    # elsewhere keep the test meaningful. At the time of writing, /roadmaps/: session, user,
    # follows, roadmaps with their item and done counts (4); the dashboard: session, user,
    # follows, items, prerequisites, progress, event history, recent activity, week plans,
    # progress for the plan (10). None of them is per roadmap or per item.
    for url, queries in with_five.items():
        cache.clear()
        with django_assert_num_queries(len(queries)):
            html = learner_client.get(url).content.decode()
        for roadmap in ROADMAPS.values():
            assert escape(roadmap["title"]) in html, (url, roadmap["slug"])
