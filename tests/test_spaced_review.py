"""Spaced review of finished concepts, over months of use: a concept done comes back for review,
ratings space the reviews out or bring them back, the plan keeps time for them, the digest
says so, and a learner can turn it all off.

Personas: Alice (learner) reviews; Charlie (outsider) must never reach her cards.
"""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import (
    ItemFactory,
    ResourceFactory,
    RoadmapFactory,
    SectionFactory,
)
from tracker import planning, reviews
from tracker.models import Item, ReviewCard, ReviewLog, Status, WeekPlan
from tracker.selectors import plans as plan_reads
from tracker.services import plans
from tracker.services.follows import follow_roadmap
from tracker.services.progress import set_status

# A Monday evening, 2 March 2026.
MONDAY = datetime(2026, 3, 2, 18, tzinfo=UTC)
REVIEW = "/review/"


@pytest.fixture
def concepts(db):
    section = SectionFactory(roadmap=RoadmapFactory(slug="llm", title="LLM Roadmap"))
    made = [
        ItemFactory(section=section, title=f"Concept {n}", slug=f"concept-{n}", effort_hours=8)
        for n in range(6)
    ]
    for n in range(4):
        ResourceFactory(item=made[0], title=f"Key resource {n}", order=n)
    return made


@pytest.fixture
def alice(learner, concepts):
    follow_roadmap(learner=learner, roadmap=concepts[0].roadmap)
    return learner


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def card_of(learner, item) -> ReviewCard:
    return ReviewCard.objects.get(learner=learner, topic_key=f"item:{item.pk}")


def rate(client, card, rating, **headers):
    return client.post(reverse("spaced_review_rate", args=[card.pk]), {"rating": rating}, **headers)


# ---- the queue --------------------------------------------------------------------------------


def test_a_concept_marked_done_comes_back_for_review_two_days_later(alice, concepts, time_machine):
    time_machine.move_to(MONDAY, tick=False)
    set_status(learner=alice, item=concepts[0], status=Status.DONE)

    card = card_of(alice, concepts[0])
    assert card.due - MONDAY == timedelta(days=2)
    page = client_of(alice).get(REVIEW).content.decode()
    assert "Nothing to review today; next review on Wednesday 4 March." in page

    time_machine.move_to(card.due, tick=False)
    page = client_of(alice).get(REVIEW).content.decode()
    assert "1 review due today" in page
    assert "Concept 0" in page and "LLM Roadmap" in page
    # Its key resources: the first three, in order.
    assert "Key resource 2" in page and "Key resource 3" not in page


def test_rating_good_review_after_review_spaces_them_further_apart_over_months(
    alice, concepts, time_machine
):
    time_machine.move_to(MONDAY, tick=False)
    set_status(learner=alice, item=concepts[0], status=Status.DONE)
    intervals = []
    for _ in range(4):
        card = card_of(alice, concepts[0])
        time_machine.move_to(card.due, tick=False)
        # Signed in afresh each time: months pass, and sessions expire.
        rate(client_of(alice), card, "good")
        intervals.append((card_of(alice, concepts[0]).due - card.due).days)

    assert intervals == sorted(intervals) and len(set(intervals)) == 4
    assert intervals[-1] > 100  # months apart by the fourth review
    assert ReviewLog.objects.filter(card__learner=alice).count() == 4
    assert card_of(alice, concepts[0]).reps == 4


def test_forgetting_brings_a_card_back_sooner_than_remembering(alice, concepts, time_machine):
    time_machine.move_to(MONDAY, tick=False)
    for item in concepts[:2]:
        set_status(learner=alice, item=item, status=Status.DONE)
    client = client_of(alice)
    forgot, remembered = card_of(alice, concepts[0]), card_of(alice, concepts[1])
    time_machine.move_to(forgot.due, tick=False)

    rate(client, forgot, "again")
    rate(client, remembered, "good")

    assert card_of(alice, concepts[0]).due < card_of(alice, concepts[1]).due
    assert card_of(alice, concepts[0]).due - forgot.due == timedelta(days=1)


def test_marking_a_concept_not_done_removes_its_card_and_ratings(alice, concepts, time_machine):
    time_machine.move_to(MONDAY, tick=False)
    set_status(learner=alice, item=concepts[0], status=Status.DONE)
    card = card_of(alice, concepts[0])
    time_machine.move_to(card.due, tick=False)
    rate(client_of(alice), card, "hard")

    set_status(learner=alice, item=concepts[0], status=Status.IN_PROGRESS)

    assert not ReviewCard.objects.filter(learner=alice).exists()
    assert not ReviewLog.objects.exists()
    # Done again, it starts over as a freshly finished concept.
    set_status(learner=alice, item=concepts[0], status=Status.DONE)
    assert card_of(alice, concepts[0]).reps == 0


@pytest.mark.parametrize("status", [Status.NOT_STARTED, Status.SKIPPED])
def test_any_status_but_done_takes_the_card_away(alice, concepts, status):
    set_status(learner=alice, item=concepts[0], status=Status.DONE)
    set_status(learner=alice, item=concepts[0], status=status)
    assert not ReviewCard.objects.exists()


def test_a_shared_topic_is_reviewed_once_whichever_roadmap_it_was_done_in(alice, concepts):
    other = SectionFactory(roadmap=RoadmapFactory(slug="data-science"))
    follow_roadmap(learner=alice, roadmap=other.roadmap)
    first = ItemFactory(section=concepts[0].section, topic="attention")
    twin = ItemFactory(section=other, topic="attention", kind=Item.Kind.TECHNIQUE)

    set_status(learner=alice, item=first, status=Status.DONE)
    set_status(learner=alice, item=twin, status=Status.DONE)  # already done: mirrored
    set_status(learner=alice, item=twin, status=Status.IN_PROGRESS)
    set_status(learner=alice, item=twin, status=Status.DONE)

    assert ReviewCard.objects.filter(learner=alice).count() == 1
    assert ReviewCard.objects.get(learner=alice).topic_key == "attention"
    set_status(learner=alice, item=first, status=Status.NOT_STARTED)
    assert not ReviewCard.objects.exists()


def test_projects_and_prerequisite_topics_are_never_reviewed(alice, concepts):
    for kind in (Item.Kind.PROJECT, Item.Kind.TOPIC):
        item = ItemFactory(section=concepts[0].section, kind=kind)
        set_status(learner=alice, item=item, status=Status.DONE)
    assert not ReviewCard.objects.exists()


def test_other_learners_have_their_own_cards(alice, concepts, outsider):
    set_status(learner=alice, item=concepts[0], status=Status.DONE)
    set_status(learner=outsider, item=concepts[0], status=Status.DONE)
    assert ReviewCard.objects.filter(topic_key=f"item:{concepts[0].pk}").count() == 2


# ---- /review/ ---------------------------------------------------------------------------------


@pytest.fixture
def due_cards(alice, concepts, time_machine):
    """Alice finished two concepts on Monday; it is Wednesday, both are due."""
    time_machine.move_to(MONDAY, tick=False)
    for item in concepts[:2]:
        set_status(learner=alice, item=item, status=Status.DONE)
    time_machine.move_to(MONDAY + timedelta(days=2), tick=False)
    return [card_of(alice, item) for item in concepts[:2]]


def test_rating_without_javascript_posts_and_comes_back_with_when_it_returns(alice, due_cards):
    client = client_of(alice)
    page = client.get(REVIEW).content.decode()
    assert "2 reviews due today: this one, then 1 more." in page
    # Each button says when that rating brings the card back.
    assert "back in 11 days" in page and "back in 1 day" in page

    response = rate(client, due_cards[0], "good")

    assert response.status_code == 302 and response["Location"] == REVIEW
    page = client.get(REVIEW).content.decode()
    assert "“Concept 0” rated good: next review in 11 days, on Sunday 15 March." in page
    assert "1 review due today" in page and "Concept 1" in page


def test_rating_with_htmx_swaps_the_card_for_the_next_in_place(alice, due_cards):
    client = client_of(alice)
    response = rate(client, due_cards[0], "easy", HTTP_HX_REQUEST="true")

    fragment = response.content.decode()
    assert response.status_code == 200
    assert fragment.lstrip().startswith('<div id="review-region"') and "<html" not in fragment
    assert "“Concept 0” rated easy: next review in 19 days" in fragment
    assert "Concept 1" in fragment

    response = rate(client, due_cards[1], "good", HTTP_HX_REQUEST="true")
    assert "Nothing to review today; next review on Sunday 15 March." in response.content.decode()


def test_another_learners_card_is_a_404_and_stays_as_it_was(alice, due_cards, outsider):
    response = rate(client_of(outsider), due_cards[0], "easy")
    assert response.status_code == 404
    assert card_of(alice, due_cards[0].item).reps == 0


def test_visitors_are_sent_to_sign_in(due_cards, client):
    for response in (client.get(REVIEW), rate(client, due_cards[0], "good")):
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not ReviewLog.objects.exists()


def test_the_rating_url_takes_only_post(alice, due_cards):
    assert (
        client_of(alice).get(reverse("spaced_review_rate", args=[due_cards[0].pk])).status_code
        == 405
    )


def test_a_rating_without_the_csrf_token_is_refused(alice, due_cards):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert rate(browser, due_cards[0], "good").status_code == 403
    assert not ReviewLog.objects.exists()


def test_an_unknown_rating_is_refused(alice, due_cards):
    assert rate(client_of(alice), due_cards[0], "perfect").status_code == 400
    assert not ReviewLog.objects.exists()


def test_the_dashboard_says_how_many_are_due_until_they_are_rated(
    alice, due_cards, django_capture_on_commit_callbacks
):
    client = client_of(alice)
    assert "2 reviews due today" in client.get("/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        rate(client, due_cards[0], "good")

    page = client.get("/").content.decode()  # the cached dashboard was invalidated
    assert "1 review due today" in page and 'href="/review/"' in page


# ---- the plan ---------------------------------------------------------------------------------


def test_the_plan_reserves_review_time_inside_the_weekly_hours(alice, concepts, time_machine):
    alice.weekly_hours = 6
    alice.save()
    time_machine.move_to(MONDAY - timedelta(days=7), tick=False)
    for item in concepts[:4]:  # due on Wednesday of last week, still not reviewed: overdue
        set_status(learner=alice, item=item, status=Status.DONE)
    more = [ItemFactory(section=concepts[0].section, effort_hours=5) for _ in range(4)]
    time_machine.move_to(MONDAY, tick=False)

    page = client_of(alice).get("/plan/").content.decode()

    # 4 reviews of 8 h concepts: 24 min each, 96 min, 2 whole hours.
    assert "4 due this week, about 2 h reserved of your 6 h" in page
    snapshot = WeekPlan.objects.get(learner=alice, week_start=date(2026, 3, 2))
    assert sum(entry["hours"] for entry in snapshot.entries) == 4
    position = plan_reads.where_am_i(alice, now=MONDAY)
    assert position.reviews_this_week.reserved_hours == 2
    # Mentors' tables and the rollover read the same result.
    assert plan_reads.plan_statuses([alice], now=MONDAY)[alice.pk] == position
    assert more  # the plan had more than 4 h of new work to offer


def test_reviews_never_take_more_than_half_the_week(alice, concepts, time_machine):
    alice.weekly_hours = 2
    alice.save()
    time_machine.move_to(MONDAY, tick=False)
    for item in concepts:
        set_status(learner=alice, item=item, status=Status.DONE)
    ItemFactory.create_batch(3, section=concepts[0].section, effort_hours=5)

    view = plan_reads.plan_view(learner=alice, now=MONDAY)

    assert view.position.reviews_this_week.reserved_hours == 1
    assert view.position.reviews_this_week.capped
    assert sum(entry["hours"] for entry in view.position.this_week) == 1


def test_future_weeks_keep_time_for_the_reviews_due_in_them(alice, concepts, time_machine):
    time_machine.move_to(MONDAY, tick=False)
    set_status(learner=alice, item=concepts[0], status=Status.DONE)
    card = card_of(alice, concepts[0])
    ReviewCard.objects.filter(pk=card.pk).update(due=MONDAY + timedelta(days=8))
    ItemFactory.create_batch(4, section=concepts[0].section, effort_hours=5)

    view = plan_reads.plan_view(learner=alice, now=MONDAY)

    next_week = view.upcoming.weeks[1]
    assert next_week.start == date(2026, 3, 9)
    assert (next_week.review_hours, next_week.hours) == (1, alice.weekly_hours - 1)


def test_the_weekly_rollover_plans_the_same_review_time(alice, concepts, time_machine):
    time_machine.move_to(MONDAY - timedelta(days=3), tick=False)
    for item in concepts[:3]:
        set_status(learner=alice, item=item, status=Status.DONE)
    ItemFactory.create_batch(3, section=concepts[0].section, effort_hours=5)
    chunk = plans.Chunk(first_id=alice.pk, last_id=alice.pk, time_zones=["UTC"])

    plans.plan_chunk(chunk=chunk, now=MONDAY)

    snapshot = WeekPlan.objects.get(learner=alice)
    expected = plan_reads.this_week_plan(alice, plan_reads.load_plan_inputs(alice), MONDAY)[
        "entries"
    ]
    assert snapshot.entries == expected
    assert sum(entry["hours"] for entry in expected) == alice.weekly_hours - 2
    assert snapshot.review_hours == 2  # what the list left room for, as /plan/ saves it


def test_reviews_that_come_due_mid_week_say_how_far_past_its_hours_they_take_the_week(
    alice, concepts, time_machine
):
    alice.weekly_hours = 6
    alice.save()
    client = client_of(alice)
    time_machine.move_to(MONDAY, tick=False)
    page = client.get("/plan/").content.decode()
    assert "none due this week" in page  # the list takes all 6 h
    # On Tuesday three concepts are done; their first reviews fall due on Thursday.
    time_machine.move_to(MONDAY + timedelta(days=1), tick=False)
    for item in concepts[1:4]:
        set_status(learner=alice, item=item, status=Status.DONE)

    page = client.get("/plan/").content.decode()

    # 3 reviews of 8 h concepts: 72 min, 2 whole hours on top of a 6 h list.
    assert "3 due this week, about 2 h reserved of your 6 h" in page
    assert "take the week 2 h past your 6 h" in page
    assert '<a href="#this-week">Re-plan this week</a>' in page

    client.post(reverse("plan_replan"))
    page = client.get("/plan/").content.decode()

    assert "3 due this week, about 2 h reserved of your 6 h" in page
    assert "past your 6 h" not in page
    snapshot = WeekPlan.objects.get(learner=alice, week_start=date(2026, 3, 2))
    assert snapshot.review_hours == 2
    assert snapshot.planned_hours <= 4


def test_the_digest_mentions_the_reviews_due_this_week(alice, concepts, time_machine):
    alice.digest_opt_in = True
    alice.save()
    time_machine.move_to(MONDAY - timedelta(days=1), tick=False)
    set_status(learner=alice, item=concepts[0], status=Status.DONE)
    time_machine.move_to(MONDAY, tick=False)

    assert plans.send_weekly_digest(learner=alice, now=MONDAY)

    message = mail.outbox[0]
    assert "1 review of concepts you finished due this week" in message.body
    assert "/review/" in message.body
    assert "1 review of concepts you finished" in message.alternatives[0][0]


# ---- turning it off ---------------------------------------------------------------------------


def test_turned_off_in_settings_nothing_is_queued_reserved_or_mentioned(
    alice, concepts, time_machine
):
    time_machine.move_to(MONDAY - timedelta(days=3), tick=False)
    set_status(learner=alice, item=concepts[0], status=Status.DONE)  # a card from before
    client = client_of(alice)
    form = {"time_zone": "UTC", "weekly_hours": 5, "theme": "system", "digest_opt_in": "on"}
    assert client.post("/me/", form).status_code == 302  # the box left unticked
    alice.refresh_from_db()
    assert not alice.spaced_review

    set_status(learner=alice, item=concepts[1], status=Status.DONE)
    time_machine.move_to(MONDAY, tick=False)

    assert ReviewCard.objects.filter(learner=alice).count() == 1
    page = client.get(REVIEW).content.decode()
    assert "Spaced review is off" in page and 'href="/me/#id_spaced_review"' in page
    assert "Reviews:" not in client.get("/plan/").content.decode()
    assert plan_reads.where_am_i(alice, now=MONDAY).reviews_this_week.reserved_hours == 0
    plans.send_weekly_digest(learner=alice, now=MONDAY)
    assert "review" not in mail.outbox[0].body.lower().replace("/review/", "")

    form["spaced_review"] = "on"
    client.post("/me/", form)
    assert "1 review due today" in client.get(REVIEW).content.decode()


def test_the_settings_page_offers_the_switch(alice):
    page = client_of(alice).get("/me/").content.decode()
    box = re.search(r'<input[^>]*name="spaced_review"[^>]*>', page).group(0)
    assert "checked" in box
    assert "Concepts you finish come back for a short review" in page


# ---- the planning invariant -------------------------------------------------------------------

items_strategy = st.lists(
    st.tuples(st.integers(1, 30), st.sampled_from(["not_started", "in_progress", "done"])),
    max_size=25,
)


@given(
    items_strategy,
    st.integers(1, 60),
    st.lists(st.integers(0, 80), max_size=12),
    st.dates(date(2026, 1, 1), date(2027, 1, 1)),
)
def test_a_plans_weekly_hours_reviews_included_never_exceed_the_budget(
    rows, weekly_hours, review_needs, today
):
    items = [
        planning.PlanItem(id=n, title=f"item {n}", hours=hours, status=status)
        for n, (hours, status) in enumerate(rows)
    ]
    monday = planning.week_start(today)
    # Reserved as the plan reserves it: each week's budget from the reviews due in it.
    review_hours = {
        monday + timedelta(weeks=week): reviews.weekly_review_budget(
            weekly_hours, [8] * count
        ).reserved_hours
        for week, count in enumerate(review_needs)
    }

    plan = planning.make_plan(
        items, weekly_hours=weekly_hours, today=today, review_hours=review_hours
    )

    for week in plan.weeks:
        assert week.review_hours == review_hours.get(week.start, 0)
        assert week.hours + week.review_hours <= weekly_hours
    # Every remaining hour is still planned, and reviews only ever push the finish later.
    assert sum(week.hours for week in plan.weeks) == plan.total_hours
    plain = planning.make_plan(items, weekly_hours=weekly_hours, today=today)
    if plan.projected_finish:
        assert plan.projected_finish >= plain.projected_finish
        assert planning.finish_of(plan, set(plan.order), today=today) == plan.projected_finish


@given(st.integers(1, 60), st.integers(0, 200))
def test_planning_leaves_at_least_an_hour_a_week_for_new_work(weekly_hours, reserved):
    items = [planning.PlanItem(id=1, title="big", hours=200)]
    monday = date(2026, 3, 2)
    plan = planning.make_plan(
        items, weekly_hours=weekly_hours, today=monday, review_hours={monday: reserved}
    )
    first = plan.weeks[0]
    assert first.hours >= 1 and first.hours + first.review_hours == weekly_hours
