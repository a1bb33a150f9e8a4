"""Sign-in limits: per account and address, per address, per account everywhere (issue 14)."""

import runpy
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import UserFactory
from tracker import throttle
from tracker.models import AuthAttempt
from tracker.services import signin

pytestmark = pytest.mark.django_db

SETTINGS_FILE = Path(__file__).resolve().parent.parent / "roadmap_site" / "settings.py"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing strength is not under test here; MD5 keeps the many sign-ins quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _sign_in(client, email, password, ip="10.0.0.1", **extra):
    return client.post(
        reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip, **extra
    )


def _signed_in_as(client, user) -> bool:
    return client.session.get(SESSION_KEY) == str(user.pk)


# --- one account from one address ---------------------------------------------------------


def test_sixth_sign_in_after_five_failures_is_refused_with_a_wait_time(client, learner, password):
    for _ in range(4):
        assert _sign_in(client, "alice@example.com", "wrong").status_code == 200
    # The fifth failure is the last one allowed, so its answer already says so.
    assert _sign_in(client, "alice@example.com", "wrong").status_code == 429

    # Even the right password is refused while locked out.
    response = _sign_in(client, "alice@example.com", password)
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    page = response.content.decode()
    assert "Too many failed sign-ins. Try again in 15 minutes." in page
    assert '<form method="post"' in page  # still the sign-in page, with its form
    assert SESSION_KEY not in client.session


def test_lockout_message_counts_down(client, learner):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            _sign_in(client, "alice@example.com", "wrong")
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        response = _sign_in(client, "alice@example.com", "wrong")
    assert "Try again in 4 minutes." in response.content.decode()


def test_lockout_expires_after_fifteen_minutes_however_often_it_is_tried(client, learner, password):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            _sign_in(client, "alice@example.com", "wrong")
    # Refused attempts check no password and count for nothing: the window stays fixed.
    for minute in range(1, 15):
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            assert _sign_in(client, "alice@example.com", "wrong").status_code == 429
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        response = _sign_in(client, "alice@example.com", password)
    assert response.status_code == 302
    assert _signed_in_as(client, learner)


def test_changing_the_emails_case_buys_no_extra_guesses(client, learner, password):
    for variant in [
        "alice@example.com",
        "ALICE@example.com",
        "Alice@Example.com",
        " alice@example.com",
    ]:
        _sign_in(client, variant, "wrong")
    _sign_in(client, "aLiCe@example.com", "wrong")
    assert _sign_in(client, "alice@example.com", password).status_code == 429


# --- issue 14.1: a success on one account never resets another's counters ------------------


def test_signing_in_to_your_own_account_between_guesses_buys_no_extra_guesses(
    client, learner, outsider, password
):
    # The attack: four guesses at Alice, one good sign-in as Charlie from the same address,
    # again and again. Before, the 17th guess was still checked.
    checked = 0
    for _ in range(4):
        for _ in range(4):
            response = _sign_in(client, "alice@example.com", "wrong", ip="10.6.6.6")
            checked += "Please enter a correct email address" in response.content.decode()
        assert _sign_in(client, "charlie@example.com", password, ip="10.6.6.6").status_code == 302
        client.post(reverse("logout"))

    assert checked == 4  # then the fifth failure locked the pair, and nothing reset it
    response = _sign_in(client, "alice@example.com", password, ip="10.6.6.6")
    assert response.status_code == 429
    assert not _signed_in_as(client, learner)


def test_an_address_spraying_accounts_is_not_reset_by_signing_in_to_its_own(
    client, outsider, password
):
    UserFactory(email="dana@example.com")
    for n in range(19):
        _sign_in(client, f"guess{n}@example.com", "wrong", ip="10.6.6.6")
    assert _sign_in(client, "charlie@example.com", password, ip="10.6.6.6").status_code == 302
    client.post(reverse("logout"))

    _sign_in(client, "guess19@example.com", "wrong", ip="10.6.6.6")  # the 20th failure
    assert _sign_in(client, "dana@example.com", password, ip="10.6.6.6").status_code == 429


def test_the_owners_success_clears_their_own_failures(client, learner, password):
    for _ in range(4):
        _sign_in(client, "alice@example.com", "wrong")
    assert _sign_in(client, "alice@example.com", password).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        assert _sign_in(client, "alice@example.com", "wrong").status_code == 200


# --- issue 14.2: the lockout is no denial of service ---------------------------------------


def test_guesses_from_elsewhere_never_lock_the_owner_out_of_their_own_address(
    client, learner, password
):
    for _ in range(5):
        _sign_in(client, "alice@example.com", "wrong", ip="10.6.6.6")
    assert _sign_in(client, "alice@example.com", password, ip="10.6.6.6").status_code == 429

    response = _sign_in(client, "alice@example.com", password, ip="10.0.0.1")
    assert response.status_code == 302
    assert _signed_in_as(client, learner)


def test_made_up_emails_from_a_shared_address_leave_its_other_users_alone(
    client, outsider, password
):
    # A university NAT: someone mistypes or sprays; Charlie signs in from the same address.
    for n in range(19):
        _sign_in(client, f"nobody{n}@example.com", "wrong", ip="10.0.0.7")
    response = _sign_in(client, "charlie@example.com", password, ip="10.0.0.7")
    assert response.status_code == 302
    assert _signed_in_as(client, outsider)


def test_an_address_spraying_twenty_accounts_is_stopped(client, outsider, password):
    for n in range(19):
        assert _sign_in(client, f"guess{n}@example.com", "wrong", ip="10.0.0.7").status_code == 200
    assert _sign_in(client, "guess19@example.com", "wrong", ip="10.0.0.7").status_code == 429

    response = _sign_in(client, "charlie@example.com", password, ip="10.0.0.7")
    assert response.status_code == 429
    assert "Try again in 15 minutes." in response.content.decode()
    # Elsewhere Charlie is untouched.
    assert _sign_in(client, "charlie@example.com", password, ip="10.0.0.8").status_code == 302


def test_users_who_signed_in_from_a_sprayed_address_before_still_get_in(client, outsider, password):
    assert _sign_in(client, "charlie@example.com", password, ip="10.0.0.7").status_code == 302
    client.post(reverse("logout"))
    for n in range(25):
        _sign_in(client, f"guess{n}@example.com", "wrong", ip="10.0.0.7")

    assert _sign_in(client, "charlie@example.com", password, ip="10.0.0.7").status_code == 302


def test_guessing_one_account_from_many_addresses_meets_doubling_waits(client, learner):
    now = timezone.now()
    for n in range(9):
        with time_machine.travel(now, tick=False):
            assert (
                _sign_in(client, "alice@example.com", "wrong", ip=f"10.9.0.{n}").status_code == 200
            )
    waits = []
    for n in range(9, 17):
        with time_machine.travel(now, tick=False):
            response = _sign_in(client, "alice@example.com", "wrong", ip=f"10.9.0.{n}")
        assert response.status_code == 429  # each failure now says how long the next one waits
        waits.append(int(response["Retry-After"]))
        with time_machine.travel(now + timedelta(seconds=waits[-1] - 1), tick=False):
            too_soon = _sign_in(client, "alice@example.com", "wrong", ip=f"10.8.0.{n}")
        assert too_soon.status_code == 429
        now += timedelta(seconds=waits[-1])

    assert waits == [15, 30, 60, 120, 240, 480, 900, 900]
    assert AuthAttempt.objects.filter(kind="sign_in_failed").count() == 17


def test_the_owner_at_home_is_not_slowed_by_guessing_from_everywhere_else(
    client, learner, password
):
    assert _sign_in(client, "alice@example.com", password, ip="10.0.0.1").status_code == 302
    client.post(reverse("logout"))
    for n in range(12):
        _sign_in(client, "alice@example.com", "wrong", ip=f"10.9.0.{n}")

    assert _sign_in(client, "alice@example.com", password, ip="10.0.0.1").status_code == 302


def test_the_owner_on_a_new_address_waits_out_the_delay_and_gets_in(client, learner, password):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(12):
            _sign_in(client, "alice@example.com", "wrong", ip=f"10.9.0.{n}")
        response = _sign_in(client, "alice@example.com", password, ip="10.0.0.1")
    assert response.status_code == 429
    # Ten failures went through; the rest were refused, unchecked and uncounted.
    assert "Try again in 15 seconds." in response.content.decode()
    with time_machine.travel(start + timedelta(seconds=15), tick=False):
        assert _sign_in(client, "alice@example.com", password, ip="10.0.0.1").status_code == 302


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_cannot_slip_past_the_pair_limit(learner):
    # Twelve workers checking the count at the same moment must not all see "none yet".
    barrier = threading.Barrier(12)
    let_through = []

    def guess():
        try:
            barrier.wait()
            attempt, _ = signin.begin_sign_in(email="alice@example.com", ip="10.6.6.6")
            let_through.append(attempt is not None)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert let_through.count(True) == throttle.PAIR_LIMIT


@pytest.mark.needs_postgres
def test_a_failed_sign_in_costs_seven_queries_and_a_refused_one_four(
    client, learner, django_assert_num_queries
):
    # Savepoint, advisory lock, the attempts that matter, pruning, the new attempt, release,
    # then ModelBackend's user lookup.
    with django_assert_num_queries(7):
        _sign_in(client, "alice@example.com", "wrong")
    for _ in range(4):
        _sign_in(client, "alice@example.com", "wrong")
    # Savepoint, lock, the attempts, release: no password is looked up or hashed.
    with django_assert_num_queries(4):
        assert _sign_in(client, "alice@example.com", "wrong").status_code == 429


# --- issue 14.2: client addresses behind proxies -----------------------------------------


def test_forwarded_for_is_ignored_without_trusted_proxies(client, learner, password, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(5):
        _sign_in(client, "alice@example.com", "wrong", HTTP_X_FORWARDED_FOR=f"10.7.0.{n}")
    # Inventing a new forwarded address for each guess buys nothing.
    response = _sign_in(client, "alice@example.com", password, HTTP_X_FORWARDED_FOR="10.7.1.1")
    assert response.status_code == 429


def test_behind_one_proxy_each_client_has_its_own_counters(client, learner, password, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "172.16.0.2"
    for n in range(5):
        # The client's own header entries come first; the proxy appends the real address.
        _sign_in(
            client,
            "alice@example.com",
            "wrong",
            ip=proxy,
            HTTP_X_FORWARDED_FOR=f"1.1.1.{n}, 203.0.113.6",
        )
    attacker = _sign_in(
        client, "alice@example.com", password, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.6"
    )
    assert attacker.status_code == 429

    owner = _sign_in(
        client, "alice@example.com", password, ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.4"
    )
    assert owner.status_code == 302
    assert _signed_in_as(client, learner)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.6", "10.0.0.1"),
        (1, "", "10.0.0.1"),
        (1, "203.0.113.6", "203.0.113.6"),
        (1, "6.6.6.6, 203.0.113.6", "203.0.113.6"),
        (2, "6.6.6.6, 203.0.113.6, 172.16.0.9", "203.0.113.6"),
        (3, "203.0.113.6, 172.16.0.9", "203.0.113.6"),
        (1, "not-an-address", "10.0.0.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address_trusts_only_the_entries_our_proxies_added(proxies, forwarded, expected):
    meta = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": forwarded}
    assert throttle.client_ip(meta, trusted_proxies=proxies) == expected


def _settings_under(monkeypatch, **env) -> dict:
    monkeypatch.delenv("BEHIND_PROXY", raising=False)
    monkeypatch.delenv("TRUSTED_PROXY_COUNT", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def test_forwarded_addresses_are_trusted_only_behind_a_proxy(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "test-only")
    assert _settings_under(monkeypatch)["TRUSTED_PROXY_COUNT"] == 0
    assert _settings_under(monkeypatch, BEHIND_PROXY="1")["TRUSTED_PROXY_COUNT"] == 1
    two = _settings_under(monkeypatch, BEHIND_PROXY="1", TRUSTED_PROXY_COUNT="2")
    assert two["TRUSTED_PROXY_COUNT"] == 2
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXY_COUNT"):
        _settings_under(monkeypatch, TRUSTED_PROXY_COUNT="-1")


# --- the policy as plain functions -------------------------------------------------------


def test_account_delays_double_from_fifteen_seconds_to_fifteen_minutes():
    delays = [throttle.account_delay(n).total_seconds() for n in range(9, 18)]
    assert delays == [0, 15, 30, 60, 120, 240, 480, 900, 900]
    assert throttle.account_delay(10_000) == timedelta(minutes=15)


def test_a_success_long_ago_makes_no_address_known():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    old = throttle.Attempt("a@x", "10.0.0.1", now - timedelta(days=31), succeeded=True)
    guesses = [
        throttle.Attempt("a@x", f"10.9.0.{n}", now - timedelta(seconds=1), succeeded=False)
        for n in range(12)
    ]
    assert throttle.sign_in_wait([old, *guesses], email="a@x", ip="10.0.0.1", now=now) > timedelta(
        0
    )


def _replay(guesses: list[tuple[int, int, int]]) -> list[throttle.Attempt]:
    """Feed (seconds later, account, address) guesses through the policy; return those let in."""
    now, let_in = datetime(2026, 12, 1, tzinfo=UTC), []
    for gap, account, address in guesses:
        now += timedelta(seconds=gap)
        email, ip = f"user{account}@example.com", f"10.0.0.{address}"
        if not throttle.sign_in_wait(let_in, email=email, ip=ip, now=now):
            let_in.append(throttle.Attempt(email, ip, now, succeeded=False))
    return let_in


def _most_in_any_window(times: list[datetime], window: timedelta) -> int:
    return max((sum(start <= t < start + window for t in times) for start in times), default=0)


def _guesses(*, accounts: int, addresses: int, max_gap: int):
    return st.lists(
        st.tuples(
            st.integers(0, max_gap), st.integers(0, accounts - 1), st.integers(0, addresses - 1)
        ),
        min_size=50,
        max_size=200,
    )


@given(_guesses(accounts=2, addresses=3, max_gap=60))
def test_no_account_and_address_ever_gets_more_than_five_guesses_in_fifteen_minutes(guesses):
    let_in = _replay(guesses)
    for pair in {(a.email, a.ip) for a in let_in}:
        times = [a.at for a in let_in if (a.email, a.ip) == pair]
        assert _most_in_any_window(times, throttle.PAIR_WINDOW) <= throttle.PAIR_LIMIT


@given(_guesses(accounts=40, addresses=2, max_gap=30))
def test_no_address_ever_gets_more_than_twenty_guesses_in_fifteen_minutes(guesses):
    let_in = _replay(guesses)
    for ip in {a.ip for a in let_in}:
        times = [a.at for a in let_in if a.ip == ip]
        assert _most_in_any_window(times, throttle.ADDRESS_WINDOW) <= throttle.ADDRESS_LIMIT


def test_guessing_one_account_from_everywhere_all_day_gets_about_a_hundred_guesses():
    # A guess every five seconds for a day, each from another address.
    let_in = _replay([(5, 0, n % 250) for n in range(24 * 720)])
    assert 100 <= len(let_in) <= 115


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1, "1 second"),
        (14.2, "15 seconds"),
        (60, "1 minute"),
        (61, "2 minutes"),
        (900, "15 minutes"),
    ],
)
def test_waits_are_rounded_up_for_people(seconds, text):
    assert throttle.wait_text(timedelta(seconds=seconds)) == text
