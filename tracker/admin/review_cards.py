from datetime import timedelta

from django.contrib import admin
from django.utils import timezone

from tracker.admin.records import ItemRecordAdmin, RecordInline
from tracker.models import ReviewCard, ReviewLog


class DueFilter(admin.SimpleListFilter):
    # The built-in date filter looks back (past 7 days); a card's due date looks ahead.
    title = "due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("now", "Due now"), ("week", "Within a week"), ("later", "Later")]

    def queryset(self, request, queryset):
        now = timezone.now()
        week = now + timedelta(days=7)
        if self.value() == "now":
            return queryset.filter(due__lte=now)
        if self.value() == "week":
            return queryset.filter(due__gt=now, due__lte=week)
        if self.value() == "later":
            return queryset.filter(due__gt=week)
        return queryset


class ReviewLogInline(RecordInline, admin.TabularInline):
    """The learner's own ratings, newest first. The card's memory state was computed from
    them: they go only with the card."""

    model = ReviewLog
    fields = ["rating", "reviewed_at", "next_due"]
    readonly_fields = fields
    ordering = ["-reviewed_at", "-id"]


@admin.register(ReviewCard)
class ReviewCardAdmin(ItemRecordAdmin):
    """Cards are made and rescheduled by the learner's ratings (services.spaced_review); staff
    look, or delete a card with its ratings, which takes the topic out of the learner's reviews
    until it is next marked done."""

    list_display = ["learner", "item", "roadmap", "due", "last_review", "reps"]
    list_filter = [DueFilter, "item__roadmap"]
    search_fields = ["learner__email", "item__title", "topic_key"]
    list_select_related = ["learner", "item__roadmap"]
    ordering = ["due", "id"]
    fields = [
        "learner",
        "item",
        "roadmap",
        "topic_key",
        "due",
        "last_review",
        "reps",
        "stability",
        "difficulty",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [ReviewLogInline]
