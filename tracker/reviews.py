"""Spaced review of finished concepts: the glue between our items and FSRS. No ORM here.

A concept that a learner marks done becomes a review card. FSRS (the `fsrs` package) decides
when it is next due from the learner's self-ratings. What is ours: when the first review falls
due, how long a review takes, and how much of a week's hours the reviews may claim.
"""

from __future__ import annotations

import functools
import math
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from fsrs import Card, Rating, Scheduler, State

from tracker import planning

RATINGS: dict[str, Rating] = {
    "again": Rating.Again,
    "hard": Rating.Hard,
    "good": Rating.Good,
    "easy": Rating.Easy,
}

# A concept takes hours to learn, not the seconds of a flashcard: FSRS's minute-long learning
# steps would ask for a review before the learner has left the page, so every card goes straight
# to day-long intervals. No fuzzing: a learner who asks "when is this due?" twice gets one answer.
SCHEDULER = Scheduler(
    learning_steps=(),
    relearning_steps=(),
    enable_fuzzing=False,
    maximum_interval=365,
)

# Nothing is due sooner than this after a rating, whatever the model says.
MIN_INTERVAL = timedelta(days=1)

# A review is re-reading the key resources and recalling the idea: a twentieth of the item's
# estimate, between 10 and 30 minutes.
MIN_REVIEW_MINUTES = 10
MAX_REVIEW_MINUTES = 30

# Reviews may claim at most this share of a week, so that new material always moves on.
MAX_REVIEW_SHARE = 0.5


@dataclass(frozen=True)
class ReviewState:
    """What we store per card: FSRS's memory state and the next due time."""

    stability: float
    difficulty: float
    due: datetime
    last_review: datetime


def _card(state: ReviewState) -> Card:
    return Card(
        state=State.Review,
        step=None,
        stability=state.stability,
        difficulty=state.difficulty,
        due=state.due,
        last_review=state.last_review,
    )


def _state(card: Card, *, now: datetime) -> ReviewState:
    # FSRS never schedules into the past, but a rating given late (say a week after the card
    # fell due) must not leave the card already overdue; MIN_INTERVAL makes that a rule.
    due = max(card.due, now + MIN_INTERVAL)
    return ReviewState(
        stability=card.stability,
        difficulty=card.difficulty,
        due=due,
        last_review=card.last_review or now,
    )


def first_review(done_at: datetime) -> ReviewState:
    """The card of a concept just marked done: finishing it counts as a first good recall.

    A new card's first "good" depends on nothing but when it was given, so FSRS works it out
    once (about a millisecond, on the click that marks a concept done) and each card moves it
    to its own time."""
    template, at = _first_review_template()
    return ReviewState(
        stability=template.stability,
        difficulty=template.difficulty,
        due=done_at + (template.due - at),
        last_review=done_at,
    )


@functools.cache
def _first_review_template() -> tuple[ReviewState, datetime]:
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    return _first_review_by_fsrs(at), at


def _first_review_by_fsrs(done_at: datetime) -> ReviewState:
    card, _log = SCHEDULER.review_card(Card(due=done_at), Rating.Good, done_at)
    return _state(card, now=done_at)


def after_rating(state: ReviewState, rating: str, *, now: datetime) -> ReviewState:
    """The card after the learner rates a review "again", "hard", "good" or "easy"."""
    if rating not in RATINGS:
        raise ValueError(f"unknown rating {rating!r}: use one of {', '.join(RATINGS)}")
    card, _log = SCHEDULER.review_card(_card(state), RATINGS[rating], now)
    return _state(card, now=now)


def review_minutes(estimated_hours: int) -> int:
    """How long one review of an item with this estimate takes."""
    minutes = round(estimated_hours * 60 / 20)
    return max(MIN_REVIEW_MINUTES, min(MAX_REVIEW_MINUTES, minutes))


@dataclass(frozen=True)
class ReviewBudget:
    """The review time a week reserves, and the hours left for new material."""

    due_count: int
    minutes: int  # what all due reviews would take
    reserved_hours: int  # whole hours taken out of the week for reviews
    hours_for_new_work: int

    @property
    def capped(self) -> bool:
        """True when the due reviews need more time than the week lets them claim."""
        return self.minutes > self.reserved_hours * 60


def weekly_review_budget(weekly_hours: int, due_estimates: list[int]) -> ReviewBudget:
    """Reserve whole hours for the reviews due this week, at most MAX_REVIEW_SHARE of the week.

    `due_estimates` are the estimated hours of the items whose reviews fall due this week.
    Planned new work plus reserved review time never exceeds `weekly_hours`.
    """
    weekly_hours = max(0, weekly_hours)
    minutes = sum(review_minutes(hours) for hours in due_estimates)
    cap = math.floor(weekly_hours * MAX_REVIEW_SHARE)
    reserved = min(math.ceil(minutes / 60), cap)
    return ReviewBudget(
        due_count=len(due_estimates),
        minutes=minutes,
        reserved_hours=reserved,
        hours_for_new_work=weekly_hours - reserved,
    )


def end_of_today(now: datetime, time_zone: str) -> datetime:
    """The last moment of the learner's local today: a card due by then is due today."""
    today = planning.local_date(now, time_zone)
    midnight = datetime.combine(
        today + timedelta(days=1), time.min, tzinfo=zoneinfo.ZoneInfo(time_zone)
    )
    return midnight - timedelta(microseconds=1)


def days_until(due: datetime, *, now: datetime, time_zone: str) -> int:
    """Calendar days from the learner's today to the day `due` falls on, in their zone."""
    return (planning.local_date(due, time_zone) - planning.local_date(now, time_zone)).days


def review_weeks(
    due: Iterable[tuple[datetime, int]], *, weekly_hours: int, time_zone: str, now: datetime
) -> dict[date, ReviewBudget]:
    """Each week's review budget by its Monday, from the cards' next due times and their items'
    estimated hours. Overdue cards count in the current week. Only a card's next review is
    known, so later weeks reserve for the cards due in them, not for reviews yet to be rated.
    """
    this_monday = planning.week_start(now, time_zone)
    estimates: dict[date, list[int]] = defaultdict(list)
    for due_at, hours in due:
        monday = max(planning.week_start(due_at, time_zone), this_monday)
        estimates[monday].append(hours)
    return {
        monday: weekly_review_budget(weekly_hours, hours) for monday, hours in estimates.items()
    }
