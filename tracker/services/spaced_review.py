"""Writes of spaced review: a finished concept's card, its removal, and a learner's rating."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from tracker import page_cache, reviews
from tracker.models import Item, ReviewCard, ReviewLog, User
from tracker.models.review_cards import topic_key

# Projects are practice, judged by mentors; what is recalled is concepts and techniques.
REVIEWED_KINDS = frozenset({Item.Kind.CONCEPT, Item.Kind.TECHNIQUE})


def add_card(*, learner: User, item: Item, done_at: datetime) -> None:
    """Queue the concept the learner just finished for its first review (one query).

    Nothing for projects or with spaced review off. A shared topic gets one card, whichever
    of its items is marked done first: INSERT ... ON CONFLICT DO NOTHING on (learner, topic)
    keeps two racing clicks, or a twin's mirrored status, from making a second.
    """
    if item.kind not in REVIEWED_KINDS or not learner.spaced_review:
        return
    state = reviews.first_review(done_at)
    ReviewCard.objects.bulk_create(
        [
            ReviewCard(
                learner=learner,
                item=item,
                topic_key=topic_key(item),
                stability=state.stability,
                difficulty=state.difficulty,
                due=state.due,
                last_review=state.last_review,
            )
        ],
        ignore_conflicts=True,
    )
    # A bulk insert sends no signal: the dashboard and the plan count the cards.
    page_cache.invalidate(learners=[learner.pk])


def remove_cards(*, learner: User, item: Item) -> int:
    """The item is no longer done: its card (its topic's) and the card's ratings go."""
    deleted, _ = ReviewCard.objects.filter(learner=learner, topic_key=topic_key(item)).delete()
    return deleted


@transaction.atomic
def rate_card(
    *, learner: User, card_id: int, rating: str, now: datetime | None = None
) -> ReviewCard:
    """Record the learner's self-rating of one of their due cards and schedule its next review.

    Raises ReviewCard.DoesNotExist for another learner's card (the view's 404) and ValueError
    for an unknown rating. Two ratings of one card (two tabs) are applied one after the other.
    """
    now = now or timezone.now()
    card = ReviewCard.objects.select_for_update().get(pk=card_id, learner=learner)
    state = reviews.after_rating(
        reviews.ReviewState(card.stability, card.difficulty, card.due, card.last_review),
        rating,
        now=now,
    )  # ValueError for a rating that is not one of the four
    card.stability, card.difficulty = state.stability, state.difficulty
    card.due, card.last_review = state.due, state.last_review
    card.reps += 1
    card.save(update_fields=["stability", "difficulty", "due", "last_review", "reps"])
    ReviewLog.objects.create(card=card, rating=rating, reviewed_at=now, next_due=state.due)
    return card
