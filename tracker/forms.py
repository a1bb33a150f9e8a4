"""Forms. One block per area; each area appends its own forms below."""

import zoneinfo
from datetime import date
from functools import cache

from django import forms
from django.contrib.auth.forms import BaseUserCreationForm, PasswordResetForm
from django.core.validators import URLValidator
from django.utils import timezone

from tracker import cohort_pace, planning
from tracker.models import Cohort, Item, Progress, Roadmap, Status, User, project_reviews
from tracker.models.nudges import NUDGE_MESSAGE_MAX
from tracker.services.signin import allow_password_reset, client_ip

# --- learners: accounts, /me/, progress -------------------------------------------------

# Limits on what people type. The hints say them, `maxlength` stops typing at them, and the
# form says how long a pasted value is. Notes have no column limit: older, longer
# notes are kept whole and can still be read, and shortened to be saved again.
DISPLAY_NAME_MAX = User._meta.get_field("display_name").max_length  # 80
NOTE_MAX = 10_000
SKIP_REASON_MAX = Progress._meta.get_field("skip_reason").max_length  # 200
PROJECT_URL_MAX = Progress._meta.get_field("project_url").max_length  # 500
COHORT_NAME_MAX = Cohort._meta.get_field("name").max_length  # 120


def too_long_message(what: str, limit: int) -> str:
    """The max_length message: the limit, and how long the typed value is."""
    return f"{what} can be up to {limit:,} characters; this one has %(show_value)d."


def up_to(limit: int) -> str:
    return f"Up to {limit:,} characters."


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


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


PACE_HELP = (
    "Once you have started and finished 3 items, your plan's hours are scaled by how long you "
    "take compared with the estimates. Untick to plan with the roadmap's estimates as they are."
)


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
        fields = (
            "display_name",
            "time_zone",
            "weekly_hours",
            "target_date",
            "digest_opt_in",
            "nudge_emails",
            "mentor_digest",
            "use_pace_factor",
            "spaced_review",
            "theme",
        )
        labels = {"display_name": "Display name", "theme": "Colour theme"}
        help_texts = {
            "display_name": f"Shown in the menu and to your mentors. {up_to(DISPLAY_NAME_MAX)}",
            "use_pace_factor": PACE_HELP,
            "theme": "Light or dark pages, or the same as your device's setting.",
            "spaced_review": (
                "Concepts you finish come back for a short review at growing intervals, and "
                "your plan keeps time for them. Off: nothing new is queued and no time is kept."
            ),
        }
        error_messages = {
            "display_name": {"max_length": too_long_message("A name", DISPLAY_NAME_MAX)}
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.time_zone_chosen and not self.is_bound:
            # site.js pre-selects the browser's zone; without JavaScript UTC stays selected.
            # Not on a rejected form: the zone the learner just picked must survive the error.
            self.fields["time_zone"].widget.attrs["data-default-browser-tz"] = "true"
        self.fields["theme"].required = False
        if not self.instance.is_mentor:
            del self.fields["mentor_digest"]  # mentors only; a learner's value stays as it is
        today = self._today(self.instance.time_zone)
        target = self.fields["target_date"]
        target.widget.attrs["min"] = today.isoformat()
        stored = self.instance.target_date
        if stored and stored < today:
            target.help_text = (
                f"Your target of {_long_date(stored)} has passed. "
                "Choose a new date, or clear it if you have no deadline."
            )

    @staticmethod
    def _today(time_zone: str) -> date:
        return planning.local_date(timezone.now(), time_zone)

    def clean_theme(self) -> str:
        # Optional here: a form without it (an older page, a script) keeps the current theme.
        return self.cleaned_data.get("theme") or self.instance.theme

    def clean_target_date(self) -> date | None:
        target = self.cleaned_data["target_date"]
        # The learner's today, in the zone they are choosing now if they pick one.
        time_zone = self.cleaned_data.get("time_zone") or self.instance.time_zone
        today = self._today(time_zone)
        # A passed target left as it was is kept (the page says it has passed); a changed
        # one must not be in the past, or the plan could only ever say "can't be met".
        if target and target < today and target != self.initial.get("target_date"):
            raise forms.ValidationError(
                f"{_long_date(target)} has passed. Choose today or a later date, "
                "or leave it empty if you have no deadline.",
                code="past_target",
            )
        return target

    def save(self, commit: bool = True) -> User:
        self.instance.time_zone_chosen = True
        return super().save(commit=commit)


class PaceForm(forms.ModelForm):
    """/plan/'s switch between the learner's pace and the roadmap's estimates: one field."""

    class Meta:
        model = User
        fields = ("use_pace_factor",)
        help_texts = {"use_pace_factor": PACE_HELP}


class ThemeForm(forms.ModelForm):
    """The header's theme switch: one field, so a switch never touches the other settings."""

    class Meta:
        model = User
        fields = ("theme",)


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
        max_length=SKIP_REASON_MAX,
        required=False,
        help_text=f'For example "already know it". {up_to(SKIP_REASON_MAX)}',
        error_messages={"max_length": too_long_message("A reason", SKIP_REASON_MAX)},
    )

    def clean_skip_reason(self) -> str:
        # Typed in a one-line text area: a pasted line break is a space.
        return " ".join(self.cleaned_data["skip_reason"].split())


http_url_validator = URLValidator(schemes=["http", "https"])


class ProjectURLField(forms.URLField):
    """An http(s) address with one message per problem.

    URLField's own validator and the http-only one both said "Enter a valid URL." for the
    same mistake; here the length is checked first, then the address, and the first fails.
    """

    default_validators = []

    def run_validators(self, value: str) -> None:
        if value in self.empty_values:
            return
        if len(value) > self.max_length:
            raise forms.ValidationError(
                f"A link can be up to {self.max_length} characters; this one has {len(value)}.",
                code="max_length",
            )
        try:
            http_url_validator(value)
        except forms.ValidationError:
            raise forms.ValidationError(
                "Enter a web address starting with http:// or https://, "
                "such as https://github.com/you/project.",
                code="invalid",
            ) from None


class NoteField(forms.CharField):
    """Text from a textarea, with its line breaks counted as the browser counts them."""

    def to_python(self, value) -> str:
        # Browsers send each line break as CRLF but count it as one character against
        # maxlength; without this a note the browser accepted could be refused as too long.
        return super().to_python(value).replace("\r\n", "\n")

    def validate(self, value: str) -> None:
        super().validate(value)
        # Checked before the max_length validator runs, to print both numbers as 10,000.
        if len(value) > self.max_length:
            raise forms.ValidationError(
                f"A note can be up to {self.max_length:,} characters; this one has {len(value):,}.",
                code="max_length",
            )


class NoteForm(forms.ModelForm):
    """A private note on any item; projects also take a link to the repository or demo."""

    note = NoteField(
        label="Private note",
        required=False,
        max_length=NOTE_MAX,
        # Not "only you": a learner may share notes with a cohort's mentors (/cohorts/).
        help_text=(
            "Only you can see this, unless you share your notes with a cohort's mentors. "
            f"{up_to(NOTE_MAX)}"
        ),
        widget=forms.Textarea(attrs={"rows": 4, "data-count-characters": ""}),
    )
    project_url = ProjectURLField(
        label="Link to your repository or demo",
        required=False,
        max_length=PROJECT_URL_MAX,
        assume_scheme="https",
        help_text=f"An http:// or https:// address, up to {PROJECT_URL_MAX} characters.",
    )

    class Meta:
        model = Progress
        fields = ("note", "project_url")

    def __init__(self, *args, item: Item, **kwargs):
        super().__init__(*args, **kwargs)
        if item.kind != Item.Kind.PROJECT:
            del self.fields["project_url"]


# --- cohorts ---------------------------------------------------------------------------


class CohortForm(forms.ModelForm):
    """Name, roadmap and optional dates; the model's clean() rejects an end before the start.
    Once the cohort exists its dates are its schedule's (`CohortScheduleForm`)."""

    class Meta:
        model = Cohort
        fields = ("name", "roadmap", "starts_on", "ends_on", "projects_need_approval")
        help_texts = {"name": up_to(COHORT_NAME_MAX)}
        error_messages = {"name": {"max_length": too_long_message("A name", COHORT_NAME_MAX)}}
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
            del self.fields["starts_on"], self.fields["ends_on"]


class CohortScheduleForm(forms.Form):
    """The cohort's schedule: start and finish dates, and "week N: item-slug" lines.

    A changed finish date can't be in the past (a stored one that has passed is kept, as a
    learner's target is). Week 1 begins on the start date, so week targets need one; no week
    may begin after the finish date; each item of the cohort's roadmap once.
    """

    starts_on = forms.DateField(
        label="Start date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Week 1 begins on this day.",
    )
    ends_on = forms.DateField(
        label="Finish date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=(
            "Optional. Learners' plans aim for it when they have no earlier target, and the "
            "dashboard compares each learner with an even pace from start to finish."
        ),
    )
    milestones = forms.CharField(
        label="Week-by-week target items",
        required=False,
        max_length=cohort_pace.MILESTONES_MAX,
        error_messages={"max_length": too_long_message("The list", cohort_pace.MILESTONES_MAX)},
        widget=forms.Textarea(attrs={"rows": 6, "data-count-characters": ""}),
        help_text=(
            "Optional. One line each, such as “week 2: tokenization” (the item's slug, as in "
            "its address). They replace the even pace, and learners' plans put them first. "
            f"{up_to(cohort_pace.MILESTONES_MAX)}"
        ),
    )

    def __init__(self, *args, cohort: Cohort, today: date, **kwargs):
        self.cohort, self.today = cohort, today
        super().__init__(*args, **kwargs)

    def clean_ends_on(self) -> date | None:
        ends_on = self.cleaned_data["ends_on"]
        if ends_on and ends_on < self.today and ends_on != self.cohort.ends_on:
            raise forms.ValidationError(
                f"{_long_date(ends_on)} has passed. Choose today or a later finish date.",
                code="past_finish",
            )
        return ends_on

    def clean(self) -> dict:
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", "The finish date can't be before the start date.")
            return data
        lines, problems = cohort_pace.parse_milestones(data.get("milestones") or "")
        if lines and not starts_on and "starts_on" not in self.errors:
            problems.insert(0, "Week targets count from the start date: set one.")
        items = {
            item.slug: item
            for item in Item.objects.active().filter(
                roadmap_id=self.cohort.roadmap_id, slug__in=[slug for _, _, slug in lines]
            )
        }
        last_week = cohort_pace.week_of(starts_on, ends_on) if starts_on and ends_on else None
        weeks: dict[str, int] = {}
        found = []
        for number, week, slug in lines:
            item = items.get(slug)
            if week < 1:
                problems.append(f"Line {number}: weeks count from 1.")
            elif week > (last_week or cohort_pace.MAX_WEEKS):
                limit = (
                    f"the finish date falls in week {last_week}"
                    if last_week
                    else f"plan at most {cohort_pace.MAX_WEEKS} weeks ahead"
                )
                problems.append(f"Line {number}: week {week} is too late; {limit}.")
            elif item is None:
                problems.append(
                    f"Line {number}: “{slug}” is not an item of {self.cohort.roadmap.title}."
                )
            elif slug in weeks:
                problems.append(f"Line {number}: “{slug}” is already due in week {weeks[slug]}.")
            else:
                weeks[slug] = week
                found.append((week, item))
        for problem in problems:
            self.add_error("milestones", problem)
        data["milestone_items"] = found
        return data


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


class ChooseRoadmapsForm(forms.Form):
    """The first-run step: the active roadmaps to follow, at least one."""

    roadmaps = forms.ModelMultipleChoiceField(
        queryset=Roadmap.objects.active(),
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one roadmap, or decide later.",
            "invalid_choice": "“%(value)s” is not a roadmap you can follow. Nothing changed.",
        },
    )


# --- project reviews -------------------------------------------------------------------------

WRITEUP_MAX = project_reviews.WRITEUP_MAX  # 5,000
COMMENT_MAX = project_reviews.COMMENT_MAX  # 5,000
REPO_URL_MAX = project_reviews.REPO_URL_MAX  # 500


class LimitedTextField(NoteField):
    """A textarea's text with its limit in the message, e.g. "A write-up can be up to…"."""

    def __init__(self, *, what: str, **kwargs):
        self.what = what
        super().__init__(**kwargs)

    def validate(self, value: str) -> None:
        forms.CharField.validate(self, value)
        if len(value) > self.max_length:
            raise forms.ValidationError(
                f"{self.what} can be up to {self.max_length:,} characters; "
                f"this one has {len(value):,}.",
                code="max_length",
            )


class SubmissionForm(forms.Form):
    repo_url = ProjectURLField(
        label="Link to your repository",
        max_length=REPO_URL_MAX,
        assume_scheme="https",
        help_text=f"An http:// or https:// address, up to {REPO_URL_MAX} characters.",
        error_messages={"required": "Add the link to your repository."},
    )
    writeup = LimitedTextField(
        what="A write-up",
        label="Write-up (markdown)",
        required=False,
        max_length=WRITEUP_MAX,
        help_text=(
            "What you built, what you learned, what you would like feedback on. Markdown. "
            f"{up_to(WRITEUP_MAX)}"
        ),
        widget=forms.Textarea(attrs={"rows": 6, "data-count-characters": ""}),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=project_reviews.Decision.choices,
        error_messages={"required": "Choose approve or ask for changes."},
    )
    comment = LimitedTextField(
        what="A comment",
        label="Comment for the learner",
        required=False,
        max_length=COMMENT_MAX,
        help_text=f"Needed to ask for changes. Markdown. {up_to(COMMENT_MAX)}",
        widget=forms.Textarea(attrs={"rows": 4, "data-count-characters": ""}),
    )

    def clean(self) -> dict:
        data = super().clean()
        if (
            data.get("decision") == project_reviews.Decision.CHANGES_REQUESTED
            and not (data.get("comment") or "").strip()
        ):
            self.add_error("comment", "Say what should change: a comment is needed.")
        return data


# --- mentors: nudges -----------------------------------------------------------------------


class NudgeMessageField(forms.CharField):
    def to_python(self, value) -> str:
        # A line break is one character to the browser's maxlength, two (CRLF) when posted.
        return super().to_python(value).replace("\r\n", "\n")


class NudgeForm(forms.Form):
    """The message; the learners are the ticked rows of the cohort table (the view checks)."""

    message = NudgeMessageField(
        label="Message",
        max_length=NUDGE_MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"Short and kind: what to do next. {up_to(NUDGE_MESSAGE_MAX)}",
        error_messages={
            "max_length": too_long_message("A nudge", NUDGE_MESSAGE_MAX),
            "required": "Write a message to send.",
        },
    )
