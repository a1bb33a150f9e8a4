from django.urls import path

from tracker.views import health, pages, roadmaps

# One block per area; each area's views live in tracker/views/<area>.py.
urlpatterns = [
    path("", pages.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("healthz/live", health.liveness, name="liveness"),
    # roadmaps (public)
    path("roadmaps/", roadmaps.roadmap_list, name="roadmap_list"),
    path("roadmaps/<slug:slug>/", roadmaps.roadmap_detail, name="roadmap_detail"),
    path("roadmaps/<slug:slug>/<slug:item_slug>/", roadmaps.item_detail, name="item_detail"),
    # accounts and /me/
    # plan
    # cohorts
]
