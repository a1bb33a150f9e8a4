"""Link health: one row per normalised external URL, its check history and per-host rules.

A Link is matched to content by URL (Resource.url, Item.badge_url after normalisation);
tracker/services/links.py keeps the rows in step with the content.

`state` is what learners see, and a failure is never cached there: it only becomes `broken`
once confirmed (two broken checks at least 24 h apart, nothing good in between); until then
it keeps the last good state, or `unverified`. `last_result` is the latest check, whatever
it said.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q


class LinkState(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    OK = "ok", "OK"
    REDIRECTED = "redirected", "Redirected"
    BROKEN = "broken", "Broken"
    BLOCKED = "blocked", "Blocked"
    TRANSIENT = "transient", "Transient"
    SKIPPED = "skipped", "Skipped"


GOOD_STATES = (LinkState.OK, LinkState.REDIRECTED)


def _awaiting_confirmation(now) -> Q:
    # next_check_at of an unconfirmed broken link is its first failure + 24 h.
    return Q(last_result=LinkState.BROKEN, next_check_at__lte=now, confirmed_broken_at__isnull=True)


class LinkQuerySet(models.QuerySet):
    def checkable(self):
        """Links that content still uses and nobody asked us to ignore."""
        return self.filter(referenced=True, ignored=False)

    def never_checked(self):
        return self.checkable().filter(last_checked_at__isnull=True)

    def due_for_run(self, now, *, min_gap: timedelta):
        """What a full run checks: new links, failures and good links whose recheck is due.

        Links checked less than `min_gap` ago are left out, so a run that was killed and is
        started again carries on where it stopped instead of starting over; the exception is
        a broken link whose 24 h wait is over, since its next check may confirm it.
        """
        fresh = Q(last_checked_at__isnull=True)
        due = Q(next_check_at__lte=now) | ~Q(last_result__in=GOOD_STATES)
        return self.checkable().filter(
            fresh | (due & Q(last_checked_at__lt=now - min_gap)) | _awaiting_confirmation(now)
        )

    def awaiting_confirmation(self, now):
        """Broken once, not yet confirmed, and the 24 h before a confirming check are over."""
        return self.checkable().filter(_awaiting_confirmation(now))

    def confirmed_broken(self):
        return self.filter(state=LinkState.BROKEN)


class Link(models.Model):
    url = models.CharField(max_length=1000, unique=True, help_text="Normalised: no fragment.")
    host = models.CharField(max_length=255, db_index=True)
    state = models.CharField(
        max_length=20,
        choices=LinkState.choices,
        default=LinkState.UNVERIFIED,
        db_index=True,
        help_text="What learners see; broken only once confirmed.",
    )
    last_result = models.CharField(
        "latest check", max_length=20, choices=LinkState.choices, blank=True, db_index=True
    )
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    consecutive_failures = models.PositiveIntegerField(
        default=0, help_text="Broken checks since the last good one."
    )
    first_failure_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField("last verified", null=True, blank=True)
    confirmed_broken_at = models.DateTimeField(null=True, blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True, editable=False)
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    check_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    suggested_url = models.CharField(max_length=1000, blank=True)
    ignored = models.BooleanField(default=False, help_text="Never check or report this URL.")
    referenced = models.BooleanField(
        default=True, editable=False, help_text="Still used by active content."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LinkQuerySet.as_manager()

    class Meta:
        ordering = ["url"]
        verbose_name_plural = "link health"  # the admin's list is the health report

    def __str__(self) -> str:
        return self.url

    @property
    def check_pending(self) -> bool:
        return self.check_requested_at is not None and (
            self.last_checked_at is None or self.last_checked_at < self.check_requested_at
        )


class LinkCheck(models.Model):
    """One check of one link, kept as history."""

    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField()
    state = models.CharField(max_length=20, choices=LinkState.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    final_url = models.CharField(max_length=1000, blank=True)
    redirects = models.JSONField(default=list, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["link", "-checked_at"])]

    def __str__(self) -> str:
        return f"{self.link} @ {self.checked_at:%Y-%m-%d %H:%M}: {self.state}"


class HostRule(models.Model):
    """Per-host politeness and exclusions; applies to subdomains too."""

    host = models.CharField(max_length=255, unique=True, help_text="e.g. arxiv.org")
    min_interval_s = models.FloatField(
        "minimum interval (s)", null=True, blank=True, help_text="Between requests; blank: default."
    )
    max_per_host = models.PositiveSmallIntegerField(
        "requests at once", null=True, blank=True, help_text="Blank: the default (2)."
    )
    excluded = models.BooleanField(default=False, help_text="Never check links on this host.")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["host"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_interval_s__isnull=True) | Q(min_interval_s__gte=0),
                name="hostrule_interval_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(max_per_host__isnull=True) | Q(max_per_host__gte=1),
                name="hostrule_at_least_one_request",
            ),
        ]

    def __str__(self) -> str:
        return self.host


class LinkAlertRecipient(models.Model):
    """A staff member who wants the email listing newly confirmed broken links."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="link_alerts",
        limit_choices_to={"is_staff": True},
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.user)
