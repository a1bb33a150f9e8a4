from django.urls import path

from tracker.views import health, pages

# One block per area; each area's views live in tracker/views/<area>.py.
urlpatterns = [
    path("", pages.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("healthz/live", health.liveness, name="liveness"),
    # roadmaps (public)
    # accounts and /me/
    # plan
    # cohorts
]
