from django.contrib import admin

from tracker.admin.records import RecordAdmin
from tracker.models import WeekPlan


@admin.register(WeekPlan)
class WeekPlanAdmin(RecordAdmin):
    """Snapshots are written by the rollover and the plan page; staff look, or delete one to
    let the next hourly run (or the learner's next visit) plan that week afresh."""

    list_display = ["learner", "week_start", "weekly_hours", "planned_hours", "digest_sent_at"]
    list_filter = ["week_start"]
    search_fields = ["learner__email"]
    date_hierarchy = "week_start"
    list_select_related = ["learner"]
    readonly_fields = [
        "learner",
        "week_start",
        "weekly_hours",
        "review_hours",
        "entries",
        "created_at",
        "digest_sent_at",
    ]

    @admin.display(description="planned hours")
    def planned_hours(self, obj: WeekPlan) -> int:
        return obj.planned_hours
