"""import_roadmap / export_roadmap: validation with line numbers, idempotent transactional
import, archiving instead of deleting, admin-edit conflicts, and the export round trip."""

import io
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import ProgressFactory
from tracker.content_io import (
    build_spec,
    clean_text,
    dump_yaml,
    load_roadmaps,
    load_yaml,
    schema,
    validate_data,
    validate_file,
)
from tracker.content_io.schema import source_pointer
from tracker.management.commands.import_roadmap import Command as ImportCommand
from tracker.models import Item, ProgressEvent, Resource, Roadmap, Section, Status
from tracker.models.content import Level
from tracker.page_cache import content_version
from tracker.services.content import import_roadmaps

ROOT = Path(__file__).resolve().parents[1]
MINI = (Path(__file__).parent / "data/import/mini.yaml").read_text(encoding="utf-8")
LLM_YAML = ROOT / "content/llm.yaml"
SHARED = Path(
    os.environ.get("ROADMAP_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared"
)
SEED = SHARED / "seed/llm-roadmap.md"

# A minimal valid roadmap for the validation cases; the comments are its line numbers.
TINY = """\
schema: 1
slug: tiny
title: Tiny
sections:
  - slug: basics
    kind: level
    level: beginner
    title: Basics
    items:
      - slug: one
        title: One
        effort_hours: 2
      - slug: two
        title: Two
        effort_hours: 3
        prerequisites: [one]
        resources:
          - title: Two explained
            url: https://example.org/two
            kind: article
"""


def run_import(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_roadmap", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failing_import(*args) -> str:
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_roadmap", *[str(a) for a in args], stdout=io.StringIO(), stderr=err)
    assert failure.value.returncode == 1
    assert "nothing was imported" in str(failure.value)
    return err.getvalue()


def export(slug: str, path: Path) -> str:
    call_command("export_roadmap", slug, "-o", str(path), stderr=io.StringIO())
    return path.read_text(encoding="utf-8")


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} should occur once"
    return text.replace(old, new)


def write(directory: Path, text: str, name: str = "mini.yaml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot() -> dict:
    """Everything an import could change, to compare before and after."""
    return {
        model.__name__: sorted(
            model.objects.values_list("pk", "title", "archived_at", "updated_at", "imported_values")
        )
        for model in (Roadmap, Section, Item, Resource)
    } | {"prerequisites": sorted(Item.prerequisites.through.objects.values_list("pk", flat=True))}


def writes(queries) -> list[str]:
    return [
        q["sql"] for q in queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]


@pytest.fixture
def mini(db, tmp_path) -> Path:
    """The mini roadmap, imported once."""
    path = write(tmp_path, MINI)
    run_import(path)
    return path


# --- The real roadmap -------------------------------------------------------------------------


@pytest.mark.skipif(not LLM_YAML.exists(), reason="content/llm.yaml is not written yet")
def test_the_llm_roadmap_imports_every_item_and_every_link_of_the_seed_document(db):
    _, err = run_import(LLM_YAML)

    assert err == ""
    kinds = {
        kind: Item.objects.filter(roadmap__slug="llm", kind=kind).count() for kind in Item.Kind
    }
    assert kinds == {"topic": 9, "concept": 15, "technique": 6, "project": 8}
    seed_urls = set(re.findall(r"https?://[^\s)>\]\"']+", SEED.read_text(encoding="utf-8")))
    # but its pointer into the roadmaps' own repository (README.md#…), dropped on purpose
    seed_urls = {url for url in seed_urls if not source_pointer("", url)}
    assert len(seed_urls) > 30
    stored = set(Resource.objects.values_list("url", flat=True)) | set(
        Item.objects.values_list("badge_url", flat=True)
    )
    assert sorted(seed_urls - stored) == []


@pytest.mark.skipif(not LLM_YAML.exists(), reason="content/llm.yaml is not written yet")
def test_the_llm_roadmap_survives_an_export_round_trip(db, tmp_path):
    run_import(LLM_YAML)
    exported = export("llm", tmp_path / "llm.yaml")

    with CaptureQueriesContext(connection) as queries:
        out, _ = run_import(tmp_path / "llm.yaml")

    assert writes(queries.captured_queries) == []
    assert "nothing to do: content is up to date" in out
    assert "—" in exported  # unicode kept, not escaped


# --- Importing and re-importing ---------------------------------------------------------------


def test_first_import_creates_everything_in_document_order(db, tmp_path):
    out, err = run_import(write(tmp_path, MINI))

    assert err == ""
    assert re.search(r"item\s+5\s+0\s+0\s+0\s+0", out)
    assert re.search(r"resource\s+4\s+0\s+0\s+0\s+0", out)
    roadmap = Roadmap.objects.get(slug="mini")
    assert roadmap.intro == "From **zero** to a first project."
    assert list(roadmap.items.values_list("slug", flat=True)) == [
        "linear-algebra",
        "python",
        "embeddings",
        "attention",
        "first-project",
    ]
    embeddings = Item.objects.get(slug="embeddings")
    assert embeddings.kind == "concept"  # default for a level section
    assert embeddings.level == "beginner"  # the section's level
    assert sorted(embeddings.prerequisites.values_list("slug", flat=True)) == [
        "linear-algebra",
        "python",
    ]
    link = embeddings.resources.get()
    assert (link.key, link.level) == (
        "item:embeddings/link/https://example.org/embeddings",
        "beginner",
    )
    unlinked = Resource.objects.get(title="Some Unlinked Book")
    assert (unlinked.section.slug, unlinked.item, unlinked.url) == ("beginner", None, "")
    assert Section.objects.get(slug="careers").entries == ["ML Engineer", "Research Engineer"]


def test_reimporting_unchanged_content_writes_nothing_and_says_so(
    mini, django_assert_max_num_queries
):
    before = snapshot()

    # The transaction's savepoint, (on PostgreSQL) the import lock, the roadmap, its
    # sections, its items, their prerequisites, its resources, and the savepoint's release.
    with django_assert_max_num_queries(8) as queries:
        out, _ = run_import(mini)

    assert writes(queries.captured_queries) == []
    assert "nothing to do: content is up to date" in out
    assert re.search(r"item\s+0\s+0\s+5\s+0\s+0", out)
    assert snapshot() == before


def test_a_yaml_change_is_imported_and_reported_as_an_update(mini, tmp_path):
    write(tmp_path, edit(MINI, "title: Attention\n", "title: Self-Attention\n"))

    out, _ = run_import(mini, "-v", "2")

    assert Item.objects.get(slug="attention").title == "Self-Attention"
    assert re.search(r"item\s+0\s+1\s+4\s+0\s+0", out)
    assert f"{mini}: updated item 'attention': title" in out  # -v 2 lists the changes
    assert "Imported." in out


def test_an_explicit_key_keeps_a_resource_when_its_url_changes(db, tmp_path):
    keyed = edit(MINI, "group: link}", "group: link, key: embeddings-link}")
    run_import(write(tmp_path, keyed))
    resource = Resource.objects.get(key="embeddings-link")

    write(tmp_path, edit(keyed, "https://example.org/embeddings", "https://example.com/emb"))
    run_import(tmp_path / "mini.yaml")

    resource.refresh_from_db()
    assert (resource.url, resource.archived_at) == ("https://example.com/emb", None)
    assert Resource.objects.filter(title="Embeddings").count() == 1


def test_without_a_key_a_changed_url_is_a_new_resource_and_the_old_one_is_archived(mini, tmp_path):
    old = Resource.objects.get(title="Embeddings")
    write(tmp_path, edit(MINI, "https://example.org/embeddings", "https://example.com/emb"))

    out, _ = run_import(mini)

    old.refresh_from_db()
    assert old.archived_at is not None
    assert Resource.objects.active().get(title="Embeddings").url == "https://example.com/emb"
    assert re.search(r"resource\s+1\s+0\s+3\s+1\s+0", out)


def test_items_and_resources_move_between_sections_and_owners(db, tmp_path):
    keyed = edit(
        MINI,
        "Unlinked Book, kind: book, group: table, row: 1}",
        "Unlinked Book, kind: book, group: table, row: 1, key: unlinked}",
    )
    run_import(write(tmp_path, keyed))
    moved = edit(
        keyed,
        "      - {title: Some Unlinked Book, kind: book, group: table, row: 1, key: unlinked}\n",
        "",
    )
    moved = edit(
        moved,
        "        effort_hours: 8\n",
        "        effort_hours: 8\n        resources:\n"
        "          - {title: Some Unlinked Book, kind: book, key: unlinked}\n",
    )
    # python moves from the prerequisites to the projects section, after attention.
    moved = edit(
        moved,
        "      - slug: python\n        title: Python\n        group: Programming\n"
        "        effort_hours: 10\n",
        "",
    )
    moved = edit(
        moved,
        "    items:\n      - slug: first-project\n",
        "    items:\n      - slug: python\n        kind: topic\n        title: Python\n"
        "        group: Programming\n        effort_hours: 10\n      - slug: first-project\n",
    )
    write(tmp_path, moved)

    _, err = run_import(tmp_path / "mini.yaml")

    assert err == ""
    book = Resource.objects.get(key="unlinked")
    assert (book.item.slug, book.section) == ("first-project", None)
    python = Item.objects.get(slug="python")
    assert (python.section.slug, python.archived_at) == ("projects", None)
    assert list(Item.objects.active().values_list("slug", flat=True)) == [
        "linear-algebra",
        "embeddings",
        "attention",
        "python",
        "first-project",
    ]


def test_a_write_bumps_the_content_version_once_committed(
    db, tmp_path, django_capture_on_commit_callbacks
):
    version = content_version()
    with django_capture_on_commit_callbacks() as callbacks:
        run_import(write(tmp_path, MINI))
        assert content_version() == version  # not before the commit
    for callback in callbacks:
        callback()
    assert content_version() > version

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run_import(tmp_path / "mini.yaml")
    assert callbacks == []  # nothing changed, pages stay cached


def test_import_without_paths_reads_every_yaml_file_of_the_content_directory(
    db, tmp_path, settings
):
    (tmp_path / "content").mkdir()
    write(tmp_path / "content", MINI)
    write(tmp_path / "content", edit(TINY, "title: Tiny\n", "title: Tiny\n"), "tiny.yaml")
    (tmp_path / "content/README.md").write_text("not yaml")
    settings.BASE_DIR = tmp_path
    settings.CONTENT_DIR = tmp_path / "content"

    run_import()

    assert sorted(Roadmap.objects.values_list("slug", flat=True)) == ["mini", "tiny"]
    assert Roadmap.objects.get(slug="mini").source_path == "content/mini.yaml"


def test_dry_run_reports_the_changes_but_writes_nothing(
    mini, tmp_path, django_capture_on_commit_callbacks
):
    changed = edit(MINI, "title: Attention\n", "title: Self-Attention\n")
    write(tmp_path, edit(changed, "slug: first-project\n", "slug: first-project-v2\n"))
    before = snapshot()

    with django_capture_on_commit_callbacks() as callbacks:
        out, _ = run_import(mini, "--dry-run")

    assert re.search(r"item\s+1\s+1\s+3\s+1\s+0", out)  # a renamed project, attention
    assert "Dry run: nothing was written." in out
    assert snapshot() == before
    assert callbacks == []


def test_dry_run_of_a_new_roadmap_creates_nothing(db, tmp_path):
    out, _ = run_import(write(tmp_path, MINI), "--dry-run")

    assert re.search(r"item\s+5\s+0\s+0\s+0\s+0", out)
    assert not Roadmap.objects.exists()
    assert not Item.objects.exists()


# --- Nothing is deleted -------------------------------------------------------------------------


def test_an_item_removed_from_the_yaml_is_archived_and_keeps_its_learners_progress(
    mini, tmp_path, learner
):
    attention = Item.objects.get(slug="attention")
    progress = ProgressFactory(learner=learner, item=attention, status=Status.DONE)
    ProgressEvent.objects.create(
        learner=learner,
        item=attention,
        status=Status.DONE,
        previous_status=Status.NOT_STARTED,
        at=progress.updated_at,
    )
    without = edit(MINI, "        prerequisites: [attention]\n", "")
    without = edit(
        without,
        "      - slug: attention\n        title: Attention\n        effort_hours: 6\n"
        "        prerequisites: [embeddings]\n",
        "",
    )
    write(tmp_path, without)

    out, _ = run_import(mini)

    attention.refresh_from_db()
    assert attention.archived_at is not None
    assert re.search(r"item\s+0\s+1\s+3\s+1\s+0", out)  # first-project lost its prerequisite
    assert "attention" not in Item.objects.active().values_list("slug", flat=True)
    assert list(learner.progress.values_list("item__slug", "status")) == [("attention", "done")]
    assert learner.progress_events.filter(item=attention).count() == 1

    write(tmp_path, MINI)
    out, _ = run_import(mini)

    attention.refresh_from_db()
    assert attention.archived_at is None
    assert Item.objects.get(slug="attention").pk == progress.item_id
    assert list(Item.objects.get(slug="first-project").prerequisites.all()) == [attention]
    assert re.search(r"item\s+0\s+2\s+3\s+0\s+0", out)


def test_a_removed_section_and_its_resources_are_archived_not_deleted(mini, tmp_path):
    write(tmp_path, MINI.split("  - slug: careers\n")[0])

    out, _ = run_import(mini)

    careers = Section.objects.get(slug="careers")
    assert careers.archived_at is not None
    assert re.search(r"section\s+0\s+0\s+3\s+1\s+0", out)
    assert Section.objects.active().count() == 3


def test_a_row_an_admin_added_is_not_archived_by_an_import_that_does_not_know_it(mini, tmp_path):
    section = Section.objects.get(slug="beginner")
    Item.objects.create(
        roadmap=section.roadmap, section=section, slug="admin-item", title="X", effort_hours=1
    )

    _, err = run_import(mini)

    assert Item.objects.get(slug="admin-item").archived_at is None
    assert "item 'admin-item' is not in the YAML and was never imported" in err


# --- Validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        pytest.param(
            "title: One\n",
            "title: [One\n",
            12,
            "YAML syntax error: while parsing a flow sequence (from line 11) expected ',' or"
            " ']', but got ':'",
            id="syntax",
        ),
        pytest.param(
            "        title: One\n",
            "        title: One\n        titel: Uno\n",
            12,
            "unknown key 'titel' in item 'one' (did you mean 'title'?)",
            id="unknown-key",
        ),
        pytest.param(
            "        effort_hours: 2\n",
            "",
            10,
            "item 'one' is missing required key 'effort_hours'",
            id="missing-field",
        ),
        pytest.param(
            "effort_hours: 2\n",
            "effort_hours: two\n",
            12,
            "'effort_hours' of item 'one' must be an integer from 1 to 32767, not 'two'",
            id="wrong-type",
        ),
        pytest.param(
            "title: Two\n",
            "title: 2024\n",
            14,
            "'title' of item 'two' must be text, not 2024 (int) (quote it)",
            id="number-for-text",
        ),
        pytest.param(
            "kind: level\n",
            "kind: chapter\n",
            6,
            "'kind' of section 'basics' must be one of prerequisites, level, techniques,"
            " projects, outcomes, careers, notes, text, not 'chapter'",
            id="bad-enum",
        ),
        pytest.param(
            "            kind: article\n",
            "            kind: blog\n",
            20,
            "'kind' of resource 'Two explained' of item 'two' must be one of book, video,"
            " playlist, course, paper, article, documentation, not 'blog'",
            id="bad-resource-kind",
        ),
        pytest.param(
            "    level: beginner\n",
            "",
            5,
            "section 'basics' has kind 'level' but no 'level' (beginner, intermediate, advanced)",
            id="level-section-without-level",
        ),
        pytest.param(
            "schema: 1\n",
            "schema: 2\n",
            1,
            "unsupported schema version 2; this importer reads schema 1",
            id="schema-version",
        ),
        pytest.param(
            "slug: tiny\n",
            "slug: Tiny_Roadmap\n",
            2,
            "slug of the roadmap must be lowercase letters and digits joined by single hyphens"
            " (at most 80 characters), not 'Tiny_Roadmap'",
            id="bad-slug",
        ),
        pytest.param(
            "      - slug: two\n",
            "      - slug: one\n",
            13,
            "duplicate item slug 'one' (first at line 10)",
            id="duplicate-item-slug",
        ),
        pytest.param(
            "      - slug: two\n",
            "      - slug: follow\n",
            13,
            "item slug 'follow' is reserved for a page of the roadmap; choose another",
            id="reserved-item-slug",
        ),
        pytest.param(
            "      - slug: two\n",
            "      - slug: map\n",
            13,
            "item slug 'map' is reserved for a page of the roadmap; choose another",
            id="map-is-a-reserved-item-slug",
        ),
        pytest.param(
            "    items:\n",
            "    items: []\n  - slug: basics\n    kind: text\n    title: Again\n    items:\n",
            10,
            "duplicate section slug 'basics' (first at line 5)",
            id="duplicate-section-slug",
        ),
        pytest.param(
            "title: Tiny\n",
            "title: Tiny\ntitle: Tinier\n",
            4,
            "duplicate key 'title' (first at line 3)",
            id="duplicate-yaml-key",
        ),
        pytest.param(
            "            kind: article\n",
            "            kind: article\n          - title: Two explained\n"
            "            url: https://example.org/two\n            kind: video\n",
            21,
            "duplicate resource key 'item:two//https://example.org/two' (first at line 18);"
            " give one of them an explicit 'key'",
            id="duplicate-resource-key",
        ),
        pytest.param(
            "url: https://example.org/two\n",
            "url: ftp://example.org/two\n",
            19,
            "'url' of resource 'Two explained' of item 'two' must be an http:// or https:// URL:"
            " 'ftp://example.org/two'",
            id="url-scheme",
        ),
        pytest.param(
            "url: https://example.org/two\n",
            "url: https:///two\n",
            19,
            "'url' of resource 'Two explained' of item 'two' is not a valid URL (it needs a"
            " host, and no spaces): 'https:///two'",
            id="url-without-host",
        ),
        pytest.param(
            "prerequisites: [one]\n",
            "prerequisites: [one, three]\n",
            16,
            "item 'two' lists unknown prerequisite 'three'",
            id="unknown-prerequisite",
        ),
        pytest.param(
            "        effort_hours: 2\n",
            "        effort_hours: 2\n        prerequisites:\n          - two\n",
            18,
            "prerequisite cycle: one → two → one",
            id="prerequisite-cycle",
        ),
        pytest.param(
            "        effort_hours: 2\n",
            "        effort_hours: 2\n        prerequisites: [one]\n",
            13,
            "prerequisite cycle: one → one",
            id="self-prerequisite",
        ),
    ],
)
def test_each_problem_is_reported_with_its_line_and_nothing_is_written(
    mini, tmp_path, old, new, line, message
):
    before = snapshot()
    # A valid change to another file in the same run must not be written either.
    write(tmp_path, edit(MINI, "title: Mini Roadmap\n", "title: Renamed\n"))
    broken = write(tmp_path, edit(TINY, old, new), "tiny.yaml")

    err = failing_import(mini, broken)

    assert f"{broken}:{line}: {message}" in err.splitlines()
    assert snapshot() == before
    assert not Roadmap.objects.filter(slug="tiny").exists()


def test_every_problem_of_a_file_is_reported_at_once(db, tmp_path):
    broken = edit(TINY, "kind: level\n", "kind: chapter\n")
    broken = edit(broken, "effort_hours: 3\n", "effort_hours: 0\n")
    broken = edit(broken, "prerequisites: [one]\n", "prerequisites: [nine]\n")

    err = failing_import(write(tmp_path, broken, "tiny.yaml"))

    lines = [re.match(r".*?:(\d+): ", line).group(1) for line in err.splitlines()]
    assert lines == ["6", "15", "16"]
    assert not Roadmap.objects.exists()


def test_two_files_with_the_same_roadmap_slug_are_an_error(db, tmp_path):
    first = write(tmp_path, TINY, "a.yaml")
    second = write(tmp_path, edit(TINY, "title: Tiny\n", "title: Other\n"), "b.yaml")

    err = failing_import(first, second)

    assert f"{second}:2: duplicate roadmap slug 'tiny' (also in {first}:2)" in err
    assert not Roadmap.objects.exists()


def test_an_empty_file_is_an_error(db, tmp_path):
    err = failing_import(write(tmp_path, "# nothing yet\n", "empty.yaml"))

    assert f"{tmp_path / 'empty.yaml'}:1: the file is empty" in err


def test_the_command_exits_1_with_the_problems_on_stderr(tmp_path):
    broken = write(tmp_path, edit(TINY, "kind: level\n", "kind: chapter\n"), "tiny.yaml")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}"}

    result = subprocess.run(
        [sys.executable, "manage.py", "import_roadmap", str(broken)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert f"{broken}:6: 'kind' of section 'basics' must be one of" in result.stderr
    assert "tiny.yaml" not in result.stdout  # problems go to stderr only


def test_validate_file_gives_the_data_and_its_problems(tmp_path):
    data, problems = validate_file(write(tmp_path, TINY, "tiny.yaml"))

    assert problems == []
    assert data["sections"][0]["items"][1]["prerequisites"] == ["one"]


def test_validate_data_names_the_place_when_plain_data_has_no_lines():
    data = {
        "schema": 1,
        "slug": "plain",
        "title": "Plain",
        "sections": [{"slug": "s", "kind": "text", "title": "S", "items": [{"slug": "x"}]}],
    }

    problems = validate_data(data, path="converted.md")

    assert [str(p) for p in problems] == [
        "converted.md: sections[0].items[0]: item 'x' is missing required key 'title'",
        "converted.md: sections[0].items[0]: item 'x' is missing required key 'effort_hours'",
        "converted.md: sections[0].items[0]: item 'x' needs a 'kind' (topic, concept,"
        " technique, project): items of a 'text' section have no default kind",
    ]
    assert {p.line for p in problems} == {None}


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_at_once_wait_for_each_other_instead_of_failing(tmp_path):
    specs, problems = load_roadmaps([write(tmp_path, MINI)])
    assert problems == []
    start = threading.Barrier(2)
    failures = []

    def import_now():
        try:
            start.wait()
            import_roadmaps(roadmaps=specs)
        except Exception as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=import_now) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert Roadmap.objects.count() == 1
    assert Item.objects.count() == 5


# --- Admin edits and conflicts ------------------------------------------------------------------


def admin_edit(slug: str, **changes) -> Item:
    item = Item.objects.get(slug=slug)
    for name, value in changes.items():
        setattr(item, name, value)
    item.save()
    return item


def test_an_admin_edit_survives_a_reimport_that_did_not_change_the_field(mini, tmp_path):
    admin_edit("attention", title="Attention (admin)")
    write(tmp_path, edit(MINI, "effort_hours: 6\n", "effort_hours: 7\n"))

    _, err = run_import(mini)

    attention = Item.objects.get(slug="attention")
    assert (attention.title, attention.effort_hours) == ("Attention (admin)", 7)
    assert "conflict" not in err


def test_a_field_changed_by_both_admin_and_yaml_is_a_reported_conflict(mini, tmp_path):
    admin_edit("attention", title="Attention (admin)")
    changed = edit(MINI, "title: Attention\n", "title: Self-Attention\n")
    write(tmp_path, edit(changed, "effort_hours: 6\n", "effort_hours: 7\n"))

    out, err = run_import(mini)

    assert (
        f"{mini}:46: conflict on item 'attention' field 'title': admin has 'Attention (admin)',"
        " YAML has 'Self-Attention' (use --force to take the YAML)"
    ) in err
    attention = Item.objects.get(slug="attention")
    assert (attention.title, attention.effort_hours) == ("Attention (admin)", 7)
    assert re.search(r"item\s+0\s+1\s+4\s+0\s+1", out)
    assert "use --force" in out

    # The conflict stays until someone decides: the same import reports it again.
    _, err = run_import(mini)
    assert "conflict on item 'attention' field 'title'" in err


def test_force_takes_the_yaml_value_over_the_admin_edit(mini, tmp_path):
    admin_edit("attention", title="Attention (admin)")
    write(tmp_path, edit(MINI, "title: Attention\n", "title: Self-Attention\n"))

    out, err = run_import(mini, "--force")

    assert Item.objects.get(slug="attention").title == "Self-Attention"
    assert "forced: took the YAML" in out
    _, err = run_import(mini)
    assert "conflict" not in err


def test_prerequisites_are_merged_like_any_other_field(mini, tmp_path):
    attention = Item.objects.get(slug="attention")
    attention.prerequisites.add(Item.objects.get(slug="python"))  # the admin adds one
    write(
        tmp_path, edit(MINI, "prerequisites: [embeddings]\n", "prerequisites: [linear-algebra]\n")
    )

    _, err = run_import(mini)

    assert (
        "conflict on item 'attention' field 'prerequisites': admin has 'embeddings, python',"
        " YAML has 'linear-algebra'"
    ) in err
    assert sorted(attention.prerequisites.values_list("slug", flat=True)) == [
        "embeddings",
        "python",
    ]


def test_admin_and_yaml_making_the_same_change_is_no_conflict(mini, tmp_path):
    admin_edit("attention", title="Self-Attention")
    write(tmp_path, edit(MINI, "title: Attention\n", "title: Self-Attention\n"))

    out, err = run_import(mini)

    assert "conflict" not in err
    assert "nothing to do: content is up to date" in out
    # The baseline took the value, so a later YAML change is a plain update again.
    write(tmp_path, edit(MINI, "title: Attention\n", "title: Attention Is All\n"))
    run_import(mini)
    assert Item.objects.get(slug="attention").title == "Attention Is All"


def test_admin_edits_to_text_differing_only_in_line_endings_are_no_edits(mini, tmp_path):
    roadmap = Roadmap.objects.get(slug="mini")
    roadmap.intro = "From **zero** to a first project.\r\n"  # what a browser textarea sends
    roadmap.save()
    write(tmp_path, edit(MINI, "  From **zero**", "  From **nothing**"))

    _, err = run_import(mini)

    assert "conflict" not in err
    assert Roadmap.objects.get(slug="mini").intro == "From **nothing** to a first project."


# --- Export -------------------------------------------------------------------------------------


def test_export_then_import_changes_nothing(mini, tmp_path):
    exported = export("mini", tmp_path / "exported.yaml")
    before = snapshot()

    with CaptureQueriesContext(connection) as queries:
        out, _ = run_import(tmp_path / "exported.yaml")

    assert writes(queries.captured_queries) == []
    assert "nothing to do: content is up to date" in out
    assert snapshot() == before
    # Readable: block style, defaults left out, short lists on one line.
    assert "prerequisites: [linear-algebra, python]" in exported
    assert "table_headers: [S.No, Best Book, Best Course]" in exported
    assert "Beginner Level — Foundations" in exported
    assert "key:" not in exported
    assert "kind: concept" not in exported


def test_an_admin_edit_exported_then_imported_becomes_the_baseline_without_updates(mini, tmp_path):
    admin_edit("attention", title="Attention (admin)", note="edited in the admin")
    Resource.objects.filter(title="Some Book").update(title="Some Better Book")
    exported = export("mini", tmp_path / "exported.yaml")

    out, err = run_import(tmp_path / "exported.yaml")

    assert "title: Attention (admin)" in exported
    assert "note: edited in the admin" in exported
    assert "title: Some Better Book" in exported
    assert "nothing to do: content is up to date" in out
    assert re.search(r"item\s+0\s+0\s+5\s+0\s+0", out)
    assert err == ""
    with CaptureQueriesContext(connection) as queries:
        out, _ = run_import(tmp_path / "exported.yaml")
    assert writes(queries.captured_queries) == []


def test_export_leaves_archived_rows_out(mini, tmp_path):
    Item.objects.filter(slug="python").update(archived_at="2026-01-01T00:00:00Z")

    exported = export("mini", tmp_path / "exported.yaml")

    assert "slug: python" not in exported
    assert "prerequisites: [linear-algebra]\n" in exported  # embeddings' archived need is gone
    assert validate_file(tmp_path / "exported.yaml")[1] == []


def test_export_over_a_hand_made_file_keeps_its_opening_comments(mini, tmp_path):
    header = "# How this file was made.\n#\n# Judgement calls: none.\n"
    target = write(tmp_path, header + "\nschema: 1\nslug: mini  # an old comment\n", "out.yaml")

    exported = export("mini", target)

    assert exported.startswith(header + "schema: 1\nslug: mini\n")
    assert "an old comment" not in exported


def test_export_writes_to_stdout_without_a_file(mini):
    out = io.StringIO()
    call_command("export_roadmap", "mini", stdout=out)

    assert out.getvalue().splitlines()[2:5] == ["schema: 1", "slug: mini", "title: Mini Roadmap"]


def test_export_of_an_unknown_slug_is_a_clear_error(mini):
    with pytest.raises(CommandError, match="no roadmap with slug 'nope' \\(known: mini\\)"):
        call_command("export_roadmap", "nope", stdout=io.StringIO())


def test_import_explains_its_options():
    help_text = ImportCommand().create_parser("manage.py", "import_roadmap").format_help()

    assert "--dry-run" in help_text
    assert "write nothing" in help_text
    assert "--force" in help_text


# --- The YAML layer on its own ------------------------------------------------------------------

_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=150
).map(clean_text)
_line = _text.filter(bool).filter(lambda s: len(s) <= 120)


@settings(max_examples=60, deadline=None)
@given(
    title=_line,
    intro=_text,
    body=st.lists(_line, max_size=4).map("\n\n".join),
    entries=st.lists(_line, max_size=3),
    note=_text.filter(lambda s: len(s) <= 300),
    resource_title=_line,
)
def test_any_stored_text_survives_dump_and_reload_exactly(
    title, intro, body, entries, note, resource_title
):
    data = {
        "schema": 1,
        "slug": "prop",
        "title": title,
        "intro": intro,
        "sections": [
            {
                "slug": "s",
                "kind": "text",
                "title": title,
                "body": body,
                "entries": entries,
                "items": [
                    {
                        "slug": "i",
                        "kind": "topic",
                        "title": title,
                        "note": note,
                        "effort_hours": 1,
                        "resources": [{"title": resource_title, "kind": "book"}],
                    }
                ],
            }
        ],
    }
    expected, problems = build_spec(data)
    assert problems == []

    loaded, problems = load_yaml(dump_yaml(data))
    assert problems == []
    reloaded, problems = build_spec(loaded)

    assert problems == []
    for kind in ("sections", "items", "resources"):
        assert [r.values for r in getattr(reloaded, kind)] == [
            r.values for r in getattr(expected, kind)
        ]
    assert reloaded.roadmap.values == expected.roadmap.values


def test_text_with_yaml_line_break_characters_is_exported_exactly():
    data = {"title": "0\x850", "note": "a\u2028b " * 30, "body": "x\n\x85y"}

    assert yaml.safe_load(dump_yaml(data)) == data


# --- The schema and the models ------------------------------------------------------------------

SCHEMA_MODELS = {"roadmap": Roadmap, "section": Section, "item": Item, "resource": Resource}
SCHEMA_KEYS = {
    "roadmap": schema.ROADMAP_KEYS,
    "section": schema.SECTION_KEYS,
    "item": schema.ITEM_KEYS,
    "resource": schema.RESOURCE_KEYS,
}
SCHEMA_CHOICES = {
    ("section", "kind"): schema.SECTION_KINDS,
    ("item", "kind"): schema.ITEM_KINDS,
    ("resource", "kind"): schema.RESOURCE_KINDS,
    **{(kind, "level"): schema.LEVELS for kind in ("section", "item", "resource")},
    ("roadmap", "theme"): schema.THEMES,
}


@pytest.mark.parametrize("kind", SCHEMA_MODELS)
def test_the_schemas_choices_and_length_limits_are_the_models(kind):
    for column in SCHEMA_MODELS[kind]._meta.fields:
        if column.name not in SCHEMA_KEYS[kind]:
            continue
        if column.choices:
            assert list(SCHEMA_CHOICES[kind, column.name]) == [v for v, _ in column.choices]
        elif column.name in ("slug", "topic"):  # both checked as slugs
            assert column.max_length == schema.SLUG_MAX
        elif column.max_length:
            assert schema._MAX_LENGTH[kind, column.name] == column.max_length


def test_levels_and_default_item_kinds_are_model_choices():
    assert list(schema.LEVELS) == Level.values
    assert set(schema.DEFAULT_ITEM_KIND) <= set(Section.Kind.values)
    assert set(schema.DEFAULT_ITEM_KIND.values()) <= set(Item.Kind.values)


@pytest.mark.parametrize(("kind", "key"), list(schema._MAX_LENGTH))
def test_a_value_one_character_over_its_column_limit_is_a_problem(kind, key):
    limit = schema._MAX_LENGTH[kind, key]
    resource = {"title": "R", "kind": "book"}
    item = {"slug": "i", "kind": "topic", "title": "I", "effort_hours": 1, "resources": [resource]}
    section = {"slug": "a", "kind": "text", "title": "A", "items": [item]}
    data = {"schema": 1, "slug": "s", "title": "T", "sections": [section]}
    target = {"roadmap": data, "section": section, "item": item, "resource": resource}[kind]
    prefix = "https://example.org/" if key.endswith("url") else ""
    target[key] = prefix + "x" * (limit + 1 - len(prefix))

    [problem] = validate_data(data)

    assert problem.message.endswith(f"is {limit + 1} characters long; at most {limit} fit")
