from django.contrib import admin

from tracker.admin.records import ItemRecordAdmin, RecordInline
from tracker.models import ProjectReview, ProjectSubmission


class ProjectReviewInline(RecordInline, admin.StackedInline):
    """The mentor's decision, shown read-only: it is the mentor's word to the learner. Never
    deleted alone: the submission would keep its decided state with no decision behind it."""

    model = ProjectReview
    fields = ["mentor", "decision", "comment", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        # The inline's heading is the review's __str__, which names the submission's learner
        # and item: load them with the mentor instead of one query each.
        return (
            super()
            .get_queryset(request)
            .select_related("mentor", "submission__learner", "submission__item")
        )


@admin.register(ProjectSubmission)
class ProjectSubmissionAdmin(ItemRecordAdmin):
    """Learners submit and mentors decide on their own pages; staff look, or delete a
    submission (and its review) such as a spam link."""

    list_display = [
        "learner",
        "item",
        "roadmap",
        "cohort",
        "state",
        "mentor",
        "submitted_at",
        "decided_at",
    ]
    list_filter = ["state", "review__decision", "item__roadmap", "submitted_at"]
    search_fields = ["learner__email", "item__title", "review__mentor__email"]
    date_hierarchy = "submitted_at"
    list_select_related = ["learner", "item__roadmap", "cohort", "review__mentor"]
    fields = [
        "learner",
        "item",
        "roadmap",
        "cohort",
        "repo_url",
        "writeup",
        "state",
        "submitted_at",
        "decided_at",
    ]
    readonly_fields = fields
    inlines = [ProjectReviewInline]

    @admin.display(description="mentor", ordering="review__mentor__email")
    def mentor(self, obj: ProjectSubmission):
        # A pending submission has no review yet; a review's mentor may have left (SET_NULL).
        review = getattr(obj, "review", None)
        return review.mentor if review and review.mentor else "–"
