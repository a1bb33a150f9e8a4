from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Roadmap Tracker"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The one hook that invalidates cached pages: every save and delete of what they show.
        from tracker import page_cache

        page_cache.connect_signals()
