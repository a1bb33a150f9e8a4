"""CSRF: every change is a POST that needs the token; a GET never changes anything."""

from django.test import Client

from tests.builders import client_for


def _post_endpoints(cohort, item) -> list[str]:
    c = cohort.pk
    return [
        f"/roadmaps/{item.roadmap.slug}/follow/",
        f"/roadmaps/{item.roadmap.slug}/unfollow/",
        f"/me/roadmaps/{item.roadmap.slug}/move/",
        f"/roadmaps/{item.roadmap.slug}/{item.slug}/status/",
        f"/roadmaps/{item.roadmap.slug}/{item.slug}/note/",
        "/plan/replan/",
        "/me/calendar-token/",
        f"/cohorts/{c}/invite/regenerate/",
        f"/cohorts/{c}/mentors/",
        f"/cohorts/{c}/schedule/",
        f"/cohorts/{c}/share-notes/",
        f"/cohorts/{c}/nudges/",
        "/nudges/1/dismiss/",
    ]


def test_every_action_refuses_get_and_a_post_without_the_csrf_token(learner, mentor, cohort):
    item = cohort.roadmap.items.first()
    for user in (learner, mentor):
        plain = client_for(user)
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(user)
        for url in _post_endpoints(cohort, item):
            if url.endswith("/unfollow/"):  # GET asks "are you sure?" and changes nothing
                assert plain.get(url).status_code in (200, 404), url
            else:
                assert plain.get(url).status_code == 405, url
            assert strict.post(url, {"status": "done"}).status_code == 403, url


def test_forms_that_open_on_get_change_nothing_until_a_post_with_the_token(
    learner, outsider, mentor, cohort
):
    token_before = learner.calendar_token
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(outsider)
    assert strict.get(cohort.get_invite_path()).status_code == 200
    assert strict.post(cohort.get_invite_path()).status_code == 403
    assert not cohort.memberships.filter(learner=outsider).exists()

    strict.force_login(learner)
    for url in (f"/cohorts/{cohort.pk}/leave/", "/me/delete/", "/me/"):
        assert strict.get(url).status_code == 200
        assert strict.post(url, {"weekly_hours": 9}).status_code == 403
    assert cohort.memberships.filter(learner=learner).exists()
    learner.refresh_from_db()
    assert learner.weekly_hours != 9 and learner.is_active
    assert learner.calendar_token == token_before
    assert strict.post("/accounts/logout/").status_code == 403
    assert strict.get("/accounts/logout/").status_code == 405

    strict.force_login(mentor)
    learner_page = f"/cohorts/{cohort.pk}/learners/{learner.pk}/remove/"
    assert strict.post(learner_page).status_code == 403
    assert cohort.memberships.filter(learner=learner).exists()
