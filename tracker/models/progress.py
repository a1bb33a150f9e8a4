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

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="progress"
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

    def __str__(self) -> str:
        return f"{self.learner} · {self.item}: {self.get_status_display()}"


class ProgressEvent(models.Model):
    """Every status change, kept so progress over time can be plotted and streaks computed."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="progress_events"
    )
    item = models.ForeignKey("tracker.Item", on_delete=models.PROTECT, related_name="events")
    status = models.CharField(max_length=20, choices=Status.choices)
    previous_status = models.CharField(max_length=20, choices=Status.choices)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["learner", "at"]),
            # The streak reads a learner's done events only, from the index alone.
            models.Index(fields=["learner", "status", "at"], name="progress_event_status_at"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.item}: {self.previous_status} → {self.status}"
