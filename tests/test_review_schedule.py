"""Spaced review scheduling: FSRS glue, review time, and the week's review budget."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker import reviews

DONE_AT = datetime(2026, 3, 2, 18, tzinfo=UTC)


def test_a_concept_just_finished_is_first_due_days_later_not_minutes():
    state = reviews.first_review(DONE_AT)
    assert state.due - DONE_AT >= timedelta(days=1)
    assert state.last_review == DONE_AT


@given(st.datetimes(datetime(2000, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC)))
def test_the_first_review_is_what_fsrs_says_whenever_the_concept_was_done(done_at):
    assert reviews.first_review(done_at) == reviews._first_review_by_fsrs(done_at)


def test_good_recall_spaces_reviews_further_apart():
    first = reviews.first_review(DONE_AT)
    second = reviews.after_rating(first, "good", now=first.due)
    third = reviews.after_rating(second, "good", now=second.due)
    assert (third.due - second.due) > (second.due - first.due) > timedelta(days=1)


def test_forgetting_brings_the_review_back_sooner_than_remembering():
    first = reviews.first_review(DONE_AT)
    good = reviews.after_rating(first, "good", now=first.due)
    again = reviews.after_rating(first, "again", now=first.due)
    easy = reviews.after_rating(first, "easy", now=first.due)
    assert again.due < good.due < easy.due


def test_an_unknown_rating_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="again, hard, good, easy"):
        reviews.after_rating(reviews.first_review(DONE_AT), "perfect", now=DONE_AT)


def test_review_minutes_follow_the_estimate_within_bounds():
    assert reviews.review_minutes(1) == 10
    assert reviews.review_minutes(8) == 24
    assert reviews.review_minutes(40) == 30


def test_the_budget_reserves_whole_hours_for_due_reviews():
    budget = reviews.weekly_review_budget(10, [8, 8, 8])  # 72 minutes
    assert (budget.due_count, budget.minutes, budget.reserved_hours) == (3, 72, 2)
    assert budget.hours_for_new_work == 8
    assert not budget.capped


def test_reviews_never_claim_more_than_half_the_week():
    budget = reviews.weekly_review_budget(4, [40] * 20)  # 10 hours of reviews
    assert budget.reserved_hours == 2
    assert budget.hours_for_new_work == 2
    assert budget.capped


def test_no_reviews_due_reserves_nothing():
    budget = reviews.weekly_review_budget(6, [])
    assert (budget.reserved_hours, budget.hours_for_new_work) == (0, 6)


ratings = st.lists(
    st.tuples(st.sampled_from(list(reviews.RATINGS)), st.integers(-3, 60)), max_size=15
)


@given(ratings)
def test_no_review_is_ever_scheduled_in_the_past(steps):
    state = reviews.first_review(DONE_AT)
    now = DONE_AT
    assert state.due > now
    for rating, days_after_due in steps:
        # Learners review early, on time or weeks late; time never runs backwards.
        now = max(now, state.due + timedelta(days=days_after_due))
        state = reviews.after_rating(state, rating, now=now)
        assert state.due >= now + reviews.MIN_INTERVAL


@given(st.integers(0, 80), st.lists(st.integers(0, 60), max_size=40))
def test_reviews_and_new_work_never_exceed_the_weekly_hours(weekly_hours, due_estimates):
    budget = reviews.weekly_review_budget(weekly_hours, due_estimates)
    assert budget.reserved_hours + budget.hours_for_new_work == weekly_hours
    assert 0 <= budget.reserved_hours <= weekly_hours * reviews.MAX_REVIEW_SHARE
    assert budget.hours_for_new_work >= 0
