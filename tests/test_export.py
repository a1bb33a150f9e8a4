"""Own data: /me/export.json, /me/export.csv and account deletion."""

import csv
import io

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tests.factories import ItemFactory, SectionFactory
from tracker.models import Item, Progress, ProgressEvent, Status, User
from tracker.services.progress import save_note, set_status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tracked(learner, outsider):
    """Alice's progress on two items (one a project with a link), and Charlie's on one."""
    section = SectionFactory(roadmap__slug="llm", title="Basics")
    concept = ItemFactory(section=section, slug="tokenizers", title="Tokenizers", order=1)
    project = ItemFactory(
        section=section, slug="chatbot", title="Chatbot", kind=Item.Kind.PROJECT, order=2
    )
    set_status(learner=learner, item=concept, status=Status.IN_PROGRESS)
    set_status(learner=learner, item=concept, status=Status.DONE)
    save_note(learner=learner, item=concept, note="=SUM(A1) is not a formula here")
    set_status(learner=learner, item=project, status=Status.SKIPPED, skip_reason="did it at work")
    save_note(learner=learner, item=project, note="", project_url="https://github.com/alice/bot")
    set_status(learner=outsider, item=concept, status=Status.DONE)
    save_note(learner=outsider, item=concept, note="Charlie's private note")
    return concept, project


def test_json_export_holds_profile_progress_notes_and_history(learner_client, learner, tracked):
    response = learner_client.get(reverse("export_json"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = response.json()

    assert data["profile"]["email"] == "alice@example.com"
    assert data["profile"]["weekly_hours"] == 5
    assert data["followed_roadmaps"] == ["llm"]
    by_item = {row["item"]: row for row in data["progress"]}
    assert set(by_item) == {"tokenizers", "chatbot"}
    assert by_item["tokenizers"]["status"] == "done"
    assert by_item["tokenizers"]["note"] == "=SUM(A1) is not a formula here"
    assert by_item["tokenizers"]["completed_at"]
    assert by_item["chatbot"]["skip_reason"] == "did it at work"
    assert by_item["chatbot"]["project_url"] == "https://github.com/alice/bot"
    assert [(e["item"], e["previous_status"], e["status"]) for e in data["events"]] == [
        ("tokenizers", "not_started", "in_progress"),
        ("tokenizers", "in_progress", "done"),
        ("chatbot", "not_started", "skipped"),
    ]
    assert "Charlie" not in response.content.decode()


def test_csv_export_has_the_same_data_in_one_table(learner_client, tracked):
    response = learner_client.get(reverse("export_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))

    settings = {row["item"]: row["note"] for row in rows if row["record"] == "setting"}
    assert settings["email"] == "alice@example.com"
    assert settings["time_zone"] == "UTC"
    progress = {row["item"]: row for row in rows if row["record"] == "progress"}
    assert progress["tokenizers"]["status"] == "done"
    # Spreadsheets would run a cell starting with "=": the export keeps it as text.
    assert progress["tokenizers"]["note"] == "'=SUM(A1) is not a formula here"
    assert progress["chatbot"]["project_url"] == "https://github.com/alice/bot"
    events = [(row["item"], row["status"]) for row in rows if row["record"] == "event"]
    assert events == [("tokenizers", "in_progress"), ("tokenizers", "done"), ("chatbot", "skipped")]
    assert "Charlie" not in response.content.decode()


def test_exports_need_sign_in(client):
    for name in ("export_json", "export_csv"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_export_runs_a_fixed_number_of_queries(
    learner_client, tracked, django_assert_max_num_queries
):
    # session (django_session), user, progress with items, events with
    # items, follows, started roadmaps
    with django_assert_max_num_queries(6):
        learner_client.get(reverse("export_json"))


def test_deletion_asks_for_the_password_and_keeps_everything_when_it_is_wrong(
    learner_client, learner, tracked
):
    assert learner_client.get(reverse("delete_me")).status_code == 200
    response = learner_client.post(reverse("delete_me"), {"password": "not-it"})
    assert response.status_code == 200
    assert "That is not your password. Nothing was deleted." in response.content.decode()
    assert User.objects.filter(pk=learner.pk).exists()
    assert Progress.objects.filter(learner=learner).count() == 2


def test_deletion_removes_the_learner_their_progress_notes_and_history_and_signs_out(
    learner_client, learner, outsider, password, tracked
):
    response = learner_client.post(reverse("delete_me"), {"password": password})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert SESSION_KEY not in learner_client.session
    assert not User.objects.filter(pk=learner.pk).exists()
    assert not Progress.objects.filter(learner_id=learner.pk).exists()
    assert not ProgressEvent.objects.filter(learner_id=learner.pk).exists()
    # Other learners and the content are untouched.
    assert Progress.objects.get(learner=outsider).note == "Charlie's private note"
    assert Item.objects.count() == 2
    page = learner_client.get(response["Location"]).content.decode()
    assert "Your account and all your progress have been deleted." in page


def test_deletion_needs_post_for_the_actual_delete(learner_client, learner):
    learner_client.get(reverse("delete_me"))
    assert User.objects.filter(pk=learner.pk).exists()
