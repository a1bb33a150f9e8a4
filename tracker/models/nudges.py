"""Mentors acting on what they see: nudges to learners, and the weekly mentor digest's record."""

from django.conf import settings
from django.db import models

# A nudge is a short push, not a letter; the form and the email both show the limit.
NUDGE_MESSAGE_MAX = 500


class NudgeQuerySet(models.QuerySet):
    def for_learner(self, learner):
        return self.filter(learner=learner)

    def showing(self):
        """Still on the learner's dashboard: not dismissed yet."""
        return self.filter(dismissed_at__isnull=True)


class Nudge(models.Model):
    """A short message from a mentor of a cohort to one of its learners.

    Kept after it is dismissed: the mentors' per-learner page logs every nudge sent.
    """

    cohort = models.ForeignKey("tracker.Cohort", on_delete=models.CASCADE, related_name="nudges")
    # A mentor's account may go; the learner's copy and the cohort's log stay.
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="nudges_sent",
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="nudges"
    )
    message = models.CharField(max_length=NUDGE_MESSAGE_MAX)
    created_at = models.DateTimeField()
    dismissed_at = models.DateTimeField(null=True, blank=True)
    # Claimed before the email is sent, so a retried task never sends it twice; stays empty
    # when the learner turned nudge emails off.
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NudgeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The rate limits: a learner's last day, a mentor's last day.
            models.Index(fields=["learner", "created_at"], name="nudge_learner_created"),
            models.Index(fields=["mentor", "created_at"], name="nudge_mentor_created"),
            models.Index(fields=["cohort", "learner", "created_at"], name="nudge_cohort_log"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(message__regex=r"\S"), name="nudge_message_not_blank"
            )
        ]

    def __str__(self) -> str:
        return f"Nudge to {self.learner} from {self.mentor or 'a former mentor'}"


class MentorDigest(models.Model):
    """One mentor's weekly digest for one week: the rollover's idempotence guard, and what the
    next week's digest compares with.

    `state` is {cohort id (str): {"at_risk": [learner ids], "finished": [learner ids]}}, as
    they were when this digest was worked out.
    """

    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentor_digests"
    )
    week_start = models.DateField(help_text="The Monday, in the mentor's time zone.")
    created_at = models.DateTimeField(auto_now_add=True)
    # Claimed before sending (the same marker as WeekPlan.digest_sent_at); a failed send
    # gives it back.
    sent_at = models.DateTimeField(null=True, blank=True)
    # False when nothing changed: the week is recorded, no email went out.
    emailed = models.BooleanField(default=False)
    state = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["mentor", "week_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["mentor", "week_start"], name="mentor_digest_once_a_week"
            )
        ]

    def __str__(self) -> str:
        return f"Mentor digest for {self.mentor} · week of {self.week_start:%Y-%m-%d}"
