"""Admin pages for project reviews and spaced-review cards: staff find and read them, and
nobody adds or edits a learner's or mentor's record there."""

import pytest
from django.urls import reverse

from tests.factories import (
    ItemFactory,
    ProjectReviewFactory,
    ProjectSubmissionFactory,
    ReviewCardFactory,
    ReviewLogFactory,
    UserFactory,
)
from tracker.models import Decision, Rating

pytestmark = pytest.mark.django_db

SUBMISSIONS = "admin:tracker_projectsubmission_changelist"
CARDS = "admin:tracker_reviewcard_changelist"


@pytest.fixture
def review(learner, mentor):
    return ProjectReviewFactory(
        submission__learner=learner,
        submission__item__title="Build A Chatbot",
        mentor=mentor,
        decision=Decision.CHANGES_REQUESTED,
        comment="Add a README with how to run it.",
    )


@pytest.fixture
def card(learner):
    card = ReviewCardFactory(learner=learner, item__title="Attention Concept")
    ReviewLogFactory(card=card, rating=Rating.HARD)
    return card


def test_submission_list_shows_learner_item_cohort_and_decision(admin_client, review):
    html = admin_client.get(reverse(SUBMISSIONS)).content.decode()

    assert "Alice" in html
    assert "Build A Chatbot" in html
    assert review.submission.cohort.name in html
    assert "Changes requested" in html
    assert "Bob" in html  # the mentor who decided


def test_submission_page_shows_the_mentors_decision_read_only(admin_client, review):
    url = reverse("admin:tracker_projectsubmission_change", args=[review.submission.pk])

    response = admin_client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Alice" in html and "Build A Chatbot" in html
    assert "Ask for changes" in html
    assert "Add a README with how to run it." in html
    assert "<textarea" not in html and 'name="state"' not in html


@pytest.mark.parametrize(
    ("record", "changelist", "other", "found", "title_word"),
    [
        ("review", SUBMISSIONS, ProjectSubmissionFactory, "Build A Chatbot", "Chatbot"),
        ("card", CARDS, ReviewCardFactory, "Attention Concept", "Attention"),
    ],
    ids=["submissions", "review-cards"],
)
def test_search_finds_by_learner_email_and_item_title(
    admin_client, request, record, changelist, other, found, title_word
):
    request.getfixturevalue(record)  # Alice's record on `found`
    other(item__title="Unrelated Item")

    for query in ("alice@example.com", title_word):
        html = admin_client.get(reverse(changelist), {"q": query}).content.decode()
        assert found in html, query
        assert "Unrelated Item" not in html, query


def test_submission_list_filters_by_state_and_decision(admin_client, review):
    ProjectSubmissionFactory(item__title="Waiting Project")

    pending = admin_client.get(reverse(SUBMISSIONS), {"state__exact": "pending"}).content
    decided = admin_client.get(
        reverse(SUBMISSIONS), {"review__decision__exact": "changes_requested"}
    ).content

    assert "Waiting Project" in pending.decode() and "Build A Chatbot" not in pending.decode()
    assert "Build A Chatbot" in decided.decode() and "Waiting Project" not in decided.decode()


def test_card_list_and_page_show_learner_item_and_ratings(admin_client, card):
    listing = admin_client.get(reverse(CARDS)).content.decode()
    page = admin_client.get(reverse("admin:tracker_reviewcard_change", args=[card.pk]))

    assert "Alice" in listing and "Attention Concept" in listing
    assert page.status_code == 200
    assert "Attention Concept" in page.content.decode()
    assert "Hard" in page.content.decode()  # the rating, shown inline
    # The page's title names the card by its learner, as progress rows are, not by an id.
    title = page.content.decode().split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.startswith(f"Alice · {card.topic_key} due")


def test_card_list_filters_by_due_date(admin_client, card):
    # The factory's cards fell due in March 2026; this one is years ahead.
    ReviewCardFactory(item__title="Far Future Topic", due="2099-01-01T00:00Z")

    due_now = admin_client.get(reverse(CARDS), {"due": "now"}).content.decode()
    later = admin_client.get(reverse(CARDS), {"due": "later"}).content.decode()

    assert "Attention Concept" in due_now and "Far Future Topic" not in due_now
    assert "Far Future Topic" in later and "Attention Concept" not in later


@pytest.mark.parametrize("model_name", ["projectsubmission", "reviewcard"])
def test_reviews_cannot_be_added_or_edited_in_the_admin(admin_client, model_name, review, card):
    obj = {"projectsubmission": review.submission, "reviewcard": card}[model_name]
    change = reverse(f"admin:tracker_{model_name}_change", args=[obj.pk])

    assert admin_client.get(reverse(f"admin:tracker_{model_name}_add")).status_code == 403
    assert admin_client.post(change, {}).status_code == 403


@pytest.mark.parametrize("url_name", [SUBMISSIONS, CARDS])
def test_learners_get_the_admin_login_for_review_pages(learner_client, url_name):
    response = learner_client.get(reverse(url_name))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def _rows(model_name: str, count: int) -> None:
    if model_name == "projectsubmission":
        for _ in range(count):
            ProjectReviewFactory()
    else:
        for _ in range(count):
            ReviewLogFactory()


@pytest.mark.parametrize("model_name", ["projectsubmission", "reviewcard"])
def test_review_changelists_cost_the_same_queries_for_1_and_5_rows(
    admin_client, model_name, django_assert_max_num_queries
):
    # session, user, the roadmap filter's choices, count, filtered count, the rows (learner,
    # item, roadmap, cohort, review and mentor joined); submissions add the date hierarchy's
    # first date and its days: 8 at most, at any size.
    url = reverse(f"admin:tracker_{model_name}_changelist")
    counts = []
    for size in (1, 4):  # 1 row, then 5
        _rows(model_name, size)
        admin_client.get(url)  # warm per-process caches (content types) before counting
        with django_assert_max_num_queries(8) as captured:
            assert admin_client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_a_card_page_costs_the_same_queries_for_1_and_5_ratings(
    admin_client, card, django_assert_max_num_queries
):
    # session, user, the card (learner, item, roadmap joined), its ratings.
    url = reverse("admin:tracker_reviewcard_change", args=[card.pk])
    counts = []
    for extra in (0, 4):
        for _ in range(extra):
            ReviewLogFactory(card=card)
        admin_client.get(url)
        with django_assert_max_num_queries(4) as captured:
            assert admin_client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_a_submission_page_costs_the_same_queries_as_a_pending_one(
    admin_client, review, django_assert_max_num_queries
):
    # session, user, the submission (learner, item, roadmap, cohort, review, mentor joined),
    # the inline's review (its mentor and heading joined): decided or pending alike.
    pending = ProjectSubmissionFactory(item=ItemFactory(title="Waiting Project"))
    counts = []
    for submission in (pending, review.submission):
        url = reverse("admin:tracker_projectsubmission_change", args=[submission.pk])
        admin_client.get(url)
        with django_assert_max_num_queries(4) as captured:
            assert admin_client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_deleting_a_submission_takes_its_review_along(admin_client, review):
    url = reverse("admin:tracker_projectsubmission_delete", args=[review.submission.pk])

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not type(review).objects.exists()


def test_staff_without_a_superusers_rights_are_refused_review_pages(client, db):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)

    assert client.get(reverse(SUBMISSIONS)).status_code == 403
