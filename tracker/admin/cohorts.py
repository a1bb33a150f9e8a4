from django.contrib import admin

from tracker.models import Cohort, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["learner"]
    fields = ["learner", "share_notes", "joined_at"]
    readonly_fields = ["joined_at"]


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "roadmap", "starts_on", "ends_on", "created_at"]
    list_filter = ["roadmap"]
    search_fields = ["name", "mentors__email"]
    # The admin adds mentors here; the user must have is_mentor (limit_choices_to).
    filter_horizontal = ["mentors"]
    readonly_fields = ["invite_code", "created_at"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["learner", "cohort", "share_notes", "joined_at"]
    list_filter = ["cohort", "share_notes"]
    search_fields = ["learner__email", "cohort__name"]
    autocomplete_fields = ["learner", "cohort"]
