"""Following roadmaps and ordering them: /me/roadmaps/ and the follow buttons.

Every change is a POST in a real form that redirects back without JavaScript; with htmx the
response is the changed fragment (a card's follow button, or the /me/roadmaps/ list). Only the
signed-in learner's own follows are ever read or changed: URLs carry roadmap slugs, never
follow ids, so there is nothing of anyone else's to point at.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from tracker.forms import ChooseRoadmapsForm
from tracker.models import Roadmap, RoadmapFollow
from tracker.selectors.roadmaps import followed_roadmaps, roadmaps_for_list, with_done_counts
from tracker.services.follows import (
    FollowError,
    UnfollowNeedsConfirmation,
    follow_roadmap,
    follow_roadmaps,
    move_follow,
    progress_on,
    unfollow_roadmap,
)

LIST_PLACE = "list"  # the form sits in /me/roadmaps/: htmx swaps the whole list


def _active_roadmap(slug: str) -> Roadmap:
    roadmap = Roadmap.objects.active().filter(slug=slug).first()
    if roadmap is None:
        raise Http404("No such roadmap")
    return roadmap


def _next_url(request: HttpRequest, default: str = "") -> str:
    candidate = request.POST.get("next") or request.GET.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default or reverse("my_roadmaps")


def choice_context(learner, *, next_url: str) -> dict:
    """What the first-run choice shows (its page, and the dashboard and /plan/ while the
    learner follows nothing): one query for the roadmaps, one for what is followed."""
    return {
        "choose_roadmaps": list(roadmaps_for_list()),
        "choose_next": next_url,
        "chosen": {roadmap.slug for roadmap in followed_roadmaps(learner)},
    }


def _and_list(words: list[str]) -> str:
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def choose_roadmaps(request: HttpRequest) -> HttpResponse:
    """The first-run step: tick the roadmaps to follow, or decide later."""
    next_url = _next_url(request, default=reverse("home"))
    form = ChooseRoadmapsForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        roadmaps = list(form.cleaned_data["roadmaps"])  # in /roadmaps/ order
        follow_roadmaps(learner=request.user, roadmaps=roadmaps)
        hours = " Set your weekly hours below." if next_url == reverse("me") else ""
        titles = _and_list([roadmap.title for roadmap in roadmaps])
        messages.success(
            request, f"You follow {titles}; your plan covers them in that order.{hours}"
        )
        return redirect(next_url)
    context = choice_context(request.user, next_url=next_url)
    if form.is_bound:
        context["chosen"] = set(request.POST.getlist("roadmaps"))
        context["choose_error"] = " ".join(form.errors.get("roadmaps", []))
    status = 400 if form.is_bound else 200
    return render(request, "tracker/choose_roadmaps.html", context, status=status)


def _list_context(learner) -> dict:
    """Followed roadmaps in order and the others, each with `done_count` and `item_count`."""
    roadmaps = {r.id: r for r in with_done_counts(roadmaps_for_list(), learner)}
    followed = [roadmaps[r.id] for r in followed_roadmaps(learner) if r.id in roadmaps]
    followed_ids = {r.id for r in followed}
    return {
        "followed": followed,
        "others": [r for r in roadmaps.values() if r.id not in followed_ids],
    }


def _changed(request: HttpRequest, roadmap: Roadmap, *, error: str = "") -> HttpResponse:
    """The response after a follow change: the fragment for htmx, else a redirect."""
    if request.htmx:
        if request.POST.get("place") == LIST_PLACE:
            context = _list_context(request.user) | {"follow_error": error}
            return render(request, "tracker/follows.html#follow-list", context)
        followed = any(r.id == roadmap.id for r in followed_roadmaps(request.user))
        # The swapped-in form must still send a browser back to the page, not to this URL.
        context = {
            "roadmap": roadmap,
            "followed": followed,
            "follow_error": error,
            "follow_next": _next_url(request),
        }
        return render(request, "tracker/partials/_follow_button.html", context)
    if error:
        messages.error(request, error)
    return redirect(_next_url(request))


@login_required
@require_safe
def my_roadmaps(request: HttpRequest) -> HttpResponse:
    return render(request, "tracker/follows.html", _list_context(request.user))


@login_required
@require_POST
def follow(request: HttpRequest, slug: str) -> HttpResponse:
    roadmap = _active_roadmap(slug)
    follow_roadmap(learner=request.user, roadmap=roadmap)
    if not request.htmx:
        messages.success(request, f"You follow “{roadmap.title}”; your plan now includes it.")
    return _changed(request, roadmap)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def unfollow(request: HttpRequest, slug: str) -> HttpResponse:
    """POST unfollows; a roadmap with progress first asks (GET shows the question)."""
    roadmap = _active_roadmap(slug)
    if request.method != "POST":
        return _confirm_unfollow(request, roadmap)
    try:
        confirmed = request.POST.get("confirm") == "1"
        unfollow_roadmap(learner=request.user, roadmap=roadmap, confirmed=confirmed)
    except RoadmapFollow.DoesNotExist:
        raise Http404("You do not follow this roadmap") from None
    except UnfollowNeedsConfirmation:
        question = (
            f"{reverse('roadmap_unfollow', args=[slug])}?{urlencode({'next': _next_url(request)})}"
        )
        if request.htmx:
            return HttpResponseClientRedirect(question)
        return redirect(question)
    except FollowError as error:
        return _changed(request, roadmap, error=str(error))
    if not request.htmx:
        messages.success(request, f"You no longer follow “{roadmap.title}”; progress is kept.")
    return _changed(request, roadmap)


def _confirm_unfollow(request: HttpRequest, roadmap: Roadmap) -> HttpResponse:
    if not RoadmapFollow.objects.filter(learner=request.user, roadmap=roadmap).exists():
        raise Http404("You do not follow this roadmap")
    started, done = progress_on(learner=request.user, roadmap=roadmap)
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("my_roadmaps")
    context = {
        "roadmap": roadmap,
        "started": started,
        "done": done,
        "others": started - done,
        "next": next_url,
    }
    return render(request, "tracker/unfollow_confirm.html", context)


@login_required
@require_POST
def move(request: HttpRequest, slug: str) -> HttpResponse:
    roadmap = _active_roadmap(slug)
    direction = request.POST.get("direction", "")
    if direction not in ("up", "down"):
        return HttpResponseBadRequest("direction must be up or down")
    try:
        move_follow(learner=request.user, roadmap=roadmap, direction=direction)
    except RoadmapFollow.DoesNotExist:
        raise Http404("You do not follow this roadmap") from None
    if request.htmx:
        return render(request, "tracker/follows.html#follow-list", _list_context(request.user))
    return redirect("my_roadmaps")
