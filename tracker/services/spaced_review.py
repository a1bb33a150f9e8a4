"""Writes of spaced review: a finished concept's card, its removal, and a learner's rating."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Case, CharField, F, Value, When
from django.db.models.functions import Cast, Concat
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


@transaction.atomic(savepoint=False)  # called inside the import's transaction
def follow_topics() -> int:
    """Give every card the key its item has now (`topic_key`), after an import joined items
    into a topic or took one out: one card per learner and topic, as when it was made.

    Where two cards meet on one key (the learner had done both items before they were joined)
    the older one stays and the other's ratings move to it: no rating is lost. Returns how
    many cards changed; one query when none.
    """
    wanted = Case(
        When(item__topic="", then=Concat(Value("item:"), Cast("item_id", CharField()))),
        default=F("item__topic"),
        output_field=CharField(),
    )
    moving = list(
        ReviewCard.objects.alias(wanted_key=wanted)
        .exclude(topic_key=F("wanted_key"))
        .annotate(new_key=wanted)
        .order_by("created_at", "id")
    )
    if not moving:
        return 0
    staying = ReviewCard.objects.filter(
        learner_id__in={card.learner_id for card in moving},
        topic_key__in={card.new_key for card in moving},
    ).exclude(pk__in=[card.pk for card in moving])
    holder = {(card.learner_id, card.topic_key): card.pk for card in staying}
    rekeyed, merged = [], {}
    for card in moving:  # oldest first: the first card of a topic keeps it
        key = (card.learner_id, card.new_key)
        if key in holder:
            merged[card.pk] = holder[key]
        else:
            holder[key] = card.pk
            rekeyed.append(card)
    if merged:
        moves = [When(card_id=dropped, then=Value(kept)) for dropped, kept in merged.items()]
        ReviewLog.objects.filter(card_id__in=merged).update(card_id=Case(*moves))
        ReviewCard.objects.filter(pk__in=merged).delete()
    # Through a key no card holds, so that two cards swapping keys never meet.
    for card in rekeyed:
        card.topic_key, card.final_key = f"moving:{card.pk}", card.new_key
    ReviewCard.objects.bulk_update(rekeyed, ["topic_key"])
    for card in rekeyed:
        card.topic_key = card.final_key
    ReviewCard.objects.bulk_update(rekeyed, ["topic_key"])
    # Bulk writes send no signals: the dashboard and the plan count the cards.
    page_cache.invalidate(learners={card.learner_id for card in moving})
    return len(moving)


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
