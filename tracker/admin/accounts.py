from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from tracker.models import AuthAttempt, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "is_mentor", "is_staff", "date_joined"]
    list_filter = ["is_mentor", "is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "display_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            "Profile",
            {
                "fields": [
                    "display_name",
                    "time_zone",
                    "weekly_hours",
                    "target_date",
                    "digest_opt_in",
                ]
            },
        ),
        (
            "Roles",
            {
                "fields": [
                    "is_active",
                    "is_mentor",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ]
            },
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(AuthAttempt)
class AuthAttemptAdmin(admin.ModelAdmin):
    """Who is being refused and why; deleting an account's rows lifts its sign-in limits."""

    list_display = ["at", "kind", "email", "ip_address"]
    list_filter = ["kind"]
    search_fields = ["email", "ip_address"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
