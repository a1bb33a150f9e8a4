"""The sign-in, password-reset and sign-up limits, as plain functions over past attempts.

No ORM here: tracker/services/signin.py loads the attempts and records new ones.
"""

import ipaddress
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

# Failures for one account from one client address (the lockout a user sees first).
PAIR_LIMIT = 5
PAIR_WINDOW = timedelta(minutes=15)
# Failures from one client address over all accounts: someone spraying many accounts.
ADDRESS_LIMIT = 20
ADDRESS_WINDOW = timedelta(minutes=15)
# Failures for one account from every address: after the free ones, each further attempt
# waits twice as long as the one before, up to the cap. A refusal, never a sleep: a sleeping
# sync worker would hand the attacker a cheaper denial of service than the lockout it replaces.
ACCOUNT_FREE_FAILURES = 10
ACCOUNT_WINDOW = timedelta(hours=24)
ACCOUNT_FIRST_DELAY = timedelta(seconds=15)
ACCOUNT_MAX_DELAY = timedelta(minutes=15)
# An address the account signed in from this recently is the owner's: only the pair limit
# applies there, so guessing from elsewhere never locks the owner out of their usual place.
KNOWN_ADDRESS_AGE = timedelta(days=30)

# Password-reset emails per address typed, and reset requests per client address.
RESET_PER_EMAIL = 3
RESET_PER_ADDRESS = 10
RESET_WINDOW = timedelta(hours=1)
# Sign-up answers "that email already has an account" this often per client address.
SIGNUP_TAKEN_PER_ADDRESS = 10
SIGNUP_TAKEN_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Attempt:
    email: str
    ip: str
    at: datetime
    succeeded: bool


def limit_wait(
    times: Iterable[datetime], *, limit: int, window: timedelta, now: datetime
) -> timedelta:
    """How long until fewer than `limit` of `times` lie inside the sliding window; 0 if already."""
    recent = sorted(t for t in times if t > now - window)
    if len(recent) < limit:
        return timedelta(0)
    return recent[-limit] + window - now


def account_delay(failures: int) -> timedelta:
    """The wait after the latest failure once an account has had `failures` of them."""
    if failures < ACCOUNT_FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - ACCOUNT_FREE_FAILURES, 20)  # 2**20 × 15 s is past any cap
    return min(ACCOUNT_MAX_DELAY, ACCOUNT_FIRST_DELAY * 2**doublings)


def sign_in_wait(attempts: Iterable[Attempt], *, email: str, ip: str, now: datetime) -> timedelta:
    """How long this (email, address) must wait before its password is checked; 0 if not."""
    attempts = list(attempts)
    own = [a for a in attempts if a.email == email]
    # A success proves the password: it clears that account's own counters, nobody else's.
    last_success = max((a.at for a in own if a.succeeded), default=None)
    last_pair_success = max((a.at for a in own if a.succeeded and a.ip == ip), default=None)
    known_address = last_pair_success is not None and last_pair_success > now - KNOWN_ADDRESS_AGE

    pair = [
        a.at
        for a in own
        if not a.succeeded
        and a.ip == ip
        and (last_pair_success is None or a.at > last_pair_success)
    ]
    waits = [limit_wait(pair, limit=PAIR_LIMIT, window=PAIR_WINDOW, now=now)]
    if not known_address:
        # The address counter is never reset by a success, or signing in to one's own
        # account between guesses would buy fresh guesses at everyone else's.
        address = [a.at for a in attempts if a.ip == ip and not a.succeeded]
        waits.append(limit_wait(address, limit=ADDRESS_LIMIT, window=ADDRESS_WINDOW, now=now))
        account_since = max(now - ACCOUNT_WINDOW, last_success or now - ACCOUNT_WINDOW)
        account = [a.at for a in own if not a.succeeded and a.at > account_since]
        if account:
            waits.append(max(account) + account_delay(len(account)) - now)
    return max(timedelta(0), *waits)


def wait_text(wait: timedelta) -> str:
    """The wait as "N seconds" or "N minutes", rounded up so nobody comes back too early."""
    seconds = math.ceil(wait.total_seconds())
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def client_ip(meta: Mapping[str, str], *, trusted_proxies: int) -> str:
    """The client's address: REMOTE_ADDR, or the entry our own proxies added to X-Forwarded-For.

    Each proxy appends the address it was connected from, so with N proxies in front the
    client is N entries from the right; anything further left is whatever the client sent.
    """
    remote = meta.get("REMOTE_ADDR") or "0.0.0.0"
    if trusted_proxies <= 0:
        return remote
    forwarded = [p.strip() for p in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
    if not forwarded:
        return remote
    candidate = forwarded[-min(trusted_proxies, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
