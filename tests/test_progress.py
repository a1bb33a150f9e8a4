"""Progress: the status and note services, the one-click endpoints (htmx and plain POST),
CSRF, scoping to the learner, archived items, query budgets and concurrent clicks."""

import itertools
import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.builders import concurrent_starts
from tests.factories import ItemFactory, ProgressFactory, SectionFactory, UserFactory
from tracker.models import Item, Progress, ProgressEvent, ReviewCard, Section, Status
from tracker.services.follows import follow_roadmap
from tracker.services.progress import save_note, set_status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing strength is not under test here; MD5 keeps the many sign-ins quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def section(db):
    return SectionFactory(roadmap__slug="llm", roadmap__title="LLM", title="Foundations")


@pytest.fixture
def item(section):
    return ItemFactory(section=section, slug="tokenizers", title="Tokenizers")


@pytest.fixture
def project(section):
    return ItemFactory(section=section, slug="chatbot", title="Chatbot", kind=Item.Kind.PROJECT)


def status_url(item):
    return reverse("set_item_status", args=[item.roadmap.slug, item.slug])


def note_url(item):
    return reverse("save_item_note", args=[item.roadmap.slug, item.slug])


# --- set_status ---------------------------------------------------------------------------


def test_first_status_creates_the_one_row_and_records_the_change(learner, item):
    progress = set_status(learner=learner, item=item, status=Status.IN_PROGRESS)

    assert progress.status == Status.IN_PROGRESS
    assert progress.started_at is not None and progress.completed_at is None
    event = ProgressEvent.objects.get(learner=learner, item=item)
    assert (event.previous_status, event.status) == (Status.NOT_STARTED, Status.IN_PROGRESS)
    assert event.at == progress.started_at


def test_done_sets_completion_and_keeps_the_start(learner, item):
    started = set_status(learner=learner, item=item, status=Status.IN_PROGRESS).started_at
    progress = set_status(learner=learner, item=item, status=Status.DONE)
    assert progress.started_at == started
    assert progress.completed_at >= started
    assert Progress.objects.filter(learner=learner, item=item).count() == 1
    assert list(
        ProgressEvent.objects.filter(learner=learner).order_by("at").values_list("status")
    ) == [(Status.IN_PROGRESS,), (Status.DONE,)]


def test_repeating_the_same_status_records_nothing_new(learner, item):
    first = set_status(learner=learner, item=item, status=Status.DONE)
    again = set_status(learner=learner, item=item, status=Status.DONE)
    assert again.completed_at == first.completed_at
    assert ProgressEvent.objects.filter(learner=learner).count() == 1


def test_skip_keeps_its_reason_until_the_item_is_unskipped(learner, item):
    progress = set_status(
        learner=learner, item=item, status=Status.SKIPPED, skip_reason="  already know it "
    )
    assert progress.skip_reason == "already know it"
    assert progress.completed_at is None
    # Changing only the reason saves it without a new history entry.
    progress = set_status(learner=learner, item=item, status=Status.SKIPPED, skip_reason="later")
    assert progress.skip_reason == "later"
    assert ProgressEvent.objects.filter(learner=learner).count() == 1

    progress = set_status(learner=learner, item=item, status=Status.NOT_STARTED)
    assert progress.skip_reason == ""
    assert progress.started_at is None and progress.completed_at is None


def test_an_unknown_status_is_refused_and_nothing_is_written(learner, item):
    with pytest.raises(ValueError):
        set_status(learner=learner, item=item, status="finished-ish")
    assert not Progress.objects.exists()


@pytest.mark.needs_postgres  # the one-statement click; SQLite takes the ORM path
def test_a_status_change_costs_one_query_and_the_first_click_two(
    learner, item, django_assert_num_queries
):
    set_status(learner=learner, item=item, status=Status.IN_PROGRESS)  # follows its roadmap
    # One statement: lock the row, update it, record the event, read the bars' statuses (it
    # also reads whether the roadmap is followed).
    with django_assert_num_queries(1):
        set_status(learner=learner, item=item, status=Status.SKIPPED)
    # Done: the same statement also queues the concept's spaced-review card...
    with django_assert_num_queries(1):
        set_status(learner=learner, item=item, status=Status.DONE)
    assert ReviewCard.objects.filter(learner=learner, item=item).exists()
    # ...and takes it away again when it is no longer done.
    with django_assert_num_queries(1):
        set_status(learner=learner, item=item, status=Status.IN_PROGRESS)
    assert not ReviewCard.objects.filter(learner=learner, item=item).exists()
    other = ItemFactory(section=item.section)
    # No row yet: the statement makes it "not started" and says so, then runs again.
    with django_assert_num_queries(2):
        set_status(learner=learner, item=other, status=Status.DONE)


@pytest.mark.needs_postgres
def test_the_click_statement_is_planned_once_per_connection(learner, item):
    # Planning was half of PostgreSQL's work on a click; the ORM's own queries stay unprepared.
    for status in [Status.IN_PROGRESS, Status.DONE] * 4:
        set_status(learner=learner, item=item, status=status)
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        prepared = cursor.fetchall()
    assert len(prepared) == 1
    statement, runs = prepared[0]
    assert "INSERT INTO tracker_progressevent" in statement
    assert runs >= 3  # prepared after psycopg's threshold of runs, then reused


@pytest.mark.needs_postgres
def test_the_click_statement_reaches_psycopg_with_its_placeholders_numbered(
    learner, item, monkeypatch
):
    # psycopg re-parses %(name)s placeholders on every run of a statement over 4 kB, as the
    # click's is: it gets PostgreSQL's own ($1, ...) and passes them on untouched.
    import psycopg._queries

    parsed = []
    split_query = psycopg._queries._split_query
    monkeypatch.setattr(
        psycopg._queries, "_split_query", lambda *a, **k: parsed.append(1) or split_query(*a, **k)
    )
    set_status(learner=learner, item=item, status=Status.IN_PROGRESS)
    parsed.clear()
    set_status(learner=learner, item=item, status=Status.DONE)
    assert parsed == []
    assert Progress.objects.get(learner=learner, item=item).status == Status.DONE


@pytest.mark.needs_postgres
def test_a_first_click_inside_a_transaction_never_relaxes_that_transactions_commit(learner, item):
    # The test runs in a transaction, as a service calling set_status inside its own would:
    # the first run's relaxed commit is only for the statement's own transaction.
    set_status(learner=learner, item=item, status=Status.DONE)  # no row yet: two runs
    with connections["default"].cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("on",)
    assert Progress.objects.get(learner=learner, item=item).status == Status.DONE


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_two_step_first_click_in_its_own_transactions_is_applied_whole(
    django_assert_num_queries,
):
    # A twin has a row already, so the click is not fresh: outside any transaction the first
    # run makes the missing row and commits without waiting for the disk; the second run,
    # which carries the change, is an ordinary commit. Both leave the click applied.
    item = ItemFactory(topic="bpe")
    twin = ItemFactory(topic="bpe")
    learner = UserFactory()
    follow_roadmap(learner=learner, roadmap=item.roadmap)
    ProgressFactory(learner=learner, item=twin, status=Status.IN_PROGRESS)
    with django_assert_num_queries(2):
        progress = set_status(learner=learner, item=item, status=Status.DONE)
    assert progress.status == Status.DONE
    rows = Progress.objects.filter(learner=learner)
    assert {(row.status, row.completed_at is not None) for row in rows} == {(Status.DONE, True)}
    assert ProgressEvent.objects.filter(learner=learner, item=item).count() == 1
    with connections["default"].cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")  # the relaxation ended with its transaction
        assert cursor.fetchone() == ("on",)


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_first_click_on_a_followed_roadmap_is_one_statement_with_everything_in_it(
    django_assert_num_queries,
):
    concept = ItemFactory(kind=Item.Kind.CONCEPT, topic="attention")
    twin = ItemFactory(kind=Item.Kind.TECHNIQUE, topic="attention")  # on another roadmap
    learner = UserFactory()
    follow_roadmap(learner=learner, roadmap=concept.roadmap)

    with django_assert_num_queries(1):  # no row for either yet
        progress = set_status(learner=learner, item=concept, status=Status.DONE)

    assert (progress.status, progress.previous_status) == (Status.DONE, Status.NOT_STARTED)
    assert progress.roadmap_statuses[concept.pk] == Status.DONE
    rows = {row.item_id: row for row in Progress.objects.filter(learner=learner)}
    assert {item_id: row.status for item_id, row in rows.items()} == {
        concept.pk: Status.DONE,
        twin.pk: Status.DONE,  # the twin's row too: one piece of progress
    }
    done = rows[concept.pk]
    assert done.pk == progress.pk
    assert done.started_at == done.completed_at == progress.completed_at is not None
    event = ProgressEvent.objects.get(learner=learner)
    assert (event.item_id, event.previous_status, event.status) == (
        concept.pk,
        Status.NOT_STARTED,
        Status.DONE,
    )
    assert ReviewCard.objects.filter(learner=learner, item=concept).count() == 1

    # Skipped straight away: started never, the reason kept.
    other = ItemFactory(section=concept.section)
    with django_assert_num_queries(1):
        set_status(learner=learner, item=other, status=Status.SKIPPED, skip_reason="known")
    row = Progress.objects.get(learner=learner, item=other)
    assert (row.status, row.skip_reason, row.started_at, row.completed_at) == (
        Status.SKIPPED,
        "known",
        None,
        None,
    )


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_first_click_that_loses_the_race_for_its_row_is_applied_after_the_winner():
    # The racing click's row is made in another transaction and held uncommitted; the first
    # click's insert waits on it, finds the row taken once it commits, undoes its whole
    # statement and runs again on the row: its event follows the racer's status, never "not
    # started", and there is one row.
    item = ItemFactory()
    learner = UserFactory()
    follow_roadmap(learner=learner, roadmap=item.roadmap)
    racer = connections.create_connection("default")
    racer.set_autocommit(False)
    with racer.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tracker_progress (learner_id, item_id, status, skip_reason, note,"
            " project_url, started_at, updated_at) VALUES (%s, %s, 'in_progress', '', '', '',"
            " now(), now())",
            [learner.pk, item.pk],
        )
    outcome = {}

    def click():
        try:
            outcome["progress"] = set_status(learner=learner, item=item, status=Status.DONE)
        except Exception as error:
            outcome["error"] = error
        finally:
            connections.close_all()

    clicker = threading.Thread(target=click)
    clicker.start()
    with connections["default"].cursor() as cursor:
        for _ in range(200):  # until the click waits for the racer's row
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND state = 'active' AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.02)
        else:
            pytest.fail(f"the click never waited for the racing row: {outcome}")
    racer.commit()
    racer.close()
    clicker.join(timeout=10)

    assert "error" not in outcome, outcome.get("error")
    assert outcome["progress"].previous_status == Status.IN_PROGRESS
    row = Progress.objects.get(learner=learner, item=item)
    assert (row.status, row.completed_at is not None) == (Status.DONE, True)
    events = list(
        ProgressEvent.objects.filter(learner=learner).values_list("previous_status", "status")
    )
    assert events == [(Status.IN_PROGRESS, Status.DONE)]


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
@concurrent_starts
def test_concurrent_clicks_leave_exactly_one_row_and_a_consistent_history(first_clicks):
    item = ItemFactory()
    learner = UserFactory()
    if first_clicks == "followed":
        # No row, the roadmap followed: each click tries to make the row with its change, and
        # all but one lose the race for it.
        follow_roadmap(learner=learner, roadmap=item.roadmap)
    elif not first_clicks:
        # The row exists and the roadmap is followed: every click is the one statement.
        follow_roadmap(learner=learner, roadmap=item.roadmap)
        ProgressFactory(learner=learner, item=item, status=Status.NOT_STARTED)
    statuses = [Status.IN_PROGRESS, Status.DONE] * 4
    barrier = threading.Barrier(len(statuses))
    errors = []

    def click(status):
        try:
            barrier.wait()
            set_status(learner=learner, item=item, status=status)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click, args=(status,)) for status in statuses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Progress.objects.filter(learner=learner, item=item).count() == 1
    final = Progress.objects.get(learner=learner, item=item).status
    # Each change saw the one before it: the history is a chain ending at the final status.
    events = list(ProgressEvent.objects.filter(learner=learner).order_by("at", "id"))
    assert events, "at least the first change is recorded"
    assert events[0].previous_status == Status.NOT_STARTED
    for before, after in itertools.pairwise(events):
        assert after.previous_status == before.status
    assert events[-1].status == final


# --- save_note ----------------------------------------------------------------------------


def test_note_is_saved_without_touching_the_status(learner, item):
    set_status(learner=learner, item=item, status=Status.DONE)
    progress = save_note(learner=learner, item=item, note="BPE merges pairs.")
    assert progress.note == "BPE merges pairs."
    assert progress.status == Status.DONE
    assert ProgressEvent.objects.count() == 1


def test_a_note_on_an_untouched_item_creates_a_not_started_row(learner, item):
    progress = save_note(learner=learner, item=item, note="To read")
    assert progress.status == Status.NOT_STARTED
    assert not ProgressEvent.objects.exists()


def test_only_projects_take_a_link_and_only_http_links(learner, item, project):
    with pytest.raises(ValidationError):
        save_note(learner=learner, item=item, note="", project_url="https://github.com/a/b")
    with pytest.raises(ValidationError):
        save_note(learner=learner, item=project, note="", project_url="javascript:alert(1)")
    progress = save_note(
        learner=learner, item=project, note="demo", project_url="https://github.com/a/b"
    )
    assert progress.project_url == "https://github.com/a/b"


# --- the status endpoint ------------------------------------------------------------------


def test_htmx_status_change_returns_only_the_row_and_the_progress_bars(
    learner_client, learner, item
):
    response = learner_client.post(
        status_url(item),
        {"status": "done", "next": "/roadmaps/llm/"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "<body" not in html
    assert html.lstrip().startswith(f'<li id="item-{item.id}"')
    assert 'value="done" aria-pressed="true"' in html
    assert 'id="progress-overall" hx-swap-oob="true"' in html
    assert "progress-section-" not in html  # one section: the summary has no section bars
    assert "1 done · 1 in all" in html
    # The re-rendered form posts to the same address as before, relative to the roadmap page
    # (its no-JS answer comes back to the row there).
    assert f'action="{item.slug}/status/"' in html and 'name="next"' not in html
    assert Progress.objects.get(learner=learner, item=item).status == Status.DONE


def test_htmx_status_change_resends_the_overall_bar_and_only_its_own_sections_bar(
    learner_client, learner, item
):
    other_section = SectionFactory(roadmap=item.roadmap, order=item.section.order + 1)
    ItemFactory(section=other_section)
    set_status(learner=learner, item=ItemFactory(section=item.section), status=Status.SKIPPED)

    response = learner_client.post(status_url(item), {"status": "done"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    # The summary's <details> is not re-sent, so a learner who opened it keeps it open.
    assert "progress-summary" not in html and "progress-sections" not in html
    assert html.count('hx-swap-oob="true"') == 2
    overall = html[html.index('id="progress-overall"') :]
    assert "1 done · 1 skipped · 3 in all" in " ".join(overall.split())
    own = html[html.index(f'id="progress-section-{item.section_id}"') :]
    assert "1 done · 1 skipped · 2 in all" in " ".join(own.split())
    assert f"progress-section-{other_section.id}" not in html


def test_htmx_status_change_from_the_item_page_returns_its_status_block(learner_client, item):
    response = learner_client.post(
        status_url(item),
        {"status": "in_progress", "place": "item", "next": item.get_absolute_url()},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert html.lstrip().startswith(f'<form class="st is-in_progress" id="item-status-{item.id}"')
    assert 'hx-target="this"' in html
    assert "progress-summary" not in html  # the item page has no bars to swap
    assert 'value="in_progress" aria-pressed="true"' in html


def test_plain_post_changes_the_status_and_redirects_back_to_the_row(learner_client, learner, item):
    response = learner_client.post(
        status_url(item), {"status": "skipped", "skip_reason": "know it", "next": "/roadmaps/llm/"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/roadmaps/llm/#item-{item.id}"
    progress = Progress.objects.get(learner=learner, item=item)
    assert (progress.status, progress.skip_reason) == (Status.SKIPPED, "know it")
    page = learner_client.get(response["Location"]).content.decode()
    assert "is now marked skipped" in page


@pytest.mark.parametrize("unsafe", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_plain_post_never_redirects_off_site(learner_client, item, unsafe):
    response = learner_client.post(status_url(item), {"status": "done", "next": unsafe})
    assert response["Location"] == f"/roadmaps/llm/#item-{item.id}"
    response = learner_client.post(
        status_url(item), {"status": "done", "next": unsafe, "place": "item"}
    )
    assert response["Location"] == item.get_absolute_url()


def test_an_unknown_status_changes_nothing(learner_client, item):
    response = learner_client.post(status_url(item), {"status": "bogus"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    response = learner_client.post(status_url(item), {"status": "bogus"})
    assert response.status_code == 302
    assert not Progress.objects.exists()


def test_status_change_needs_post_and_a_signed_in_learner(client, learner_client, item):
    assert learner_client.get(status_url(item)).status_code == 405
    anonymous = Client()
    response = anonymous.post(status_url(item), {"status": "done"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Progress.objects.exists()


def test_unknown_or_archived_items_are_404(learner_client, item):
    missing = reverse("set_item_status", args=["llm", "nope"])
    assert learner_client.post(missing, {"status": "done"}).status_code == 404
    Item.objects.filter(pk=item.pk).update(archived_at=timezone.now())
    assert learner_client.post(status_url(item), {"status": "done"}).status_code == 404
    assert learner_client.post(note_url(item), {"note": "x"}).status_code == 404


def _csrf_token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("htmx", [False, True])
def test_csrf_is_enforced_on_status_changes(learner, item, htmx):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    refused = client.post(status_url(item), {"status": "done"}, **headers)
    assert refused.status_code == 403
    assert not Progress.objects.exists()

    token = _csrf_token(client.get(item.get_absolute_url()).content.decode())
    if htmx:
        # htmx sends the token as a header (hx-headers on <body>), not a form field.
        accepted = client.post(
            status_url(item), {"status": "done"}, HTTP_X_CSRFTOKEN=token, **headers
        )
        assert accepted.status_code == 200
    else:
        accepted = client.post(status_url(item), {"status": "done", "csrfmiddlewaretoken": token})
        assert accepted.status_code == 302
    assert Progress.objects.get(learner=learner, item=item).status == Status.DONE


def test_csrf_is_enforced_on_notes(learner, item):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    assert client.post(note_url(item), {"note": "x"}).status_code == 403
    token = _csrf_token(client.get(item.get_absolute_url()).content.decode())
    response = client.post(note_url(item), {"note": "x", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


# --- notes on the item page ---------------------------------------------------------------


def test_learner_saves_a_note_and_sees_it_on_the_item_page(learner_client, learner, item):
    response = learner_client.post(note_url(item), {"note": "Read the BPE paper"})
    assert response.status_code == 302
    assert response["Location"] == item.get_absolute_url() + "#note"
    page = learner_client.get(item.get_absolute_url()).content.decode()
    assert "Read the BPE paper" in page
    assert 'name="project_url"' not in page  # only projects take a link


def test_htmx_note_save_returns_only_the_note_panel(learner_client, item):
    response = learner_client.post(note_url(item), {"note": "hello"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<section class="panel item-note-panel" id="note"')
    assert "Saved." in html


def test_a_bad_project_link_is_refused_and_what_was_typed_is_kept(learner_client, learner, project):
    response = learner_client.post(
        note_url(project), {"note": "my long note", "project_url": "ftp://example.org/x"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "my long note" in page and "ftp://example.org/x" in page
    assert "errorlist" in page
    assert not Progress.objects.filter(learner=learner).exists()

    response = learner_client.post(
        note_url(project), {"note": "done!", "project_url": "https://github.com/alice/chatbot"}
    )
    assert response.status_code == 302
    progress = Progress.objects.get(learner=learner, item=project)
    assert progress.project_url == "https://github.com/alice/chatbot"


def test_another_learners_note_and_status_are_never_shown_or_changed(
    learner, outsider, item, client
):
    set_status(learner=learner, item=item, status=Status.DONE)
    save_note(learner=learner, item=item, note="Alice's secret note")

    client.force_login(outsider)
    page = client.get(item.get_absolute_url()).content.decode()
    assert "Alice's secret note" not in page
    assert 'value="done" aria-pressed="true"' not in page
    roadmap_page = client.get(reverse("roadmap_detail", args=["llm"])).content.decode()
    assert "Alice's secret note" not in roadmap_page
    assert "0 done" in roadmap_page

    # The endpoints act on the requester's own row only.
    client.post(status_url(item), {"status": "not_started"})
    client.post(note_url(item), {"note": "Charlie's"})
    mine = Progress.objects.get(learner=learner, item=item)
    assert (mine.status, mine.note) == (Status.DONE, "Alice's secret note")
    assert Progress.objects.get(learner=outsider, item=item).note == "Charlie's"


# --- archived items keep their progress ---------------------------------------------------

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
"""


def test_progress_survives_a_reimport_that_archives_the_item(
    learner, tmp_path, learner_client, django_capture_on_commit_callbacks
):
    path = Path(tmp_path) / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    call_command("import_roadmap", str(path), stdout=None)
    one = Item.objects.get(roadmap__slug="tiny", slug="one")
    set_status(learner=learner, item=one, status=Status.DONE)
    save_note(learner=learner, item=one, note="kept")

    path.write_text(
        TINY.replace("      - slug: one\n        title: One\n        effort_hours: 2\n", ""),
        encoding="utf-8",
    )
    call_command("import_roadmap", str(path), stdout=None)

    one.refresh_from_db()
    assert one.archived_at is not None
    progress = Progress.objects.get(learner=learner, item=one)
    assert (progress.status, progress.note) == (Status.DONE, "kept")
    assert ProgressEvent.objects.filter(learner=learner, item=one).count() == 1
    # Pages count active items only, and the export still holds the archived item's data.
    assert "0 done · 1 in all" in learner_client.get("/roadmaps/tiny/").content.decode()
    exported = learner_client.get(reverse("export_json")).json()
    assert exported["progress"][0]["archived"] is True
    assert exported["progress"][0]["note"] == "kept"

    # Restoring the item in the YAML brings the progress back with it (once the import's
    # commit retires the learner's cached page).
    path.write_text(TINY, encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_roadmap", str(path), stdout=None)
    assert "1 done · 2 in all" in learner_client.get("/roadmaps/tiny/").content.decode()


# --- the roadmap page with statuses -------------------------------------------------------


def _roadmap(items: int, learner, history: int):
    """A roadmap in three sections, the learner's progress on half its items, `history`
    extra status changes."""
    sections = [SectionFactory(roadmap__slug="big", title=f"S{n}") for n in range(3)]
    made = [ItemFactory(section=sections[n % 3]) for n in range(items)]
    for n, item in enumerate(made[: items // 2]):
        set_status(learner=learner, item=item, status=Status.DONE if n % 2 else Status.SKIPPED)
    for n in range(history):
        set_status(
            learner=learner,
            item=made[0],
            status=Status.IN_PROGRESS if n % 2 == 0 else Status.DONE,
        )
    return made


@pytest.mark.parametrize(("items", "history"), [(6, 2), (6, 40), (30, 2), (30, 40)])
def test_roadmap_page_with_statuses_runs_a_fixed_number_of_queries(
    learner_client, learner, items, history, django_assert_max_num_queries
):
    _roadmap(items, learner, history)
    # A cold cache: session (django_session), user; the shared parts:
    # roadmap, sections, section resources, items, item resources, prerequisites; the
    # learner's progress; the sections' layout (the bars count from the progress rows); whether
    # they follow it (the header's Follow button). Warm, the learner's parts cost none of these.
    with django_assert_max_num_queries(11):
        response = learner_client.get("/roadmaps/big/")
    assert response.status_code == 200
    page = response.content.decode()
    # One pressed status per item (the header's theme switch has one more, outside <main>).
    assert page.split("<main")[1].count('aria-pressed="true"') == items


@pytest.mark.needs_postgres  # the one-statement click; SQLite takes the ORM path
def test_htmx_status_change_request_has_a_small_fixed_cost(
    learner_client, learner, item, django_assert_max_num_queries
):
    ItemFactory.create_batch(5, section=item.section)
    follow_roadmap(learner=learner, roadmap=item.roadmap)
    # A cold cache: session, user; the item's row parts (item, resources, prerequisites, the
    # link notes); the sections' layout; set_status (3 on a first click: the statement finds
    # no row, insert, the statement again), and done queues the concept's review card.
    with django_assert_max_num_queries(10):
        learner_client.post(status_url(item), {"status": "done"}, HTTP_HX_REQUEST="true")
    # Then the row and the layout come from the cache: session (django_session), user and
    # set_status's one statement, which also reads the learner's statuses for the bars; done
    # no longer, the review card goes with its ratings (find it, delete its ratings, delete it).
    with django_assert_max_num_queries(6):
        learner_client.post(status_url(item), {"status": "skipped"}, HTTP_HX_REQUEST="true")
    with django_assert_max_num_queries(3):
        learner_client.post(status_url(item), {"status": "in_progress"}, HTTP_HX_REQUEST="true")
    # Done again: the statement and the card's insert.
    with django_assert_max_num_queries(4):
        learner_client.post(status_url(item), {"status": "done"}, HTTP_HX_REQUEST="true")


def test_progress_summary_counts_done_and_skipped_apart(learner_client, learner, section):
    items = ItemFactory.create_batch(4, section=section)
    set_status(learner=learner, item=items[0], status=Status.DONE)
    set_status(learner=learner, item=items[1], status=Status.SKIPPED)
    ProgressFactory(item=items[2], status=Status.DONE)  # someone else's
    page = learner_client.get("/roadmaps/llm/").content.decode()
    assert "1 done · 1 skipped · 4 in all" in page


def test_techniques_rows_swap_as_table_rows(learner_client, learner, db):
    section = SectionFactory(
        roadmap__slug="tech", kind=Section.Kind.TECHNIQUES, level="", title="Techniques"
    )
    item = ItemFactory(section=section, kind=Item.Kind.TECHNIQUE)
    response = learner_client.post(status_url(item), {"status": "done"}, HTTP_HX_REQUEST="true")
    assert response.content.decode().lstrip().startswith(f'<tr id="item-{item.id}"')


def test_history_is_kept_in_time_order(learner, item):
    set_status(learner=learner, item=item, status=Status.IN_PROGRESS)
    set_status(learner=learner, item=item, status=Status.DONE)
    set_status(learner=learner, item=item, status=Status.IN_PROGRESS)
    times = list(ProgressEvent.objects.filter(learner=learner).order_by("id").values_list("at"))
    assert times == sorted(times)
    assert times[-1][0] - times[0][0] < timedelta(seconds=5)


def test_the_note_field_does_not_promise_privacy_that_sharing_with_mentors_breaks(client, db):
    item = ItemFactory()
    client.force_login(UserFactory())

    page = client.get(reverse("item_detail", args=[item.roadmap.slug, item.slug])).content.decode()

    assert "Private note" in page
    assert "unless you share your notes with a cohort's mentors" in page


def test_the_save_note_button_keeps_its_id_across_htmx_swaps(client, db):
    # htmx gives focus back only to an element with the id of the one pressed.
    item = ItemFactory()
    client.force_login(UserFactory())
    note_url = reverse("save_item_note", args=[item.roadmap.slug, item.slug])

    note = client.post(note_url, {"note": "Read ch. 2"}, headers={"HX-Request": "true"})

    assert 'id="save-note-button"' in note.content.decode()
