"""Project reviews: a learner submits a project, a mentor of their cohort approves it or asks
for changes. Nothing is overwritten: a resubmission is a new submission, so the history stays."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

# What people type, in characters. Forms show the limits; the database holds them too.
REPO_URL_MAX = 500
WRITEUP_MAX = 5_000
COMMENT_MAX = 5_000


class SubmissionState(models.TextChoices):
    PENDING = "pending", "Waiting for review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"


class Decision(models.TextChoices):
    APPROVED = "approved", "Approve"
    CHANGES_REQUESTED = "changes_requested", "Ask for changes"


class ProjectSubmission(models.Model):
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_submissions"
    )
    # PROTECT, as for progress: content changes archive items, they never take history along.
    item = models.ForeignKey(
        "tracker.Item", on_delete=models.PROTECT, related_name="project_submissions"
    )
    # The cohort the learner submitted in, for the mentor's list; who may review it is decided
    # by the learner's memberships now (selectors.project_reviews), not by this column.
    cohort = models.ForeignKey(
        "tracker.Cohort",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="project_submissions",
    )
    repo_url = models.URLField("repository link", max_length=REPO_URL_MAX)
    writeup = models.TextField("write-up", blank=True)
    state = models.CharField(
        max_length=20, choices=SubmissionState.choices, default=SubmissionState.PENDING
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            # One submission waiting per learner and item: a double click can't queue two.
            models.UniqueConstraint(
                fields=["learner", "item"],
                condition=models.Q(state=SubmissionState.PENDING),
                name="project_submission_one_pending",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("writeup"), WRITEUP_MAX),
                name="project_submission_writeup_max",
            ),
        ]
        indexes = [
            # The review queue: pending, oldest first.
            models.Index(fields=["state", "submitted_at"], name="project_submission_queue"),
            models.Index(fields=["learner", "item"], name="project_submission_learner"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.item}: {self.get_state_display()}"


class ProjectReview(models.Model):
    """A mentor's decision on one submission; one at most, so a decision can't be made twice."""

    submission = models.OneToOneField(
        ProjectSubmission, on_delete=models.CASCADE, related_name="review"
    )
    # SET_NULL: the learner keeps the feedback when the mentor's account goes.
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="project_reviews",
    )
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("comment"), COMMENT_MAX),
                name="project_review_comment_max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()}: {self.submission}"
