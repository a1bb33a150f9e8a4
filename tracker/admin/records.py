from django.contrib import admin


class RecordAdmin(admin.ModelAdmin):
    """Rows that record what learners, mentors or the rollover did (plans, submissions, review
    cards): staff look, or delete one, and never add or edit, which would rewrite that record.
    The change page loads the same relations as the list, with the row."""

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.list_select_related)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ItemRecordAdmin(RecordAdmin):
    """A record about one item (a submission, a review card): its roadmap as a column."""

    @admin.display(description="roadmap", ordering="item__roadmap__title")
    def roadmap(self, obj):
        return obj.item.roadmap


class RecordInline:
    """For a record's inline parts (a review, ratings): read-only, and they go only with the
    record. Mixed in before the inline's layout class."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
