from django.urls import include, path

from tracker.views import (
    accounts,
    cohorts,
    follows,
    health,
    nudges,
    pages,
    plans,
    progress,
    project_reviews,
    roadmaps,
    search,
    spaced_review,
)

# One block per area; each area's views live in tracker/views/<area>.py.
# Parameters are <slug:…> or <int:…>, never <str:…>: those can't carry a NUL byte or other
# control characters into a query (PostgreSQL refuses NUL: a 500), so bad values are a 404.
# Tokens and invite codes are secrets.token_urlsafe(), which is exactly the slug alphabet.
urlpatterns = [
    path("", pages.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("healthz/live", health.liveness, name="liveness"),
    # roadmaps (public)
    path("roadmaps/", roadmaps.roadmap_list, name="roadmap_list"),
    path("roadmaps/<slug:slug>/", roadmaps.roadmap_detail, name="roadmap_detail"),
    # Before the item pages: "map" is a reserved item slug (content_io/schema.py).
    path("roadmaps/<slug:slug>/map/", roadmaps.roadmap_map, name="roadmap_map"),
    path("roadmaps/<slug:slug>/follow/", follows.follow, name="roadmap_follow"),
    path("roadmaps/<slug:slug>/unfollow/", follows.unfollow, name="roadmap_unfollow"),
    path("me/roadmaps/", follows.my_roadmaps, name="my_roadmaps"),
    path("me/roadmaps/choose/", follows.choose_roadmaps, name="choose_roadmaps"),
    path("me/roadmaps/<slug:slug>/move/", follows.move, name="follow_move"),
    path("roadmaps/<slug:slug>/<slug:item_slug>/", roadmaps.item_detail, name="item_detail"),
    path("search/", search.search_page, name="search"),
    # accounts and /me/
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/password_reset/", accounts.password_reset, name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("me/", accounts.me, name="me"),
    path("me/theme/", accounts.set_theme, name="set_theme"),
    path("me/export.json", accounts.export_json, name="export_json"),
    path("me/export.csv", accounts.export_csv, name="export_csv"),
    path("me/delete/", accounts.delete_me, name="delete_me"),
    path(
        "roadmaps/<slug:slug>/<slug:item_slug>/status/",
        progress.set_item_status,
        name="set_item_status",
    ),
    path(
        "roadmaps/<slug:slug>/<slug:item_slug>/note/",
        progress.save_item_note,
        name="save_item_note",
    ),
    path(
        "roadmaps/<slug:slug>/<slug:item_slug>/review/",
        project_reviews.submit_project,
        name="submit_project",
    ),
    # plan
    path("plan/", plans.plan, name="plan"),
    path("plan/replan/", plans.replan, name="plan_replan"),
    path("plan/pull-in/", plans.pull_in, name="plan_pull_in"),
    path("plan/pace/", plans.set_pace, name="plan_pace"),
    path("plan/calendar/<slug:token>.ics", plans.calendar_feed, name="plan_calendar"),
    path("me/calendar-token/", plans.regenerate_calendar_token, name="calendar_token"),
    # spaced review of finished concepts (not the mentors' project reviews)
    path("review/", spaced_review.review, name="spaced_review"),
    path("review/<int:card_id>/rate/", spaced_review.rate, name="spaced_review_rate"),
    # cohorts
    path("cohorts/", cohorts.cohort_list, name="cohort_list"),
    path("cohorts/new/", cohorts.cohort_create, name="cohort_create"),
    path("cohorts/join/<slug:code>/", cohorts.cohort_join, name="cohort_join"),
    # project reviews (mentors): every cohort's queue, one cohort's, and a decision
    path("cohorts/reviews/", project_reviews.review_queue, name="review_queue"),
    path(
        "cohorts/reviews/<int:submission_id>/decide/",
        project_reviews.decide,
        name="review_decide",
    ),
    path(
        "cohorts/<int:cohort_id>/reviews/",
        project_reviews.cohort_reviews,
        name="cohort_reviews",
    ),
    path("cohorts/<int:cohort_id>/", cohorts.cohort_dashboard, name="cohort_dashboard"),
    path("cohorts/<int:cohort_id>/heatmap/", cohorts.cohort_heatmap, name="cohort_heatmap"),
    path(
        "cohorts/<int:cohort_id>/items/<slug:item_slug>/",
        cohorts.cohort_item,
        name="cohort_item",
    ),
    path(
        "cohorts/<int:cohort_id>/learners/<int:user_id>/",
        cohorts.cohort_learner,
        name="cohort_learner",
    ),
    path(
        "cohorts/<int:cohort_id>/learners/<int:user_id>/remove/",
        cohorts.cohort_remove_learner,
        name="cohort_remove_learner",
    ),
    path("cohorts/<int:cohort_id>/export.csv", cohorts.cohort_export, name="cohort_export"),
    path("cohorts/<int:cohort_id>/settings/", cohorts.cohort_settings, name="cohort_settings"),
    path("cohorts/<int:cohort_id>/schedule/", cohorts.cohort_schedule, name="cohort_schedule"),
    path(
        "cohorts/<int:cohort_id>/invite/regenerate/",
        cohorts.cohort_regenerate_invite,
        name="cohort_regenerate_invite",
    ),
    path("cohorts/<int:cohort_id>/mentors/", cohorts.cohort_add_mentor, name="cohort_add_mentor"),
    path("cohorts/<int:cohort_id>/leave/", cohorts.cohort_leave, name="cohort_leave"),
    path(
        "cohorts/<int:cohort_id>/share-notes/",
        cohorts.cohort_share_notes,
        name="cohort_share_notes",
    ),
    # nudges
    path("cohorts/<int:cohort_id>/nudges/", nudges.send_nudges, name="cohort_send_nudges"),
    path("nudges/<int:nudge_id>/dismiss/", nudges.dismiss_nudge, name="dismiss_nudge"),
]
