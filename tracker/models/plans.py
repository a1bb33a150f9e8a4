from django.conf import settings
from django.db import models


class WeekPlanQuerySet(models.QuerySet):
    def for_learner(self, learner):
        return self.filter(learner=learner)


class WeekPlan(models.Model):
    """The snapshot of one learner's plan for one week, saved when the week begins.

    The current week's list stays put while the learner works (only statuses change), and past
    weeks can show planned against done. Future weeks are never stored: they are recomputed
    from current progress on every view.

    `entries` is a list of {"item": id, "title": str, "hours": int, "continues_from_previous":
    bool, "continues_next": bool}, in study order. Titles are copied so a past week still
    reads well after content changes.
    """

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="week_plans"
    )
    week_start = models.DateField(help_text="The Monday, in the learner's time zone.")
    weekly_hours = models.PositiveSmallIntegerField(help_text="The budget when it was planned.")
    # Reviews that come due after the list was made are told apart by this: the list left room
    # for these hours only. None: saved before snapshots kept it.
    review_hours = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The hours it reserved for spaced review when planned."
    )
    entries = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once the weekly digest for this week went out: the rollover's idempotence marker.
    digest_sent_at = models.DateTimeField(null=True, blank=True)

    objects = WeekPlanQuerySet.as_manager()

    class Meta:
        ordering = ["learner", "week_start"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "week_start"], name="week_plan_once_a_week")
        ]

    def __str__(self) -> str:
        return f"{self.learner} · week of {self.week_start:%Y-%m-%d}"

    @property
    def planned_hours(self) -> int:
        return sum(entry["hours"] for entry in self.entries)

    @property
    def item_ids(self) -> list[int]:
        return [entry["item"] for entry in self.entries]
