"""Nudges: a mentor pushes learners from the cohort dashboard; learners see them until they
dismiss them, by email too unless they turned that off.

Personas: `mentor` (Bob) mentors `cohort`; `learner` (Alice) is in it; `outsider` (Charlie)
is not; `other_mentor` (Dora) mentors another cohort.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.test import Client

from tests.builders import client_for
from tests.factories import UserFactory
from tracker import nudge_limits
from tracker.models import Cohort, Membership, Nudge

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _setup(settings, time_machine):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://roadmap.example.org"
    time_machine.move_to(NOW, tick=False)


@pytest.fixture(autouse=True)
def _eager_tasks():
    # With REDIS_URL set, queued tasks would wait in the broker for a worker these tests lack.
    from roadmap_site.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def other_mentor(db):
    return UserFactory(email="dora@example.com", display_name="Dora", is_mentor=True)


@pytest.fixture
def other_cohort(other_mentor, outsider, cohort):
    cohort = Cohort.objects.create(name="Autumn cohort", roadmap=cohort.roadmap)
    cohort.mentors.add(other_mentor)
    Membership.objects.create(cohort=cohort, learner=outsider)
    return cohort


@pytest.fixture
def second_learner(cohort):
    erin = UserFactory(email="erin@example.com", display_name="Erin")
    Membership.objects.create(cohort=cohort, learner=erin)
    return erin


def send(client, cohort, learners, message="Pick up where you left off: one item today?"):
    return client.post(
        f"/cohorts/{cohort.pk}/nudges/",
        {"learner": [u.pk for u in learners], "message": message},
        follow=True,
    )


def page_text(response) -> str:
    return response.content.decode()


# ---- sending --------------------------------------------------------------------------------


def test_mentor_nudges_ticked_learners_and_each_gets_an_email(
    mentor, cohort, learner, second_learner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client_for(mentor), cohort, [learner, second_learner])

    assert "Nudge sent to 2: Alice, Erin." in page_text(response)
    assert Nudge.objects.filter(cohort=cohort, mentor=mentor).count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "erin@example.com"]
    email = mail.outbox[0]
    assert "Bob" in email.subject and "Spring cohort" in email.subject
    assert "Pick up where you left off" in email.body
    assert "https://roadmap.example.org/me/" in email.body
    assert Nudge.objects.filter(emailed_at__isnull=True).count() == 0


def test_a_learner_who_turned_nudge_emails_off_gets_none_but_sees_the_nudge(
    mentor, cohort, learner, django_capture_on_commit_callbacks
):
    learner_client = client_for(learner)
    response = learner_client.post(
        "/me/",
        {"display_name": "Alice", "time_zone": "UTC", "weekly_hours": 5, "theme": "system"},
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.nudge_emails is False  # the box left unticked

    with django_capture_on_commit_callbacks(execute=True):
        send(client_for(mentor), cohort, [learner])

    assert mail.outbox == []
    assert "Pick up where you left off" in page_text(learner_client.get("/"))


def test_settings_label_the_nudge_email_switch_and_only_mentors_see_the_digest_switch(
    learner, mentor
):
    learner_page = page_text(client_for(learner).get("/me/"))
    mentor_page = page_text(client_for(mentor).get("/me/"))
    assert "email me when a mentor nudges me" in learner_page.lower()
    assert "weekly mentor digest" not in learner_page
    assert "weekly mentor digest" in mentor_page


def test_the_message_has_a_limit_that_the_form_shows_and_a_longer_one_is_refused(
    mentor, cohort, learner
):
    mentor_client = client_for(mentor)
    page = page_text(mentor_client.get(f"/cohorts/{cohort.pk}/"))
    assert 'maxlength="500"' in page and "Up to 500 characters." in page

    response = send(mentor_client, cohort, [learner], message="x" * 501)

    assert "A nudge can be up to 500 characters; this one has 501." in page_text(response)
    assert not Nudge.objects.exists()


def test_sending_with_nobody_ticked_keeps_the_draft(mentor, cohort):
    response = send(client_for(mentor), cohort, [], message="Keep going, all of you")
    text = page_text(response)
    assert "Tick the learners to nudge in the table first." in text
    assert "Keep going, all of you</textarea>" in text
    assert not Nudge.objects.exists()


def test_select_at_risk_ticks_exactly_the_at_risk_rows(mentor, cohort, learner, second_learner):
    # Alice joined three weeks ago and never started: inactive for 14 days, so at risk.
    Membership.objects.filter(learner=learner).update(joined_at=NOW - timedelta(days=21))
    mentor_client = client_for(mentor)
    page = page_text(mentor_client.get(f"/cohorts/{cohort.pk}/"))
    assert "?filter=at-risk&amp;select=at-risk" in page or "select=at-risk" in page
    assert " checked" not in page.split('id="nudge-form"')[0]

    page = page_text(mentor_client.get(f"/cohorts/{cohort.pk}/?filter=all&select=at-risk"))
    assert f'value="{learner.pk}" form="nudge-form" aria-label="Nudge Alice" checked' in page
    assert f'value="{second_learner.pk}" form="nudge-form" aria-label="Nudge Erin">' in page


# ---- the limits -----------------------------------------------------------------------------


def test_a_learner_gets_one_nudge_a_day_from_any_mentor(
    mentor, other_mentor, cohort, learner, second_learner, time_machine
):
    cohort.mentors.add(other_mentor)
    send(client_for(mentor), cohort, [learner])

    response = send(client_for(other_mentor), cohort, [learner, second_learner])

    text = page_text(response)
    assert "Nudge sent to 1: Erin." in text
    assert "Not sent to Alice: nudged in the last 24 hours." in text
    assert Nudge.objects.filter(learner=learner).count() == 1

    time_machine.move_to(NOW + timedelta(hours=24, minutes=1), tick=False)
    assert "Nudge sent to 1: Alice." in page_text(send(client_for(mentor), cohort, [learner]))


def test_a_mentor_over_the_daily_limit_sends_to_the_first_and_lists_the_rest(
    mentor, cohort, learner, second_learner, monkeypatch
):
    monkeypatch.setattr(nudge_limits, "MENTOR_DAILY", 1)

    text = page_text(send(client_for(mentor), cohort, [learner, second_learner]))

    assert "Nudge sent to 1: Alice." in text
    assert "Not sent to Erin: your limit of" in text
    assert list(Nudge.objects.values_list("learner_id", flat=True)) == [learner.pk]


def test_the_limit_rule_skips_recent_learners_before_spending_the_mentors_allowance():
    decision = nudge_limits.decide([1, 2, 3, 2], recently_nudged={1}, mentor_sent=48)
    assert decision.send == [2, 3]
    assert decision.skipped == {1: nudge_limits.RECENTLY_NUDGED}
    full = nudge_limits.decide([4], recently_nudged=set(), mentor_sent=50)
    assert full.send == [] and full.skipped == {4: nudge_limits.MENTOR_LIMIT_REACHED}


# ---- access and bad input --------------------------------------------------------------------


def test_an_id_outside_the_cohort_makes_the_whole_request_a_404(
    mentor, cohort, learner, other_cohort, outsider
):
    response = send(client_for(mentor), cohort, [learner, outsider])
    assert response.status_code == 404
    assert not Nudge.objects.exists()


@pytest.mark.parametrize("junk", ["abc", "1.5", "", "9" * 30])
def test_a_learner_id_that_is_not_a_number_is_a_404(mentor, cohort, learner, junk):
    response = client_for(mentor).post(
        f"/cohorts/{cohort.pk}/nudges/", {"learner": [learner.pk, junk], "message": "Hi"}
    )
    assert response.status_code == 404
    assert not Nudge.objects.exists()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("other_mentor", 404), ("learner", 404), ("outsider", 404), ("anonymous", 302)],
)
def test_only_the_cohorts_mentors_may_send(request, cohort, other_cohort, persona, expected):
    learner = request.getfixturevalue("learner")
    client = Client() if persona == "anonymous" else client_for(request.getfixturevalue(persona))
    response = client.post(
        f"/cohorts/{cohort.pk}/nudges/", {"learner": [learner.pk], "message": "Hi"}
    )
    assert response.status_code == expected
    if persona == "anonymous":
        assert response["Location"].startswith("/accounts/login/?next=")
    assert not Nudge.objects.exists()


def make_nudge(cohort, mentor, learner, message="Try the next item") -> Nudge:
    return Nudge.objects.create(
        cohort=cohort, mentor=mentor, learner=learner, message=message, created_at=NOW
    )


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("mentor", 404), ("other_mentor", 404), ("outsider", 404), ("anonymous", 302)],
)
def test_only_the_recipient_may_dismiss(request, cohort, mentor, learner, persona, expected):
    nudge = make_nudge(cohort, mentor, learner)
    client = Client() if persona == "anonymous" else client_for(request.getfixturevalue(persona))
    assert client.post(f"/nudges/{nudge.pk}/dismiss/").status_code == expected
    nudge.refresh_from_db()
    assert nudge.dismissed_at is None


def test_nudge_actions_refuse_get_and_a_post_without_the_csrf_token(mentor, cohort, learner):
    nudge = make_nudge(cohort, mentor, learner)
    for user, url in [
        (mentor, f"/cohorts/{cohort.pk}/nudges/"),
        (learner, f"/nudges/{nudge.pk}/dismiss/"),
    ]:
        assert client_for(user).get(url).status_code == 405
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(user)
        assert strict.post(url, {"learner": [learner.pk], "message": "Hi"}).status_code == 403
    assert Nudge.objects.count() == 1
    nudge.refresh_from_db()
    assert nudge.dismissed_at is None


# ---- the learner's dashboard and the mentors' log --------------------------------------------


@pytest.mark.needs_redis
def test_the_cached_dashboard_shows_a_new_nudge_and_hides_a_dismissed_one(
    mentor, cohort, learner, django_capture_on_commit_callbacks
):
    learner_client = client_for(learner)
    first = learner_client.get("/")
    assert "From your mentors" not in page_text(first)

    with django_capture_on_commit_callbacks(execute=True):
        send(client_for(mentor), cohort, [learner], message="You were close: finish item 2")
    response = learner_client.get("/", headers={"If-None-Match": first["ETag"]})
    assert response.status_code == 200
    assert "You were close: finish item 2" in page_text(response)
    nudge = Nudge.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        dismissed = learner_client.post(f"/nudges/{nudge.pk}/dismiss/")
    assert dismissed.status_code == 302 and dismissed["Location"] == "/"
    assert "You were close" not in page_text(learner_client.get("/"))


def test_dismissing_with_htmx_returns_only_the_remaining_nudges(mentor, cohort, learner):
    older = make_nudge(cohort, mentor, learner, message="Older nudge")
    make_nudge(cohort, mentor, learner, message="Newer nudge")
    response = client_for(learner).post(
        f"/nudges/{older.pk}/dismiss/", headers={"HX-Request": "true"}
    )
    text = page_text(response)
    assert response.status_code == 200
    assert text.startswith('<div id="nudges">') or '<div id="nudges">' in text[:200]
    assert "Newer nudge" in text and "Older nudge" not in text
    assert "<html" not in text


def test_the_dashboard_escapes_a_nudge_and_dates_it_in_the_learners_zone(mentor, cohort, learner):
    learner.time_zone = "Pacific/Auckland"
    learner.save()
    Nudge.objects.create(
        cohort=cohort,
        mentor=mentor,
        learner=learner,
        message="<script>alert(1)</script>",
        created_at=datetime(2026, 3, 4, 20, 0, tzinfo=UTC),  # 5 March in Auckland
    )
    text = page_text(client_for(learner).get("/"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "5 March 2026" in text


def test_the_per_learner_page_logs_nudges_with_mentor_and_time(
    mentor, other_mentor, cohort, other_cohort, learner
):
    cohort.mentors.add(other_mentor)
    make_nudge(cohort, mentor, learner, message="From Bob, kept after dismissal").dismissed_at = NOW
    make_nudge(other_cohort, other_mentor, learner, message="About another cohort")
    text = page_text(client_for(mentor).get(f"/cohorts/{cohort.pk}/learners/{learner.pk}/"))
    assert "From Bob, kept after dismissal" in text
    assert "4 March 2026, 09:00" in text and "<strong>Bob</strong>" in text
    assert "About another cohort" not in text
