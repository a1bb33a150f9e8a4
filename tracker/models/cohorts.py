"""Cohorts: a group of learners on one roadmap, followed by one or more mentors."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone


def new_invite_code() -> str:
    # 24 bytes = 192 bits: unguessable, and still a short enough link to paste in a chat.
    return secrets.token_urlsafe(24)


class CohortQuerySet(models.QuerySet):
    def mentored_by(self, user):
        """Cohorts `user` mentors; the only cohorts whose learners' data they may see.

        Taking away the mentor role in the admin takes away access at once, without having
        to remove the user from each cohort.
        """
        if not user.is_authenticated or not user.is_mentor:
            return self.none()
        return self.filter(mentors=user)

    def joined_by(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__learner=user)


class Cohort(models.Model):
    name = models.CharField(max_length=120)
    roadmap = models.ForeignKey("tracker.Roadmap", on_delete=models.PROTECT, related_name="cohorts")
    mentors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="mentored_cohorts",
        limit_choices_to={"is_mentor": True},
        help_text="Mentors see every member's statuses, dates and plan status.",
    )
    learners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="cohorts", blank=True
    )
    invite_code = models.CharField(max_length=64, unique=True, default=new_invite_code)
    starts_on = models.DateField("start date", null=True, blank=True)
    ends_on = models.DateField("end date", null=True, blank=True)
    projects_need_approval = models.BooleanField(
        "projects count as done only when a mentor approves them",
        default=False,
        help_text=(
            "Learners submit each project of this roadmap for review; approval marks it done, "
            "and they can't mark it done themselves."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CohortQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_on__isnull=True)
                | models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="cohort_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("cohort_dashboard", args=[self.pk])

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "The end date can't be before the start date."})

    def get_invite_path(self) -> str:
        return reverse("cohort_join", args=[self.invite_code])


class Membership(models.Model):
    """A learner in a cohort. Notes stay private unless `share_notes` is ticked."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="memberships")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    share_notes = models.BooleanField("share notes with my mentors", default=False)
    # A default rather than auto_now_add, so demo data and tests can date a membership.
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["cohort", "joined_at"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "learner"], name="membership_once_per_cohort")
        ]

    def __str__(self) -> str:
        return f"{self.learner} in {self.cohort}"


class CohortMilestone(models.Model):
    """A cohort's week-by-week target: `item` is due by the end of the cohort's week
    `week_number` (week 1 begins on the cohort's start date)."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="milestones")
    week_number = models.PositiveSmallIntegerField()
    item = models.ForeignKey("tracker.Item", on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["cohort", "week_number", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "item"], name="milestone_item_once_per_cohort"
            ),
            models.CheckConstraint(
                condition=models.Q(week_number__gte=1), name="milestone_week_from_one"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cohort}: week {self.week_number}"
