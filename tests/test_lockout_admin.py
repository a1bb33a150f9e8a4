"""The admin's sign-in has the site's limits: same counters, same limits, same message."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tests.factories import UserFactory

ADMIN_LOGIN = "/admin/login/?next=/admin/tracker/item/"


@pytest.fixture
def admin_user(db):
    return UserFactory(email="root@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def other_admin(db):
    return UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)


def _admin_sign_in(client, email, password, ip="10.0.0.1"):
    return client.post(ADMIN_LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_five_failed_admin_sign_ins_refuse_even_the_right_password(client, admin_user, password):
    for _ in range(4):
        assert _admin_sign_in(client, "root@example.com", "wrong").status_code == 200

    assert _admin_sign_in(client, "root@example.com", "wrong").status_code == 429
    response = _admin_sign_in(client, "root@example.com", password)

    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    page = response.content.decode()
    assert "Too many failed sign-ins. Try again in 15 minutes." in page
    # Still the admin's own sign-in page, posting back to itself and keeping where it was going.
    assert "admin/login.html" in [t.name for t in response.templates]
    assert 'action="/admin/login/?next=/admin/tracker/item/"' in page
    assert 'name="next" value="/admin/tracker/item/"' in page
    assert 'value="root@example.com"' in page


def test_admin_lockout_leaves_other_accounts_on_other_addresses_alone(
    client, admin_user, other_admin, password
):
    for _ in range(5):
        _admin_sign_in(client, "root@example.com", "wrong", ip="10.0.0.1")
    assert _admin_sign_in(client, "root@example.com", password, ip="10.0.0.1").status_code == 429

    response = _admin_sign_in(client, "ops@example.com", password, ip="10.0.0.2")

    assert response.status_code == 302
    assert response["Location"] == "/admin/tracker/item/"
    assert client.session[SESSION_KEY] == str(other_admin.pk)


def test_failures_at_the_admin_count_for_the_site_sign_in_too(client, admin_user, password):
    # One set of counters: an attacker cannot get five guesses at each door.
    for _ in range(3):
        _admin_sign_in(client, "root@example.com", "wrong")
    for _ in range(2):
        client.post(
            reverse("login"),
            {"username": "root@example.com", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
        )

    site = client.post(
        reverse("login"),
        {"username": "root@example.com", "password": password},
        REMOTE_ADDR="10.0.0.1",
    )
    admin = _admin_sign_in(client, "root@example.com", password)

    assert site.status_code == 429
    assert admin.status_code == 429
    assert "Try again in 15 minutes." in admin.content.decode()
    assert SESSION_KEY not in client.session


def test_guessing_an_admin_from_many_addresses_meets_growing_waits(client, admin_user, password):
    for n in range(10):
        response = _admin_sign_in(client, "root@example.com", "wrong", ip=f"10.9.0.{n}")
    assert response.status_code == 429
    assert "Try again in 15 seconds." in response.content.decode()
    assert _admin_sign_in(client, "root@example.com", password, ip="10.0.0.5").status_code == 429


def test_the_site_lockout_page_keeps_where_the_learner_was_going(client, learner):
    for _ in range(5):
        response = client.post(
            reverse("login") + "?next=/plan/",
            {"username": "alice@example.com", "password": "wrong", "next": "/plan/"},
        )
    assert response.status_code == 429
    assert 'name="next" value="/plan/"' in response.content.decode()


def test_the_admin_lockout_page_drops_a_next_that_leaves_the_site(client, admin_user):
    for _ in range(5):
        response = client.post(
            "/admin/login/?next=https://evil.example/",
            {"username": "root@example.com", "password": "wrong"},
        )
    assert response.status_code == 429
    hidden_next = re.search(r'name="next" value="([^"]*)"', response.content.decode()).group(1)
    assert hidden_next == "/admin/"
