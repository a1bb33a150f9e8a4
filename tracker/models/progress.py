from django.conf import settings
from django.db import models


class Status(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"


class ProgressQuerySet(models.QuerySet):
    def for_learner(self, learner):
        return self.filter(learner=learner)

    def done(self):
        return self.filter(status=Status.DONE)

    def finished(self):
        """Done or skipped: what the planner and 'next up' treat as out of the way."""
        return self.filter(status__in=[Status.DONE, Status.SKIPPED])


class Progress(models.Model):
    """A learner's state on one item. One row per learner and item, enforced by the database."""

    # No index of its own: progress_one_per_item starts with the learner. Every status change
    # rewrites each index of the row (the status is indexed, so no update is HOT).
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="progress", db_index=False
    )
    # PROTECT: content changes archive items, they never take progress with them.
    item = models.ForeignKey("tracker.Item", on_delete=models.PROTECT, related_name="progress")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    skip_reason = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    project_url = models.URLField(max_length=500, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProgressQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "progress"
        constraints = [
            models.UniqueConstraint(fields=["learner", "item"], name="progress_one_per_item")
        ]
        indexes = [
            # A learner's items done since a date, read from the index alone: how far behind
            # the weekly plan each member of a cohort is (selectors/cohort_dashboard.py).
            models.Index(
                fields=["learner", "status", "completed_at", "item"],
                name="progress_learner_status_at",
            )
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.item}: {self.get_status_display()}"


class ProgressEvent(models.Model):
    """Every status change, kept so progress over time can be plotted and streaks computed."""

    # No index of its own: progress_event_learner_at starts with the learner.
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="progress_events",
        db_index=False,
    )
    item = models.ForeignKey("tracker.Item", on_delete=models.PROTECT, related_name="events")
    status = models.CharField(max_length=20, choices=Status.choices)
    previous_status = models.CharField(max_length=20, choices=Status.choices)
    # No index of its own: every read of events is one learner's (progress_event_learner_at)
    # or one item's, and each click inserts an event into every index.
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]
        indexes = [
            # A learner's history in time order. Item and status ride along (after the unique
            # id they never change the order) so that the dashboard's streak and chart read
            # the index alone: a few pages, however big the table.
            models.Index(
                fields=["learner", "at", "id", "item", "status"], name="progress_event_learner_at"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.item}: {self.previous_status} → {self.status}"
