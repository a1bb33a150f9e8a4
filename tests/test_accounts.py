"""Accounts: sign up, in, out, password change and reset, the lockout, and /me/."""

import re
import zoneinfo
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from tracker.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing strength is not under test here; MD5 keeps the many sign-ins quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


NEW_PASSWORD = "a-much-longer-new-passphrase"


def _sign_in(client, email, password, ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


# --- sign up ------------------------------------------------------------------------------


def test_visitor_signs_up_and_is_signed_in(client):
    response = client.post(
        reverse("signup"),
        {"email": "dana@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    # The first-run step comes first, then the settings page (weekly hours).
    assert response["Location"] == f"{reverse('choose_roadmaps')}?next={reverse('me')}"
    user = User.objects.get(email="dana@example.com")
    assert user.check_password(NEW_PASSWORD)
    assert client.session[SESSION_KEY] == str(user.pk)
    assert user.weekly_hours == 5


def test_signup_refuses_an_email_already_used_in_another_case(client, learner):
    response = client.post(
        reverse("signup"),
        {"email": "ALICE@Example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "An account with this email address already exists" in response.content.decode()
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1


def _sign_up(client, email, ip="10.0.0.1"):
    data = {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    return client.post(reverse("signup"), data, REMOTE_ADDR=ip)


def test_an_address_probing_sign_up_for_taken_emails_is_stopped_after_ten(client):
    # Sign-up says when an email is taken (see the README); probing for it is rate-limited.
    for n in range(10):
        UserFactory(email=f"member{n}@example.com")
        assert _sign_up(client, f"member{n}@example.com", ip="10.6.6.6").status_code == 200

    # Past the limit every sign-up from that address waits, taken email or not, so the
    # refusal itself tells nothing.
    response = _sign_up(client, "fresh@example.com", ip="10.6.6.6")
    page = response.content.decode()
    assert response.status_code == 429
    assert "Too many sign-up attempts from your network. Try again in 60 minutes." in page
    assert 'value="fresh@example.com"' in page  # what was typed survives the refusal
    assert not User.objects.filter(email="fresh@example.com").exists()

    assert _sign_up(client, "fresh@example.com", ip="10.0.0.2").status_code == 302


def test_sign_up_probing_limit_lifts_after_an_hour(client):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(10):
            UserFactory(email=f"member{n}@example.com")
            _sign_up(client, f"member{n}@example.com", ip="10.6.6.6")
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        assert _sign_up(client, "fresh@example.com", ip="10.6.6.6").status_code == 429
    with time_machine.travel(start + timedelta(minutes=60, seconds=1), tick=False):
        assert _sign_up(client, "fresh@example.com", ip="10.6.6.6").status_code == 302


def test_ordinary_sign_up_mistakes_do_not_count_against_the_address(client):
    for _ in range(15):
        response = client.post(
            reverse("signup"),
            {"email": "dana@example.com", "password1": "12345678", "password2": "12345678"},
            REMOTE_ADDR="10.0.0.1",
        )
        assert response.status_code == 200
    assert _sign_up(client, "dana@example.com").status_code == 302


def test_signup_applies_djangos_password_validators(client):
    response = client.post(
        reverse("signup"),
        {"email": "dana@example.com", "password1": "12345678", "password2": "12345678"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This password is too common." in page
    assert "This password is entirely numeric." in page
    assert not User.objects.filter(email="dana@example.com").exists()


def test_signup_says_when_the_confirmation_differs(client):
    response = client.post(
        reverse("signup"),
        {"email": "dana@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"},
    )
    assert "didn’t match" in response.content.decode()
    assert not User.objects.exists()


def test_signed_in_learner_visiting_signup_goes_home(learner_client):
    assert learner_client.get(reverse("signup")).status_code == 302


# --- sign in and out ----------------------------------------------------------------------


def test_learner_signs_in_with_email_and_out_with_post(client, learner, password):
    response = _sign_in(client, "alice@example.com", password)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(learner.pk)

    assert client.get(reverse("logout")).status_code == 405  # sign-out is POST only
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert SESSION_KEY not in client.session


def test_sign_in_ignores_the_case_of_the_email(client, learner, password):
    assert _sign_in(client, "ALICE@Example.com", password).status_code == 302
    assert client.session[SESSION_KEY] == str(learner.pk)


def test_wrong_password_shows_an_error_and_stays_signed_out(client, learner):
    response = _sign_in(client, "alice@example.com", "wrong")
    assert response.status_code == 200
    assert "Please enter a correct email address and password" in response.content.decode()
    assert SESSION_KEY not in client.session


# --- password change and reset ------------------------------------------------------------


def test_learner_changes_password(learner_client, learner, password, client):
    response = learner_client.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    learner.refresh_from_db()
    assert learner.check_password(NEW_PASSWORD)
    # Still signed in on this device after the change.
    assert learner_client.get(reverse("me")).status_code == 200


def test_password_change_needs_the_old_password(learner_client, learner, password):
    response = learner_client.post(
        reverse("password_change"),
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    learner.refresh_from_db()
    assert learner.check_password(password)


def test_learner_resets_a_forgotten_password_by_email(client, learner):
    response = client.post(reverse("password_reset"), {"email": "Alice@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert message.subject == "Reset your Roadmap Tracker password"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)

    # Django swaps the token for a session key, then shows the form.
    response = client.get(link, follow=True)
    assert response.status_code == 200
    assert "Choose a new password" in response.content.decode()
    set_url = response.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_complete")
    learner.refresh_from_db()
    assert learner.check_password(NEW_PASSWORD)

    # The link works only once.
    response = client.get(link, follow=True)
    assert "This link no longer works" in response.content.decode()


def test_password_reset_for_unknown_email_sends_nothing_and_reveals_nothing(client, learner):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def _ask_for_reset(client, email, ip="10.0.0.1"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip)


def test_thirty_reset_requests_send_three_emails_and_all_get_the_same_answer(client, learner):
    responses = [_ask_for_reset(client, "alice@example.com") for _ in range(30)]
    assert {(r.status_code, r["Location"]) for r in responses} == {
        (302, reverse("password_reset_done"))
    }
    assert len(mail.outbox) == 3


def test_the_reset_limit_per_email_holds_across_addresses_and_case(client, learner):
    for n, email in enumerate(["alice@example.com", "ALICE@example.com", "Alice@Example.com"] * 3):
        _ask_for_reset(client, email, ip=f"10.0.{n}.1")
    assert len(mail.outbox) == 3


def test_one_address_asking_for_many_resets_is_stopped_after_ten(client):
    for n in range(12):
        UserFactory(email=f"member{n}@example.com")
        response = _ask_for_reset(client, f"member{n}@example.com", ip="10.6.6.6")
        assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 10
    # Another address is not held up.
    _ask_for_reset(client, "member11@example.com", ip="10.0.0.2")
    assert len(mail.outbox) == 11


def test_requests_for_unknown_emails_count_towards_the_address_limit(client, learner):
    for n in range(10):
        _ask_for_reset(client, f"nobody{n}@example.com", ip="10.6.6.6")
    _ask_for_reset(client, "alice@example.com", ip="10.6.6.6")
    assert mail.outbox == []


def test_reset_emails_flow_again_an_hour_later(client, learner):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            _ask_for_reset(client, "alice@example.com")
    assert len(mail.outbox) == 3
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        _ask_for_reset(client, "alice@example.com")
    assert len(mail.outbox) == 4


# --- /me/ ---------------------------------------------------------------------------------


def test_me_needs_sign_in(client):
    response = client.get(reverse("me"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_me_offers_every_iana_zone_sorted_and_asks_for_the_browsers_by_default(learner_client):
    page = learner_client.get(reverse("me")).content.decode()
    select = re.search(r'<select name="time_zone"[^>]*>', page).group(0)
    assert 'data-default-browser-tz="true"' in select
    values = re.findall(r'<option value="([^"]+)"', page.split(select, 1)[1].split("</select>")[0])
    assert values == sorted(values)
    assert "Pacific/Auckland" in values and "UTC" in values
    assert set(values) <= zoneinfo.available_timezones()


def test_learner_saves_settings_and_the_zone_is_then_theirs(learner_client, learner):
    response = learner_client.post(
        reverse("me"),
        {
            "display_name": "Alice L.",
            "time_zone": "Pacific/Auckland",
            "weekly_hours": "12",
            "target_date": "2027-06-30",
            "digest_opt_in": "on",
        },
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.display_name == "Alice L."
    assert learner.time_zone == "Pacific/Auckland"
    assert learner.weekly_hours == 12
    assert str(learner.target_date) == "2027-06-30"
    assert learner.digest_opt_in is True
    page = learner_client.get(reverse("me")).content.decode()
    assert 'data-default-browser-tz="true"' not in page
    assert '<option value="Pacific/Auckland" selected>' in page


def test_a_refused_save_keeps_the_zone_the_new_learner_picked(learner_client, learner):
    # site.js would otherwise swap the picked zone for the browser's when the form comes back.
    response = learner_client.post(
        reverse("me"),
        {"display_name": "", "time_zone": "Europe/Berlin", "weekly_hours": "99"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert '<option value="Europe/Berlin" selected>' in page
    assert 'data-default-browser-tz="true"' not in page


@pytest.mark.parametrize("hours", ["0", "61", "lots"])
def test_weekly_hours_outside_1_to_60_are_refused_and_nothing_changes(
    learner_client, learner, hours
):
    response = learner_client.post(
        reverse("me"),
        {"display_name": "Changed", "time_zone": "UTC", "weekly_hours": hours},
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    learner.refresh_from_db()
    assert learner.weekly_hours == 5
    assert learner.display_name == "Alice"


def test_an_unknown_time_zone_is_refused(learner_client, learner):
    response = learner_client.post(
        reverse("me"), {"time_zone": "Mars/Olympus_Mons", "weekly_hours": "5"}
    )
    assert response.status_code == 200
    learner.refresh_from_db()
    assert learner.time_zone == "UTC"


def test_users_made_elsewhere_have_not_chosen_a_zone():
    assert UserFactory().time_zone_chosen is False


def test_the_password_reset_pages_lead_back_to_sign_in(client, db):
    login = f'href="{reverse("login")}"'
    form = client.get(reverse("password_reset")).content.decode()
    done = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)

    assert login in form.split('class="site-footer"')[0].split('id="main"')[1]
    assert "Check your email" in done.content.decode()
    assert login in done.content.decode().split('id="main"')[1]
