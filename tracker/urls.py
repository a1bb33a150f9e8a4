from django.urls import include, path

from tracker.views import accounts, health, pages, roadmaps

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
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("me/", accounts.me, name="me"),
    path("me/export.json", accounts.export_json, name="export_json"),
    path("me/export.csv", accounts.export_csv, name="export_csv"),
    path("me/delete/", accounts.delete_me, name="delete_me"),
    # plan
    # cohorts
]
