"""Shared topics (issue 13, point 2): an item declared `topic: x` in several places is one
piece of progress: one status, one note, planned once, counted once, shown once to mentors."""

from __future__ import annotations

import io
import json
import re
import threading
from datetime import date
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from tests.builders import concurrent_starts, pressed_status
from tests.factories import (
    ItemFactory,
    ReviewCardFactory,
    ReviewLogFactory,
    RoadmapFactory,
    SectionFactory,
    UserFactory,
)
from tracker import page_cache, planning
from tracker.content_io import export_data
from tracker.models import (
    Cohort,
    Item,
    Membership,
    Progress,
    ProgressEvent,
    ReviewCard,
    Roadmap,
    RoadmapFollow,
    Status,
)
from tracker.selectors.cohorts import cohort_items
from tracker.selectors.plans import load_plan_inputs, plan_items
from tracker.selectors.progress import load_dashboard
from tracker.services.follows import follow_roadmap
from tracker.services.progress import save_note, set_status

CONTENT = Path(__file__).resolve().parents[1] / "content"


def import_content(*names: str) -> str:
    out = io.StringIO()
    paths = [str(CONTENT / f"{name}.yaml") for name in names]
    call_command("import_roadmap", *paths, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def item(roadmap: str, slug: str) -> Item:
    return Item.objects.select_related("roadmap").get(roadmap__slug=roadmap, slug=slug)


def follow(learner, *slugs: str) -> None:
    for position, slug in enumerate(slugs):
        RoadmapFollow.objects.create(
            learner=learner, roadmap=Roadmap.objects.get(slug=slug), position=position
        )


@pytest.fixture
def llm_and_data_science(db):
    import_content("llm", "data-science")


# ---- the plan ---------------------------------------------------------------------------------


def test_python_skipped_on_llm_is_not_planned_again_in_data_science(learner, llm_and_data_science):
    follow(learner, "llm", "data-science")
    set_status(learner=learner, item=item("llm", "python"), status=Status.SKIPPED)

    planned = {pi.id for pi in plan_items(load_plan_inputs(learner), {}) if pi.remaining_hours}

    assert item("llm", "python").pk not in planned
    assert item("data-science", "python").pk not in planned  # the 12 h of the bug report
    assert item("data-science", "numpy").pk in planned  # it depended on Python: still planned


def test_a_shared_topic_is_planned_once_at_the_first_followed_roadmap_with_the_largest_estimate(
    learner, llm_and_data_science
):
    follow(learner, "data-science", "llm")

    plan = plan_items(load_plan_inputs(learner), {})

    pythons = [pi for pi in plan if pi.topic == "python"]
    assert [(pi.id, pi.hours) for pi in pythons] == [(item("data-science", "python").pk, 20)]
    rlhf = [pi for pi in plan if pi.topic == "rlhf"]
    assert [(pi.id, pi.hours) for pi in rlhf] == [(item("llm", "rlhf").pk, 12)]


def test_planning_one_per_topic_redirects_prerequisites_to_the_kept_twin():
    items = [
        planning.PlanItem(id=1, title="Python", hours=12, topic="python"),
        planning.PlanItem(id=2, title="NumPy", hours=4, prerequisites=(1,)),
        planning.PlanItem(id=3, title="Python", hours=20, topic="python", prerequisites=(9,)),
        planning.PlanItem(id=4, title="PyTorch", hours=15, prerequisites=(3,)),
    ]

    kept = planning.one_per_topic(items)

    assert [(pi.id, pi.hours, pi.prerequisites) for pi in kept] == [
        (1, 20, (9,)),  # the largest estimate, waiting for every twin's prerequisites
        (2, 4, (1,)),
        (4, 15, (1,)),  # its prerequisite was the left-out twin
    ]
    plan = planning.make_plan(kept, weekly_hours=10, today=date(2026, 12, 1))
    assert plan.total_hours == 39


# ---- one status, one note, everywhere --------------------------------------------------------


def test_a_status_set_on_one_roadmap_shows_on_the_other_roadmaps_page_item_page_and_list(
    learner_client, learner, llm_and_data_science, django_capture_on_commit_callbacks
):
    llm_python, ds_python = item("llm", "python"), item("data-science", "python")
    learner_client.get(ds_python.roadmap.get_absolute_url())  # cached pages must not go stale
    learner_client.get(ds_python.get_absolute_url())
    learner_client.get(reverse("roadmap_list"))

    url = reverse("set_item_status", args=["llm", "python"])
    with django_capture_on_commit_callbacks(execute=True):  # pages change once it commits
        learner_client.post(url, {"status": "done", "next": llm_python.get_absolute_url()})

    roadmap_page = learner_client.get(ds_python.roadmap.get_absolute_url()).content.decode()
    assert pressed_status(roadmap_page, ds_python) == "done"
    item_page = learner_client.get(ds_python.get_absolute_url()).content.decode()
    assert pressed_status(item_page, ds_python) == "done"
    listing = learner_client.get(reverse("roadmap_list")).content.decode()
    data_science = listing[listing.index("Data Science") :]
    assert re.search(r">1 of \d+ done", data_science)
    assert Progress.objects.get(learner=learner, item=ds_python).completed_at is not None


def test_a_note_saved_on_one_roadmap_shows_on_the_others_item_page(
    learner_client, learner, llm_and_data_science
):
    ds_python = item("data-science", "python")
    learner_client.get(ds_python.get_absolute_url())

    url = reverse("save_item_note", args=["llm", "python"])
    learner_client.post(url, {"note": "Knew it from work."})

    assert "Knew it from work." in learner_client.get(ds_python.get_absolute_url()).content.decode()


@pytest.mark.needs_postgres  # the one-statement click; SQLite takes the ORM path
def test_a_status_change_on_a_twin_is_one_event_and_a_bounded_number_of_queries(
    learner, llm_and_data_science, django_assert_num_queries
):
    llm_python = item("llm", "python")
    follow_roadmap(learner=learner, roadmap=llm_python.roadmap)
    # The statement finds the rows missing and makes them (it reads the twins and whether the
    # roadmap is followed), then runs again: lock the rows in item order, update them all,
    # record the event.
    with django_assert_num_queries(2):
        set_status(learner=learner, item=llm_python, status=Status.IN_PROGRESS)

    statuses = Progress.objects.filter(learner=learner, item__topic="python")
    assert [row.status for row in statuses] == [Status.IN_PROGRESS] * 2
    assert ProgressEvent.objects.filter(learner=learner).count() == 1
    # Once the rows exist it is one statement.
    with django_assert_num_queries(1):
        set_status(learner=learner, item=llm_python, status=Status.DONE)


def test_setting_a_twin_back_to_not_started_resets_every_place(learner, llm_and_data_science):
    set_status(learner=learner, item=item("llm", "rlhf"), status=Status.DONE)
    set_status(learner=learner, item=item("llm", "technique-rlhf"), status=Status.NOT_STARTED)
    save_note(learner=learner, item=item("llm", "technique-rlhf"), note="PPO, then DPO")

    rows = Progress.objects.filter(learner=learner, item__topic="rlhf")
    assert {(row.status, row.completed_at, row.note) for row in rows} == {
        (Status.NOT_STARTED, None, "PPO, then DPO")
    }


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
@concurrent_starts
def test_concurrent_clicks_on_two_twins_neither_deadlock_nor_disagree(first_clicks):
    learner = UserFactory()
    twins = [
        ItemFactory(section=SectionFactory(roadmap=RoadmapFactory(slug=slug)), topic="python")
        for slug in ("one", "two")
    ]
    if first_clicks == "followed":
        # No rows, both roadmaps followed: each click tries to make both rows with its change.
        for twin in twins:
            follow_roadmap(learner=learner, roadmap=twin.roadmap)
    elif not first_clicks:
        # The rows exist and both roadmaps are followed: every click is the one statement.
        for twin in twins:
            follow_roadmap(learner=learner, roadmap=twin.roadmap)
            set_status(learner=learner, item=twin, status=Status.IN_PROGRESS)
    clicks = [(twins[n % 2], status) for n, status in enumerate([Status.DONE, Status.SKIPPED] * 4)]
    barrier = threading.Barrier(len(clicks))
    errors = []

    def click(twin, status):
        try:
            barrier.wait()
            set_status(learner=learner, item=twin, status=status)
        except Exception as error:  # a deadlock would surface here
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click, args=args) for args in clicks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    rows = Progress.objects.filter(learner=learner)
    assert rows.count() == 2 and len({row.status for row in rows}) == 1


# ---- counted once, shown once --------------------------------------------------------------


def test_the_dashboard_total_counts_a_shared_topic_once(learner, llm_and_data_science):
    follow(learner, "llm", "data-science")
    set_status(learner=learner, item=item("llm", "python"), status=Status.SKIPPED)

    dashboard = load_dashboard(learner, list(Roadmap.objects.all()), now=timezone.now())

    items = Item.objects.filter(roadmap__slug__in=["llm", "data-science"])
    distinct = {row.topic or row.pk for row in items}
    assert dashboard.counts.total == len(distinct) < items.count()
    assert dashboard.counts.skipped == 1
    # Each roadmap's own bars still count its own copy.
    assert [roadmap.counts.skipped for roadmap in dashboard.roadmaps] == [1, 1]
    titles = [next_item.title for next_item in dashboard.next_up]
    assert len(titles) == len(set(titles))


def test_the_cohort_heatmap_shows_each_topic_once(client, mentor, learner, llm_and_data_science):
    cohort = Cohort.objects.create(name="LLM spring", roadmap=Roadmap.objects.get(slug="llm"))
    cohort.mentors.add(mentor)
    Membership.objects.create(cohort=cohort, learner=learner)
    client.force_login(mentor)

    html = client.get(reverse("cohort_heatmap", args=[cohort.pk])).content.decode()

    headers = re.findall(r'<th scope="col" class="hm-item">.*?<span>(.*?)</span>', html)
    assert headers.count("RLHF") == 1 and headers.count("Instruction Tuning") == 1
    assert len(headers) == len(set(headers))
    assert [i.slug for i in cohort_items(cohort) if i.topic == "rlhf"] == ["rlhf"]
    export = client.get(reverse("cohort_export", args=[cohort.pk])).streaming_content
    csv_header = b"".join(export).decode().splitlines()[0].split(",")
    assert "rlhf" in csv_header and "technique-rlhf" not in csv_header


# ---- content: declared, validated, imported, exported ---------------------------------------


ROADMAP = """\
schema: 1
slug: {slug}
title: {slug}
sections:
  - slug: prerequisites
    kind: prerequisites
    title: Prerequisites
    items:
      - slug: python
{topic}        title: Python
        effort_hours: {hours}
"""
TOPICS = """\
schema: 1
topics:
  - slug: python
    title: Python
    reason: The same general programming prerequisite.
"""


def write_content(directory: Path, *, topic: str | None = "python", topics: str = TOPICS) -> None:
    directory.mkdir(exist_ok=True)
    line = f"        topic: {topic}\n" if topic else ""
    for slug, hours in (("alpha", 12), ("beta", 20)):
        (directory / f"{slug}.yaml").write_text(ROADMAP.format(slug=slug, topic=line, hours=hours))
    (directory / "topics.yaml").write_text(topics)


def write_content_without_topics(directory: Path) -> None:
    write_content(directory, topic=None, topics="schema: 1\ntopics: []\n")


def imported_without_topics(tmp_path: Path, settings) -> Path:
    """Roadmaps alpha and beta, each with a "python" item that shares no topic yet."""
    settings.BASE_DIR = tmp_path
    content = tmp_path / "content"
    write_content_without_topics(content)
    run_import(content)
    return content


def run_import(directory: Path) -> str:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_roadmap", str(directory), stdout=out, stderr=err)
    except CommandError as error:
        return err.getvalue() + str(error)
    return out.getvalue() + err.getvalue()


def test_the_importer_rejects_an_unknown_topic_with_path_and_line(db, tmp_path, settings):
    settings.BASE_DIR = tmp_path
    write_content(tmp_path / "content", topic="pyhton")

    out = run_import(tmp_path / "content")

    assert 'content/alpha.yaml:10: unknown topic "pyhton"' in out
    assert 'content/beta.yaml:10: unknown topic "pyhton"' in out
    assert "nothing was imported" in out and not Item.objects.exists()


@pytest.mark.parametrize(
    ("topics", "problem"),
    [
        (TOPICS.replace("    reason: The same general programming prerequisite.\n", ""),
         "content/topics.yaml:3: topic 'python' is missing required key 'reason'"),
        (TOPICS + "  - slug: rust\n    title: Rust\n    reason: Nobody uses it.\n",
         "content/topics.yaml:6: topic 'rust' is used by no item"),
    ],
    ids=["no reason", "unused"],
)  # fmt: skip
def test_a_topic_needs_a_reason_and_two_items(db, tmp_path, settings, topics, problem):
    settings.BASE_DIR = tmp_path
    write_content(tmp_path / "content", topics=topics)

    out = run_import(tmp_path / "content")

    assert problem in out and not Item.objects.exists()


def test_reimporting_shared_topics_is_a_no_op(learner, llm_and_data_science):
    set_status(learner=learner, item=item("llm", "python"), status=Status.DONE)
    before = list(Progress.objects.order_by("pk").values())

    out = import_content("llm", "data-science")

    assert "nothing to do: content is up to date" in out and "Shared topics" not in out
    assert list(Progress.objects.order_by("pk").values()) == before


def test_joining_a_topic_reconciles_progress_without_deleting_any(
    learner, mentor, tmp_path, settings
):
    content = imported_without_topics(tmp_path, settings)
    alpha, beta = item("alpha", "python"), item("beta", "python")
    set_status(learner=learner, item=alpha, status=Status.DONE)
    save_note(learner=learner, item=alpha, note="Alpha note")
    set_status(learner=learner, item=beta, status=Status.IN_PROGRESS)
    save_note(learner=learner, item=beta, note="Beta note")
    set_status(learner=mentor, item=beta, status=Status.SKIPPED, skip_reason="know it")
    rows_before = Progress.objects.count()

    write_content(content)
    out = run_import(content)

    assert re.search(r"item\s+0\s+2\s+0\s+0\s+0\n", out)  # two updates, no conflict
    assert "Shared topics: 3 learner progress row(s)" in out  # 2 of the learner's, 1 new
    learner_rows = Progress.objects.filter(learner=learner).order_by("item_id")
    assert [(row.status, row.note) for row in learner_rows] == [
        (Status.DONE, "Alpha note\n\nBeta note")
    ] * 2
    mentor_rows = Progress.objects.filter(learner=mentor).order_by("item_id")
    assert [(row.item_id, row.status, row.skip_reason) for row in mentor_rows] == [
        (alpha.pk, Status.SKIPPED, "know it"),
        (beta.pk, Status.SKIPPED, "know it"),
    ]
    assert Progress.objects.count() == rows_before + 1  # the mentor's alpha row is new
    assert "nothing to do" in run_import(content)


def test_joining_a_topic_gives_each_learner_one_review_card_and_keeps_every_rating(
    learner, mentor, tmp_path, settings
):
    content = imported_without_topics(tmp_path, settings)
    alpha, beta = item("alpha", "python"), item("beta", "python")
    # The learner had done both items before they were joined (a card each, with ratings);
    # the mentor only beta.
    for done in (alpha, beta):
        set_status(learner=learner, item=done, status=Status.DONE)
    older = ReviewCardFactory(learner=learner, item=alpha)
    newer = ReviewCardFactory(learner=learner, item=beta)
    ReviewCard.objects.filter(pk=older.pk).update(created_at=timezone.now().replace(year=2025))
    ReviewLogFactory(card=older, rating="good")
    ReviewLogFactory(card=newer, rating="hard")
    ReviewCardFactory(learner=mentor, item=beta)
    assert sorted(ReviewCard.objects.values_list("topic_key", flat=True)) == sorted(
        [f"item:{alpha.pk}", f"item:{beta.pk}", f"item:{beta.pk}"]
    )

    write_content(content)
    run_import(content)

    mine = ReviewCard.objects.filter(learner=learner)
    assert [(card.pk, card.topic_key) for card in mine] == [(older.pk, "python")]
    assert sorted(mine.get().logs.values_list("rating", flat=True)) == ["good", "hard"]
    assert ReviewCard.objects.get(learner=mentor).topic_key == "python"
    # One card, so setting the topic back from done takes it out of the reviews.
    set_status(learner=learner, item=item("beta", "python"), status=Status.IN_PROGRESS)
    assert not ReviewCard.objects.filter(learner=learner).exists()
    assert "nothing to do" in run_import(content)


def test_an_item_leaving_its_topic_takes_its_card_back(learner, tmp_path, settings):
    settings.BASE_DIR = tmp_path
    content = tmp_path / "content"
    write_content(content)
    run_import(content)
    alpha = item("alpha", "python")
    ReviewCardFactory(learner=learner, item=alpha)  # keyed "python"

    write_content_without_topics(content)
    run_import(content)

    assert ReviewCard.objects.get(learner=learner).topic_key == f"item:{alpha.pk}"


def test_export_round_trips_topics(learner_client, learner, llm_and_data_science):
    exported = export_data(Roadmap.objects.get(slug="llm"))
    written = yaml.safe_load((CONTENT / "llm.yaml").read_text(encoding="utf-8"))

    assert exported == written  # `topic:` included, in the file's own place
    set_status(learner=learner, item=item("llm", "python"), status=Status.DONE)
    data = json.loads(learner_client.get(reverse("export_json")).content)
    assert {row["topic"] for row in data["progress"] if row["item"] == "python"} == {"python"}


# ---- the declarations themselves --------------------------------------------------------------


def _roadmap_items() -> dict[str, list[tuple[str, dict]]]:
    """Topic slug -> (roadmap slug, item) for every item of content/*.yaml with a topic."""
    found: dict[str, list[tuple[str, dict]]] = {}
    for path in sorted(CONTENT.glob("*.yaml")):
        if path.name == "topics.yaml":
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for section in data["sections"]:
            for entry in section.get("items") or []:
                if "topic" in entry:
                    found.setdefault(entry["topic"], []).append((data["slug"], entry))
    return found


SHARED_TOPICS = {
    "python": [
        "ai",
        "ai-safety",
        "computer-vision",
        "data-science",
        "deep-learning",
        "generative-ai",
        "llm",
        "ml",
        "mlops",
        "nlp",
        "rag",
    ],
    "linear-algebra": ["ai", "computer-vision", "deep-learning", "generative-ai", "llm", "nlp"],
    "pytorch-basics": ["computer-vision", "deep-learning", "generative-ai", "llm", "nlp"],
    "transformer-architecture": [
        "deep-learning",
        "deep-learning",
        "generative-ai",
        "llm",
        "llm",
        "nlp",
        "nlp",
    ],
    "instruction-tuning": ["llm", "llm"],
    "rlhf": ["ai", "ai-safety", "llm", "llm"],
    "retrieval-augmented-generation": ["ai", "llm", "llm", "nlp", "nlp", "rag"],
    "ai-ethics": ["ai-safety", "ai-safety"],
    "bias-fairness": ["ai-safety", "ai-safety"],
    "time-series-analysis": ["data-science", "data-science"],
    "autoencoders": ["deep-learning", "generative-ai", "generative-ai"],
    "variational-autoencoders": ["generative-ai", "generative-ai"],
    "gans": ["deep-learning", "generative-ai", "generative-ai"],
    "diffusion-models": ["generative-ai", "generative-ai"],
    "probability-statistics": ["ai", "computer-vision", "deep-learning", "llm", "nlp"],
    "calculus": ["ai", "computer-vision", "deep-learning", "generative-ai"],
    "numpy-pandas": ["ai-safety", "deep-learning", "nlp"],
    "regression-classification": ["computer-vision", "deep-learning", "nlp"],
    "scikit-learn": ["deep-learning", "nlp"],
    "neural-networks-by-hand": ["computer-vision", "nlp"],
    "backpropagation-by-hand": ["computer-vision", "nlp"],
    "backpropagation": ["deep-learning", "generative-ai"],
    "convolutional-neural-networks": ["computer-vision", "deep-learning", "deep-learning"],
    "transfer-learning": ["computer-vision", "deep-learning"],
    "distributed-training": ["deep-learning", "mlops"],
    "tokenization": ["llm", "rag"],
    "subword-tokenization": ["llm", "nlp"],
    "embeddings": ["llm", "nlp", "rag"],
    "pretraining-fine-tuning": ["llm", "nlp"],
    "document-qa-system": ["llm", "rag"],
    "llm-fundamentals": ["ai", "ai-safety"],
    "clip": ["computer-vision", "generative-ai"],
    "explainability": ["ai-safety", "ml"],
    "mechanistic-interpretability": ["ai-safety", "research-scientist"],
    "existential-risk": ["ai-safety", "research-scientist", "research-scientist"],
    "feature-engineering-course": ["data-science", "ml"],
    "git": ["ai", "mlops"],
    "rest-apis": ["ai", "mlops"],
    "multi-layer-perceptron": ["deep-learning", "deep-learning"],
    "recurrent-neural-networks": ["deep-learning", "deep-learning"],
    "lstm-gru": ["deep-learning", "deep-learning"],
    "hybrid-search": ["rag", "rag"],
    "re-ranking": ["rag", "rag"],
    "agentic-rag": ["rag", "rag"],
    "vision-transformers": ["computer-vision", "computer-vision"],
    "optimization-theory": ["research-scientist", "research-scientist"],
    "representation-learning": ["research-scientist", "research-scientist"],
}


def test_the_shared_topics_are_declared_once_each_with_a_reason_naming_any_differing_hours():
    declared = yaml.safe_load((CONTENT / "topics.yaml").read_text(encoding="utf-8"))["topics"]
    used = _roadmap_items()

    assert {slug: sorted(r for r, _ in places) for slug, places in used.items()} == SHARED_TOPICS
    assert [topic["slug"] for topic in declared] == list(SHARED_TOPICS)
    for topic in declared:
        hours = {entry["effort_hours"] for _, entry in used[topic["slug"]]}
        # Different estimates are a judgement: the reason says which the plan uses.
        missing = [h for h in hours if len(hours) > 1 and f"{h} h" not in topic["reason"]]
        assert not missing, f"{topic['slug']}: the reason does not mention {missing} h"


def test_every_content_file_imports_together_with_its_topics(db):
    out = io.StringIO()
    call_command("import_roadmap", stdout=out, stderr=io.StringIO())

    assert "Imported." in out.getvalue()
    shared = Item.objects.exclude(topic="").values_list("topic", flat=True).distinct()
    assert set(shared) == set(SHARED_TOPICS)


@pytest.mark.needs_postgres  # the one-statement click; SQLite takes the ORM path
def test_a_factory_item_without_a_topic_has_no_twins_and_costs_no_extra_queries(
    learner, django_assert_num_queries
):
    section = SectionFactory(roadmap=RoadmapFactory(slug="solo"))
    lonely = ItemFactory(section=section)
    follow_roadmap(learner=learner, roadmap=section.roadmap)

    # The statement (no row yet: it makes it), the statement again (with the concept's
    # review card): nothing more for twins.
    with django_assert_num_queries(2):
        set_status(learner=learner, item=lonely, status=Status.DONE)


def test_a_click_on_the_roadmap_page_updates_the_twin_row_on_the_same_page(
    learner_client, learner, llm_and_data_science
):
    follow(learner, "llm")
    concept, technique = item("llm", "rlhf"), item("llm", "technique-rlhf")
    url = reverse("set_item_status", args=["llm", "rlhf"])

    response = learner_client.post(
        url, {"status": "done", "next": "/roadmaps/llm/"}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert pressed_status(html, concept) == "done"  # the clicked row
    twin_row = re.search(
        rf"<template>\s*<(tr|li) id=\"item-{technique.pk}\" hx-swap-oob=\"true\"", html
    )
    assert twin_row, "the twin's row on the same page is swapped out of band"
    assert pressed_status(html, technique) == "done"


def test_a_click_with_a_twin_on_the_page_reads_both_rows_from_one_content_version(
    learner_client, learner, llm_and_data_science, monkeypatch
):
    # One read of the shared cache's content version a click, not one a row: both rows come
    # from the same content, and the twin costs no extra round trip to Redis.
    follow(learner, "llm")
    reads = []
    content_version = page_cache.content_version
    monkeypatch.setattr(page_cache, "content_version", lambda: reads.append(1) or content_version())
    url = reverse("set_item_status", args=["llm", "rlhf"])

    response = learner_client.post(
        url, {"status": "done", "next": "/roadmaps/llm/"}, headers={"HX-Request": "true"}
    )

    assert pressed_status(response.content.decode(), item("llm", "technique-rlhf")) == "done"
    assert len(reads) == 1


def test_skipping_a_twin_with_a_reason_on_the_roadmap_page_shows_both_rows_skipped(
    learner_client, learner, llm_and_data_science
):
    # The clicked row with a reason is rendered for the learner; that once dropped the click's
    # progress, and the twin's row then failed with a server error.
    follow(learner, "llm")
    concept, technique = item("llm", "rlhf"), item("llm", "technique-rlhf")
    url = reverse("set_item_status", args=["llm", "rlhf"])
    form = {"status": "skipped", "skip_reason": "seen it", "next": "/roadmaps/llm/"}

    response = learner_client.post(url, form, headers={"HX-Request": "true"})

    assert response.status_code == 200
    html = response.content.decode()
    assert pressed_status(html, concept) == pressed_status(html, technique) == "skipped"


def test_a_twin_archived_while_its_topic_changed_status_agrees_again_once_restored(
    learner, admin_client
):
    # Found by the invariant test (test_one_truth_invariants): a status set while one twin was
    # archived skipped that twin's row, so restoring it showed two statuses for one topic.
    llm = ItemFactory(section=SectionFactory(roadmap=RoadmapFactory(slug="llm")), topic="rlhf")
    ds = ItemFactory(section=SectionFactory(roadmap=RoadmapFactory(slug="ds")), topic="rlhf")
    changelist = reverse("admin:tracker_item_changelist")
    admin_client.post(changelist, {"action": "archive", "_selected_action": [llm.pk]})

    set_status(learner=learner, item=ds, status=Status.DONE)
    save_note(learner=learner, item=ds, note="PPO, then DPO")
    admin_client.post(changelist, {"action": "unarchive", "_selected_action": [llm.pk]})

    rows = Progress.objects.filter(learner=learner, item__topic="rlhf")
    assert {(row.item_id, row.status, row.note) for row in rows} == {
        (llm.pk, Status.DONE, "PPO, then DPO"),
        (ds.pk, Status.DONE, "PPO, then DPO"),
    }
