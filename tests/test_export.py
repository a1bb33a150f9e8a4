"""Own data: /me/export.json, /me/export.csv and account deletion."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tests.factories import (
    WHEN,
    CohortFactory,
    ItemFactory,
    MembershipFactory,
    NudgeFactory,
    ProjectReviewFactory,
    ProjectSubmissionFactory,
    ReviewCardFactory,
    ReviewLogFactory,
    RoadmapFactory,
    SectionFactory,
    WeekPlanFactory,
)
from tracker.models import (
    ColourTheme,
    Decision,
    Item,
    Progress,
    ProgressEvent,
    Rating,
    ReviewCard,
    Roadmap,
    Status,
    SubmissionState,
    User,
)
from tracker.services.follows import follow_roadmap
from tracker.services.progress import save_note, set_status
from tracker.services.spaced_review import rate_card

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


def export_json(client) -> dict:
    return client.get(reverse("export_json")).json()


def export_csv(client, record: str) -> list[dict]:
    """The CSV export's rows of one record kind, as dicts by column name."""
    rows = csv.DictReader(io.StringIO(client.get(reverse("export_csv")).content.decode()))
    return [row for row in rows if row["record"] == record]


def both_exports(client) -> str:
    return (
        client.get(reverse("export_json")).content.decode()
        + client.get(reverse("export_csv")).content.decode()
    )


def test_exports_hold_every_setting_of_the_learner(learner_client, learner, outsider):
    learner.time_zone = "Europe/Paris"
    learner.weekly_hours = 12
    learner.theme = ColourTheme.DARK
    learner.spaced_review = False
    learner.use_pace_factor = False
    learner.nudge_emails = False
    learner.save()

    profile = export_json(learner_client)["profile"]
    assert profile["time_zone"] == "Europe/Paris"
    assert profile["weekly_hours"] == 12
    assert profile["theme"] == "dark"
    assert profile["spaced_review"] is False
    assert profile["use_pace_factor"] is False
    assert profile["nudge_emails"] is False
    assert profile["mentor_digest"] is True
    settings = {row["item"]: row["note"] for row in export_csv(learner_client, "setting")}
    assert settings["theme"] == "dark"
    assert settings["spaced_review"] == "False"
    assert settings["use_pace_factor"] == "False"
    assert settings["weekly_hours"] == "12"
    # The calendar feed's token is a credential, not a setting: a shared export must not leak
    # the feed.
    assert learner.calendar_token not in both_exports(learner_client)


def test_exports_never_hold_another_learners_settings(learner_client, outsider):
    outsider.time_zone = "Asia/Tokyo"
    outsider.save()
    exported = both_exports(learner_client)
    assert "Asia/Tokyo" not in exported
    assert "charlie@example.com" not in exported


def test_csv_export_lists_followed_roadmaps_in_the_learners_order(
    learner_client, learner, outsider
):
    for slug in ("python", "llm"):
        follow_roadmap(learner=learner, roadmap=RoadmapFactory(slug=slug))
    follow_roadmap(learner=outsider, roadmap=RoadmapFactory(slug="charlies-roadmap"))

    assert export_json(learner_client)["followed_roadmaps"] == ["python", "llm"]
    assert [row["roadmap"] for row in export_csv(learner_client, "follow")] == ["python", "llm"]
    assert "charlies-roadmap" not in both_exports(learner_client)


def test_exports_keep_a_follow_of_a_roadmap_archived_since(learner_client, learner):
    for slug in ("python", "retired"):
        follow_roadmap(learner=learner, roadmap=RoadmapFactory(slug=slug))
    Roadmap.objects.filter(slug="retired").update(archived_at=WHEN)

    assert export_json(learner_client)["followed_roadmaps"] == ["python", "retired"]
    assert [row["roadmap"] for row in export_csv(learner_client, "follow")] == ["python", "retired"]


def test_exports_hold_the_learners_cohorts(learner_client, learner, cohort):
    other = CohortFactory(name="Evening cohort", roadmap__slug="python")
    MembershipFactory(cohort=other, learner=learner, share_notes=True, joined_at=WHEN)

    cohorts = export_json(learner_client)["cohorts"]
    assert [(c["cohort"], c["share_notes"]) for c in cohorts] == [
        ("Evening cohort", True),
        ("Spring cohort", False),
    ]
    assert cohorts[0]["roadmap"] == "python"
    rows = {row["cohort"]: row for row in export_csv(learner_client, "cohort")}
    assert set(rows) == {"Evening cohort", "Spring cohort"}
    assert rows["Evening cohort"]["share_notes"] == "True"
    assert rows["Evening cohort"]["at"] == "2026-03-02T18:00:00+00:00"


def test_exports_never_hold_another_learners_cohorts(learner_client, outsider):
    MembershipFactory(cohort__name="Charlie's cohort", learner=outsider)
    assert export_json(learner_client)["cohorts"] == []
    assert export_csv(learner_client, "cohort") == []
    assert "Charlie's cohort" not in both_exports(learner_client)


def test_exports_hold_the_learners_stored_weekly_plans(learner_client, learner, tracked):
    concept, project = tracked
    first, second = WeekPlanFactory.create_batch(2, learner=learner, weekly_hours=6)
    first.review_hours = 2
    first.entries = [
        {"item": concept.pk, "title": "Tokenizers", "hours": 4},
        {"item": project.pk, "title": "Chatbot", "hours": 2, "continues_next": True},
    ]
    first.save()

    weeks = export_json(learner_client)["week_plans"]
    assert [week["week_start"] for week in weeks] == [
        str(first.week_start),
        str(second.week_start),
    ]
    assert weeks[0]["weekly_hours"] == 6
    assert (weeks[0]["review_hours"], weeks[1]["review_hours"]) == (2, None)
    assert [
        (e["roadmap"], e["item"], e["item_title"], e["hours"]) for e in weeks[0]["entries"]
    ] == [
        ("llm", "tokenizers", "Tokenizers", 4),
        ("llm", "chatbot", "Chatbot", 2),
    ]
    assert weeks[0]["entries"][1]["continues_next"] is True
    assert weeks[1]["entries"] == []
    rows = export_csv(learner_client, "plan")
    assert [(row["week_start"], row["item"], row["hours"]) for row in rows] == [
        (str(first.week_start), "tokenizers", "4"),
        (str(first.week_start), "chatbot", "2"),
    ]
    assert rows[0]["weekly_hours"] == "6"


def test_exports_never_hold_another_learners_weekly_plans(learner_client, outsider, tracked):
    concept, _ = tracked
    WeekPlanFactory(
        learner=outsider, entries=[{"item": concept.pk, "title": "Charlie's week", "hours": 3}]
    )
    assert export_json(learner_client)["week_plans"] == []
    assert export_csv(learner_client, "plan") == []
    assert "Charlie's week" not in both_exports(learner_client)


def test_exports_hold_the_nudges_the_learner_received_dismissed_or_not(
    learner_client, learner, mentor, cohort
):
    NudgeFactory(
        cohort=cohort,
        mentor=mentor,
        learner=learner,
        message="=Try the attention chapter",
        dismissed_at=WHEN + timedelta(hours=1),
    )
    NudgeFactory(
        cohort=cohort,
        mentor=None,
        learner=learner,
        message="Keep going!",
        created_at=WHEN + timedelta(days=1),
    )

    nudges = export_json(learner_client)["nudges"]
    # The dashboard names the mentor; a mentor whose account is gone is nobody.
    assert [(n["cohort"], n["mentor"], n["message"]) for n in nudges] == [
        ("Spring cohort", "Bob", "=Try the attention chapter"),
        ("Spring cohort", None, "Keep going!"),
    ]
    assert nudges[0]["dismissed_at"] == "2026-03-02T19:00:00Z"
    assert nudges[1]["dismissed_at"] is None
    rows = export_csv(learner_client, "nudge")
    assert [(row["mentor"], row["message"]) for row in rows] == [
        ("Bob", "'=Try the attention chapter"),
        ("", "Keep going!"),
    ]
    assert rows[0]["at"] == "2026-03-02T18:00:00+00:00"
    assert rows[0]["dismissed_at"] == "2026-03-02T19:00:00+00:00"


def test_exports_never_hold_nudges_to_another_learner(learner_client, outsider, mentor, cohort):
    NudgeFactory(cohort=cohort, mentor=mentor, learner=outsider, message="Charlie, wake up")
    assert export_json(learner_client)["nudges"] == []
    assert export_csv(learner_client, "nudge") == []
    assert "Charlie, wake up" not in both_exports(learner_client)


def test_exports_hold_project_submissions_with_the_mentors_feedback(
    learner_client, learner, mentor, cohort, tracked
):
    _, project = tracked
    ProjectReviewFactory(
        submission__learner=learner,
        submission__item=project,
        submission__cohort=cohort,
        submission__repo_url="https://github.com/alice/bot",
        submission__writeup="A chatbot over my notes.",
        mentor=mentor,
        decision=Decision.CHANGES_REQUESTED,
        comment="Add tests, please.",
    )
    ProjectSubmissionFactory(
        learner=learner,
        item=project,
        cohort=cohort,
        repo_url="https://github.com/alice/bot2",
        submitted_at=WHEN + timedelta(days=2),
    )

    submissions = export_json(learner_client)["project_submissions"]
    assert [(s["item"], s["repo_url"], s["state"]) for s in submissions] == [
        ("chatbot", "https://github.com/alice/bot", "changes_requested"),
        ("chatbot", "https://github.com/alice/bot2", "pending"),
    ]
    assert submissions[0]["writeup"] == "A chatbot over my notes."
    assert submissions[0]["cohort"] == "Spring cohort"
    assert submissions[0]["review"]["mentor"] == "Bob"
    assert submissions[0]["review"]["decision"] == "changes_requested"
    assert submissions[0]["review"]["comment"] == "Add tests, please."
    assert submissions[1]["review"] is None
    assert [
        (row["item_title"], row["repo_url"], row["status"])
        for row in export_csv(learner_client, "project_submission")
    ] == [
        ("Chatbot", "https://github.com/alice/bot", SubmissionState.CHANGES_REQUESTED),
        ("Chatbot", "https://github.com/alice/bot2", SubmissionState.PENDING),
    ]
    [review] = export_csv(learner_client, "project_review")
    assert (review["item"], review["mentor"], review["decision"], review["comment"]) == (
        "chatbot",
        "Bob",
        "changes_requested",
        "Add tests, please.",
    )
    assert review["at"] == "2026-03-02T18:00:00+00:00"


def test_exports_never_hold_another_learners_submissions_or_feedback(
    learner_client, outsider, mentor, tracked
):
    _, project = tracked
    ProjectReviewFactory(
        submission__learner=outsider,
        submission__item=project,
        submission__repo_url="https://github.com/charlie/bot",
        mentor=mentor,
        comment="Charlie's feedback",
    )
    assert export_json(learner_client)["project_submissions"] == []
    assert export_csv(learner_client, "project_submission") == []
    assert export_csv(learner_client, "project_review") == []
    exported = both_exports(learner_client)
    assert "github.com/charlie" not in exported
    assert "Charlie's feedback" not in exported


def test_exports_hold_the_learners_review_cards_and_every_rating(learner_client, learner, tracked):
    # Marking the concept done (in `tracked`) queued its card; she has rated it twice since.
    card = ReviewCard.objects.get(learner=learner)
    rate_card(learner=learner, card_id=card.pk, rating=Rating.HARD, now=WHEN)
    rate_card(learner=learner, card_id=card.pk, rating=Rating.GOOD, now=WHEN + timedelta(days=2))
    card.refresh_from_db()

    [exported] = export_json(learner_client)["review_cards"]
    assert (exported["roadmap"], exported["item"], exported["item_title"]) == (
        "llm",
        "tokenizers",
        "Tokenizers",
    )
    assert exported["reps"] == 2
    assert exported["due"] == card.due.isoformat().replace("+00:00", "Z")
    assert [(r["rating"], r["reviewed_at"]) for r in exported["ratings"]] == [
        ("hard", "2026-03-02T18:00:00Z"),
        ("good", "2026-03-04T18:00:00Z"),
    ]
    [row] = export_csv(learner_client, "review_card")
    assert (row["item_title"], row["reps"], row["due"]) == ("Tokenizers", "2", card.due.isoformat())
    rows = export_csv(learner_client, "review_rating")
    assert [(row["item"], row["rating"], row["at"]) for row in rows] == [
        ("tokenizers", "hard", "2026-03-02T18:00:00+00:00"),
        ("tokenizers", "good", "2026-03-04T18:00:00+00:00"),
    ]
    assert rows[-1]["due"] == card.due.isoformat()


def test_exports_never_hold_another_learners_review_cards_or_ratings(learner_client, outsider):
    ReviewLogFactory(
        card__learner=outsider, card__item__title="Charlie's concept", rating=Rating.EASY
    )
    assert export_json(learner_client)["review_cards"] == []
    assert export_csv(learner_client, "review_card") == []
    assert export_csv(learner_client, "review_rating") == []
    assert "Charlie's concept" not in both_exports(learner_client)


def give_rows_of_every_kind(learner, mentor, n: int) -> None:
    """`n` rows of each kind the export reads, each naming its own cohort and item."""
    for _ in range(n):
        cohort = CohortFactory(mentors=[mentor])
        MembershipFactory(cohort=cohort, learner=learner)
        item = ItemFactory(section__roadmap=cohort.roadmap)
        project = ItemFactory(section__roadmap=cohort.roadmap, kind=Item.Kind.PROJECT)
        follow_roadmap(learner=learner, roadmap=cohort.roadmap)
        set_status(learner=learner, item=item, status=Status.DONE)
        WeekPlanFactory(
            learner=learner, entries=[{"item": item.pk, "title": item.title, "hours": 2}]
        )
        NudgeFactory(cohort=cohort, mentor=mentor, learner=learner)
        ProjectReviewFactory(
            submission__learner=learner,
            submission__item=project,
            submission__cohort=cohort,
            mentor=mentor,
        )
        ReviewLogFactory(card=ReviewCardFactory(learner=learner, item=project))


@pytest.mark.parametrize("rows", [1, 4])
def test_export_runs_a_fixed_number_of_queries(
    learner_client, learner, mentor, rows, django_assert_max_num_queries
):
    give_rows_of_every_kind(learner, mentor, rows)
    # session (django_session), user, follows, progress with items, events with items,
    # cohorts, week plans, the items they name, nudges with cohort and mentor, submissions
    # with item, cohort and review, review cards with items, their ratings
    with django_assert_max_num_queries(12):
        learner_client.get(reverse("export_json"))
    with django_assert_max_num_queries(12):
        learner_client.get(reverse("export_csv"))
    assert len(export_json(learner_client)["review_cards"]) == rows * 2


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
