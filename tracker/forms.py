"""Forms. One block per area; each area appends its own forms below."""

import zoneinfo
from functools import cache

from django import forms
from django.contrib.auth.forms import BaseUserCreationForm, PasswordResetForm
from django.core.validators import URLValidator

from tracker.models import Cohort, Item, Progress, Roadmap, Status, User
from tracker.services.signin import allow_password_reset, client_ip

# --- learners: accounts, /me/, progress -------------------------------------------------


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    # "localtime" and "Factory" are tzdata artefacts, not places anyone lives.
    names = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
    return [(name, name.replace("_", " ")) for name in names]


class SignupForm(BaseUserCreationForm):
    """Email, password and confirmation; Django's password validators apply."""

    class Meta:
        model = User
        fields = ("email",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update(autocomplete="email")

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).strip()
        # The database compares lower(email) too; checking here gives a readable message.
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email address already exists. "
                "Sign in, or reset your password if you forgot it.",
                code="duplicate_email",
            )
        return email


class ThrottledPasswordResetForm(PasswordResetForm):
    """Django's reset form, sending nothing past the per-address and per-client limits."""

    def save(self, *, request, **kwargs) -> None:
        # The page answers the same either way: a refusal is logged, never shown.
        if allow_password_reset(email=self.cleaned_data["email"], ip=client_ip(request)):
            super().save(request=request, **kwargs)


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        help_text="Weeks, streaks and your study plan follow this zone.",
    )
    weekly_hours = forms.IntegerField(
        label="Weekly study hours",
        min_value=1,
        max_value=60,
        help_text="Between 1 and 60; the study plan fills this many hours a week.",
    )
    target_date = forms.DateField(
        label="Target finish date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Optional. Leave empty if you have no deadline.",
    )

    class Meta:
        model = User
        fields = ("display_name", "time_zone", "weekly_hours", "target_date", "digest_opt_in")
        labels = {"display_name": "Display name"}
        help_texts = {"display_name": "Shown in the menu and to your mentors."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.time_zone_chosen and not self.is_bound:
            # site.js pre-selects the browser's zone; without JavaScript UTC stays selected.
            # Not on a rejected form: the zone the learner just picked must survive the error.
            self.fields["time_zone"].widget.attrs["data-default-browser-tz"] = "true"

    def save(self, commit: bool = True) -> User:
        self.instance.time_zone_chosen = True
        return super().save(commit=commit)


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                "That is not your password. Nothing was deleted.", code="password_incorrect"
            )
        return password


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)
    skip_reason = forms.CharField(
        label="Reason (optional)",
        max_length=200,
        required=False,
        help_text='For example "already know it".',
    )


http_url_validator = URLValidator(schemes=["http", "https"])


class NoteForm(forms.ModelForm):
    """A private note on any item; projects also take a link to the repository or demo."""

    project_url = forms.URLField(
        label="Link to your repository or demo",
        required=False,
        max_length=500,
        assume_scheme="https",
        validators=[http_url_validator],
        help_text="An http:// or https:// address.",
    )

    class Meta:
        model = Progress
        fields = ("note", "project_url")
        labels = {"note": "Private note"}
        # Not "only you": a learner may share notes with a cohort's mentors (/cohorts/).
        help_texts = {
            "note": "Only you can see this, unless you share your notes with a cohort's mentors."
        }
        widgets = {"note": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, item: Item, **kwargs):
        super().__init__(*args, **kwargs)
        if item.kind != Item.Kind.PROJECT:
            del self.fields["project_url"]


# --- cohorts ---------------------------------------------------------------------------


class CohortForm(forms.ModelForm):
    """Name, roadmap and optional dates; the model's clean() rejects an end before the start."""

    class Meta:
        model = Cohort
        fields = ("name", "roadmap", "starts_on", "ends_on")
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roadmap"].queryset = Roadmap.objects.active()
        if self.instance.pk:
            # Progress is per item of one roadmap: switching roadmaps would empty the dashboard.
            del self.fields["roadmap"]


class AddMentorForm(forms.Form):
    email = forms.EmailField(
        label="Mentor's email", widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )


class JoinCohortForm(forms.Form):
    share_notes = forms.BooleanField(
        label="Share my notes with my mentors",
        required=False,
        help_text="You can change this at any time on your Cohorts page.",
    )


class ShareNotesForm(forms.Form):
    share_notes = forms.BooleanField(label="Share my notes with my mentors", required=False)
