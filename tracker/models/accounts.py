import secrets
import zoneinfo

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


def new_calendar_token() -> str:
    # 32 bytes = 256 bits, well above the 128 bits an unguessable feed URL needs.
    return secrets.token_urlsafe(32)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known IANA time zone.")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username):
        # Sign-in ignores the email's case, as the unique constraint on lower(email) does.
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class ColourTheme(models.TextChoices):
    SYSTEM = "system", "Same as my device"
    LIGHT = "light", "Light"
    DARK = "dark", "Dark"


class User(AbstractUser):
    """A person: learner always, mentor when `is_mentor`, admin when staff.

    Email is the login. Study settings live here rather than on a profile row, so that
    every page gets them with the session's user and no extra query.
    """

    username = None
    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(max_length=80, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # False until the learner picks a zone, so /me/ can offer the browser's zone instead of UTC.
    time_zone_chosen = models.BooleanField(default=False, editable=False)
    weekly_hours = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    target_date = models.DateField(null=True, blank=True)
    digest_opt_in = models.BooleanField("email me a weekly digest", default=False)
    nudge_emails = models.BooleanField(
        "email me when a mentor nudges me",
        default=True,
        help_text="Nudges always show on your dashboard; this only stops the emails.",
    )
    # On by default, unlike the learners' digest: an admin made them a mentor for a cohort,
    # and the digest is how at-risk learners reach a mentor who does not visit that week.
    mentor_digest = models.BooleanField(
        "email me a weekly mentor digest",
        default=True,
        help_text="Monday mornings: who is newly at risk, who finished, what awaits review.",
    )
    # Off: finished concepts make no review cards, and the plan reserves no review time.
    spaced_review = models.BooleanField("spaced review of finished concepts", default=True)
    calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    # "system" follows the browser's prefers-color-scheme; the others pin the page's colours.
    theme = models.CharField(max_length=6, choices=ColourTheme.choices, default=ColourTheme.SYSTEM)
    # Scale the remaining plan by the learner's measured pace (tracker/pace.py) once it is known.
    use_pace_factor = models.BooleanField("adjust my plan to my pace", default=True)
    is_mentor = models.BooleanField(
        default=False, help_text="Mentors can create cohorts and see their members' progress."
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekly_hours__gte=1, weekly_hours__lte=60),
                name="user_weekly_hours_1_to_60",
            ),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def name(self) -> str:
        return self.display_name or self.email.split("@")[0]


class AuthAttempt(models.Model):
    """One sign-in, password-reset request or refused sign-up, kept as long as a limit needs it.

    In the database rather than the cache, so the limits hold across processes and while
    Redis is down (tracker/throttle.py has the policy).
    """

    class Kind(models.TextChoices):
        SIGN_IN_FAILED = "sign_in_failed"
        SIGN_IN_SUCCEEDED = "sign_in_succeeded"
        PASSWORD_RESET = "password_reset"
        SIGN_UP_TAKEN = "sign_up_taken"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    # As typed, lower-cased: it may name no account at all.
    email = models.CharField(max_length=254)
    ip_address = models.GenericIPAddressField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["email", "at"], name="authattempt_email_at"),
            models.Index(fields=["ip_address", "at"], name="authattempt_ip_at"),
            models.Index(fields=["at"], name="authattempt_at"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.email} from {self.ip_address} at {self.at:%Y-%m-%d %H:%M:%S}"
