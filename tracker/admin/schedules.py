"""django-celery-beat's periodic tasks admin, saying so when the task queue is down."""

from django.contrib import admin, messages
from django_celery_beat.admin import PeriodicTaskAdmin as BeatPeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask
from kombu.exceptions import OperationalError

QUEUE_DOWN = "Couldn't queue the tasks: the task queue is unavailable. Try again later."

admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(BeatPeriodicTaskAdmin):
    @admin.action(description="Run selected tasks")
    def run_tasks(self, request, queryset):
        try:
            super().run_tasks(request, queryset)
        except OperationalError:
            self.message_user(request, QUEUE_DOWN, messages.ERROR)
