"""Accounts: sign-up, the lockout page, and the learner's own /me/ pages.

Sign-in, sign-out, password change and reset are Django's own views (see tracker/urls.py) with
templates in templates/registration/; their limits are in tracker/services/signin.py.
"""

import csv
import json
import math
from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import PasswordResetView
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tracker.forms import (
    DeleteAccountForm,
    ProfileForm,
    SignupForm,
    ThemeForm,
    ThrottledPasswordResetForm,
)
from tracker.selectors import exports
from tracker.services import signin
from tracker.services.progress import delete_account
from tracker.throttle import wait_text


@require_http_methods(["GET", "HEAD", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    # Where sign-in would have gone (e.g. a cohort invite), kept only if it is on this site.
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.method == "POST" and (wait := signin.sign_up_wait(ip=signin.client_ip(request))):
        message = f"Too many sign-up attempts from your network. Try again in {wait_text(wait)}."
        form = SignupForm(initial={"email": request.POST.get("email", "")})
        context = {"form": form, "next": next_url, "refusal_message": message}
        return render(request, "registration/signup.html", context, status=429)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if next_url:  # e.g. a cohort invite, whose roadmap is followed on joining
            messages.success(request, "Welcome! Your account is ready.")
            return redirect(next_url)
        messages.success(request, "Welcome! Your account is ready. First, choose what to follow.")
        # The first-run step; then the settings page for the weekly hours.
        return redirect(f"{reverse('choose_roadmaps')}?next={reverse('me')}")
    if form.has_error("email", "duplicate_email"):
        signin.sign_up_email_taken(email=request.POST["email"], ip=signin.client_ip(request))
    return render(request, "registration/signup.html", {"form": form, "next": next_url})


# Django's own view and templates; the form sends nothing past the reset limits.
password_reset = PasswordResetView.as_view(form_class=ThrottledPasswordResetForm)


def lockout_response(request: HttpRequest, wait: timedelta) -> HttpResponse:
    """The sign-in page again, saying when to come back (HTTP 429 with Retry-After).

    The admin's sign-in gets its own page with the same message: one set of counters guards
    both doors, and each door answers in its own look, keeping where the user was going.
    """
    message = f"Too many failed sign-ins. Try again in {wait_text(wait)}."
    username = request.POST.get("username", "")
    next_url = _safe_next(request)
    if request.path == reverse("admin:login"):
        response = _admin_lockout_response(request, message, username, next_url)
    else:
        form = AuthenticationForm(request, initial={"username": username})
        context = {"form": form, "locked_out": True, "lockout_message": message, "next": next_url}
        response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(math.ceil(wait.total_seconds()))
    return response


def _safe_next(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return ""


class _LockedOutAdminForm(AdminAuthenticationForm):
    """The admin's sign-in form showing the lockout as its error, never checking a password."""

    def __init__(self, request: HttpRequest, *, message: str, username: str) -> None:
        super().__init__(request, data={"username": username})
        self.lockout_message = message

    def full_clean(self) -> None:
        self._errors = ErrorDict()
        self.cleaned_data = {}
        self.add_error(None, ValidationError(self.lockout_message, code="locked_out"))


def _admin_lockout_response(
    request: HttpRequest, message: str, username: str, next_url: str
) -> HttpResponse:
    # The context Django's admin LoginView gives admin/login.html.
    context = {
        **admin.site.each_context(request),
        "title": "Log in",
        "subtitle": None,
        "app_path": request.get_full_path(),
        "form": _LockedOutAdminForm(request, message=message, username=username),
        "next": next_url or reverse("admin:index"),
        "username": "",
    }
    return render(request, "admin/login.html", context, status=429)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def me(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Your settings are saved.")
            return redirect("me")
        # A rejected save must not leave half-applied values on the session's user.
        request.user.refresh_from_db()
    return render(request, "tracker/me.html", {"form": form})


@login_required
@require_POST
def set_theme(request: HttpRequest) -> HttpResponse:
    """The header's theme switch: saves the choice and goes back to the page it came from."""
    form = ThemeForm(request.POST, instance=request.user)
    if form.is_valid():
        form.save()
    else:
        request.user.refresh_from_db()
        messages.error(request, "That theme does not exist; nothing changed.")
    return redirect(_safe_next(request) or reverse("me"))


@login_required
@require_safe
@never_cache
def export_json(request: HttpRequest) -> HttpResponse:
    data = exports.export(request.user)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="roadmap-tracker-export.json"'
    return response


@login_required
@require_safe
@never_cache
def export_csv(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="roadmap-tracker-export.csv"'
    writer = csv.writer(response)
    for row in exports.csv_rows(exports.export(request.user)):
        writer.writerow(row)
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete_me(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        delete_account(learner=request.user)
        logout(request)
        messages.success(request, "Your account and all your progress have been deleted.")
        return redirect("home")
    return render(request, "tracker/me_delete.html", {"form": form})
