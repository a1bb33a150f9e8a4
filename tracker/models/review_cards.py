"""Spaced review of finished concepts: one card per learner and piece of knowledge, with the
FSRS memory state that says when it is next due (tracker/reviews.py), and every rating given.

Not to be confused with project reviews (project_reviews.py), which mentors give.
"""

from django.conf import settings
from django.db import models


class Rating(models.TextChoices):
    AGAIN = "again", "Again"
    HARD = "hard", "Hard"
    GOOD = "good", "Good"
    EASY = "easy", "Easy"


def topic_key(item) -> str:
    """What one card stands for: a shared topic once, whichever roadmap it was done in."""
    return item.topic or f"item:{item.pk}"


class ReviewCardQuerySet(models.QuerySet):
    def for_learner(self, learner):
        return self.filter(learner=learner)

    def due_by(self, moment):
        return self.filter(due__lte=moment)

    def active(self):
        """Cards of items still in their roadmap (an archived item is not reviewed)."""
        return self.filter(item__archived_at__isnull=True)


class ReviewCard(models.Model):
    # No index of its own: review_card_one_per_topic and review_card_learner_due start with it.
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="review_cards",
        db_index=False,
    )
    # The item first finished; a shared topic's twins share this card through `topic_key`.
    item = models.ForeignKey("tracker.Item", on_delete=models.CASCADE, related_name="review_cards")
    topic_key = models.CharField(max_length=90)
    stability = models.FloatField()
    difficulty = models.FloatField()
    due = models.DateTimeField()
    last_review = models.DateTimeField()
    reps = models.PositiveIntegerField(default=0, help_text="Reviews rated so far.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReviewCardQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "topic_key"], name="review_card_one_per_topic"
            ),
        ]
        indexes = [models.Index(fields=["learner", "due"], name="review_card_learner_due")]

    def __str__(self) -> str:
        # As Progress names itself: the admin's titles, breadcrumbs and delete confirmations.
        return f"{self.learner} · {self.topic_key} due {self.due:%Y-%m-%d}"


class ReviewLog(models.Model):
    """One self-rating, kept for the learner's history (deleted with its card)."""

    # No index of its own: review_log_card_at starts with it.
    card = models.ForeignKey(
        ReviewCard, on_delete=models.CASCADE, related_name="logs", db_index=False
    )
    rating = models.CharField(max_length=5, choices=Rating.choices)
    reviewed_at = models.DateTimeField()
    # When the rating sent the card next: what the learner was told.
    next_due = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["card", "reviewed_at"], name="review_log_card_at")]

    def __str__(self) -> str:
        return f"{self.card_id}: {self.rating} at {self.reviewed_at:%Y-%m-%d %H:%M}"
