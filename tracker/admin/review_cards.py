from datetime import timedelta

from django.contrib import admin
from django.utils import timezone

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


class ReviewLogInline(admin.TabularInline):
    """The learner's own ratings, newest first, read-only."""

    model = ReviewLog
    fields = ["rating", "reviewed_at", "next_due"]
    readonly_fields = fields
    ordering = ["-reviewed_at", "-id"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # The card's memory state was computed from these; they go only with the card.
        return False


@admin.register(ReviewCard)
class ReviewCardAdmin(admin.ModelAdmin):
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

    def get_queryset(self, request):
        # The change page names the same relations as the list: load them with the row.
        return super().get_queryset(request).select_related(*self.list_select_related)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="roadmap", ordering="item__roadmap__title")
    def roadmap(self, obj: ReviewCard):
        return obj.item.roadmap
