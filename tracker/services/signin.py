"""Sign-in, password-reset and sign-up throttles against the database (policy: tracker/throttle.py).

Counters live in PostgreSQL, not the cache: they hold across processes, survive a Redis
flush, and keep working while Redis is down.
"""

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone

from tracker import throttle
from tracker.models import AuthAttempt

log = logging.getLogger(__name__)
Kind = AuthAttempt.Kind


def client_ip(request: HttpRequest) -> str:
    """The client's address, trusting X-Forwarded-For only as far as TRUSTED_PROXY_COUNT says."""
    return throttle.client_ip(request.META, trusted_proxies=settings.TRUSTED_PROXY_COUNT)


def _lock(key: str) -> None:
    # Check-then-record must not interleave, or parallel guesses all see the same count.
    # SQLite needs nothing: its transactions take the write lock at BEGIN (see settings).
    if connection.vendor == "postgresql":
        number = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number - 2**63])


def _prune(now) -> None:
    # Every write clears what no limit looks at any more, so the table stays a day deep.
    AuthAttempt.objects.filter(
        Q(at__lt=now - throttle.KNOWN_ADDRESS_AGE)
        | (~Q(kind=Kind.SIGN_IN_SUCCEEDED) & Q(at__lt=now - throttle.ACCOUNT_WINDOW))
    ).delete()


@transaction.atomic
def begin_sign_in(*, email: str, ip: str) -> tuple[AuthAttempt | None, timedelta]:
    """Record a sign-in attempt as failed until proven otherwise, or refuse it.

    Returns the attempt (None when refused) and the wait the client faces: before this
    attempt when refused, after it if its password turns out wrong.
    """
    now = timezone.now()
    _lock(f"sign-in:{email}")
    rows = AuthAttempt.objects.filter(
        Q(email=email, at__gt=now - throttle.ACCOUNT_WINDOW)
        | Q(email=email, ip_address=ip, kind=Kind.SIGN_IN_SUCCEEDED)
        | Q(ip_address=ip, kind=Kind.SIGN_IN_FAILED, at__gt=now - throttle.ADDRESS_WINDOW),
        kind__in=[Kind.SIGN_IN_FAILED, Kind.SIGN_IN_SUCCEEDED],
    ).values_list("email", "ip_address", "at", "kind")
    attempts = [
        throttle.Attempt(email=e, ip=i, at=at, succeeded=kind == Kind.SIGN_IN_SUCCEEDED)
        for e, i, at, kind in rows
    ]
    wait = throttle.sign_in_wait(attempts, email=email, ip=ip, now=now)
    if wait:
        return None, wait
    _prune(now)
    attempt = AuthAttempt.objects.create(
        kind=Kind.SIGN_IN_FAILED, email=email, ip_address=ip, at=now
    )
    failed = throttle.Attempt(email=email, ip=ip, at=now, succeeded=False)
    return attempt, throttle.sign_in_wait([*attempts, failed], email=email, ip=ip, now=now)


def sign_in_succeeded(*, attempt: AuthAttempt) -> None:
    """Mark an attempt whose password was right: it clears that account's counters only."""
    AuthAttempt.objects.filter(pk=attempt.pk).update(kind=Kind.SIGN_IN_SUCCEEDED)


class ThrottledModelBackend(ModelBackend):
    """ModelBackend behind the sign-in limits; every door that calls authenticate() has them.

    A refusal sets `request.sign_in_wait`, which SignInLimitMiddleware turns into the 429 page.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:  # the shell or a command: nobody to throttle
            return super().authenticate(request, username, password, **kwargs)
        email = (username or kwargs.get("email") or "").strip().lower()[:254]
        attempt_ip = client_ip(request)
        attempt, wait = begin_sign_in(email=email, ip=attempt_ip)
        if attempt is None:
            log.warning("sign-in refused for %s from %s for %s", email, attempt_ip, wait)
            request.sign_in_wait = wait
            raise PermissionDenied
        user = super().authenticate(request, username, password, **kwargs)
        if user is not None:
            sign_in_succeeded(attempt=attempt)
            return user
        if wait:
            request.sign_in_wait = wait  # this failure was the last one allowed: say so now
        # Stops ModelBackend, listed after us for existing sessions, hashing it a second time.
        raise PermissionDenied


@transaction.atomic
def allow_password_reset(*, email: str, ip: str) -> bool:
    """Count a reset request and say whether its email may go out (the answer never says)."""
    now = timezone.now()
    email = email.strip().lower()[:254]
    _lock(f"reset:{email}")
    counts = AuthAttempt.objects.filter(
        kind=Kind.PASSWORD_RESET, at__gt=now - throttle.RESET_WINDOW
    ).aggregate(
        for_email=Count("pk", filter=Q(email=email)),
        from_ip=Count("pk", filter=Q(ip_address=ip)),
    )
    if counts["for_email"] >= throttle.RESET_PER_EMAIL:
        log.warning("password reset not sent: %s had %d this hour", email, counts["for_email"])
        return False
    if counts["from_ip"] >= throttle.RESET_PER_ADDRESS:
        log.warning("password reset not sent: %s asked %d times this hour", ip, counts["from_ip"])
        return False
    _prune(now)
    AuthAttempt.objects.create(kind=Kind.PASSWORD_RESET, email=email, ip_address=ip, at=now)
    return True


def sign_up_wait(*, ip: str) -> timedelta:
    """How long this address must wait before sign-up answers it again; 0 if not at all."""
    now = timezone.now()
    times = AuthAttempt.objects.filter(
        kind=Kind.SIGN_UP_TAKEN, ip_address=ip, at__gt=now - throttle.SIGNUP_TAKEN_WINDOW
    ).values_list("at", flat=True)
    return throttle.limit_wait(
        times,
        limit=throttle.SIGNUP_TAKEN_PER_ADDRESS,
        window=throttle.SIGNUP_TAKEN_WINDOW,
        now=now,
    )


def sign_up_email_taken(*, email: str, ip: str) -> None:
    """Count one "that email already has an account" answer against the asking address."""
    now = timezone.now()
    _prune(now)
    AuthAttempt.objects.create(
        kind=Kind.SIGN_UP_TAKEN, email=email.strip().lower()[:254], ip_address=ip, at=now
    )
