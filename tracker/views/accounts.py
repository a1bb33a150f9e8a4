"""Accounts: sign-up, the lockout page, and the learner's own /me/ pages.

Sign-in, sign-out, password change and reset are Django's own views (see tracker/urls.py) with
templates in templates/registration/.
"""

import csv
import json
import math

from axes.helpers import get_client_ip_address, get_cool_off
from axes.models import AccessAttempt
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from tracker import learner_data
from tracker.forms import DeleteAccountForm, ProfileForm, SignupForm
from tracker.services.progress import delete_account


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
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome! Your account is ready. Set your weekly hours below.")
        return redirect(next_url or "me")
    return render(request, "registration/signup.html", {"form": form, "next": next_url})


def axes_username(request: HttpRequest, credentials: dict | None = None) -> str:
    """AXES_USERNAME_CALLABLE: the email typed into the sign-in form, lower-cased."""
    source = credentials if credentials is not None else request.POST
    return (source.get("username") or "").strip().lower()


def minutes_until_unlocked(request: HttpRequest, username: str) -> int:
    """Whole minutes until the newest failure for this account or address leaves the window."""
    cool_off = get_cool_off(request)
    ip_address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
    latest = (
        AccessAttempt.objects.filter(Q(username=username) | Q(ip_address=ip_address))
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    if latest is None:
        return math.ceil(cool_off.total_seconds() / 60)
    remaining = (latest + cool_off - timezone.now()).total_seconds()
    return max(1, math.ceil(remaining / 60))


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the sign-in page again, saying when to come back (HTTP 429)."""
    minutes = minutes_until_unlocked(request, axes_username(request, credentials))
    form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
    context = {
        "form": form,
        "locked_out": True,
        "lockout_message": (
            f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        ),
    }
    return render(request, "registration/login.html", context, status=429)


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
@require_safe
@never_cache
def export_json(request: HttpRequest) -> HttpResponse:
    data = learner_data.export(request.user)
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
    for row in learner_data.csv_rows(learner_data.export(request.user)):
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
