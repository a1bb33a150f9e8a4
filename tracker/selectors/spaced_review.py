"""Reads of spaced review: the learner's cards due today, and when the next one falls due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch

from tracker import reviews
from tracker.models import Rating, ReviewCard, User
from tracker.models.content import Resource

# The key resources a review shows: an item's first few, in the roadmap's order.
KEY_RESOURCES = 3


@dataclass
class ReviewQueue:
    due: list[ReviewCard]  # due by the end of the learner's today, longest overdue first
    next_due: datetime | None  # with nothing due today: when the next card is

    @property
    def current(self) -> ReviewCard | None:
        return self.due[0] if self.due else None

    @property
    def after_this(self) -> int:
        return max(0, len(self.due) - 1)


def review_queue(*, learner: User, now: datetime) -> ReviewQueue:
    """The cards due today, each with its item, roadmap, section and key resources.

    Queries: the due cards with their items, their resources; with none due, the next due.
    """
    end = reviews.end_of_today(now, learner.time_zone)
    resources = Resource.objects.order_by("order", "pk")
    due = list(
        ReviewCard.objects.for_learner(learner)
        .active()
        .due_by(end)
        .select_related("item__roadmap", "item__section")
        .prefetch_related(Prefetch("item__resources", queryset=resources))
        .order_by("due", "pk")
    )
    for card in due:
        card.key_resources = list(card.item.resources.all())[:KEY_RESOURCES]
    if due:
        due[0].choices = rating_choices(due[0], now=now, time_zone=learner.time_zone)
    next_due = None
    if not due:
        upcoming = ReviewCard.objects.for_learner(learner).active().filter(due__gt=end)
        next_due = upcoming.order_by("due").values_list("due", flat=True).first()
    return ReviewQueue(due=due, next_due=next_due)


@dataclass(frozen=True)
class RatingChoice:
    value: str
    label: str
    days: int  # when this rating would bring the card back, in the learner's calendar days


def rating_choices(card: ReviewCard, *, now: datetime, time_zone: str) -> list[RatingChoice]:
    """Each rating with the interval FSRS would give it now, so the buttons say what they do."""
    state = state_of(card)
    return [
        RatingChoice(
            value,
            label,
            reviews.days_until(
                reviews.after_rating(state, value, now=now).due, now=now, time_zone=time_zone
            ),
        )
        for value, label in Rating.choices
    ]


def state_of(card: ReviewCard) -> reviews.ReviewState:
    return reviews.ReviewState(card.stability, card.difficulty, card.due, card.last_review)
