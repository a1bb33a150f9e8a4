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
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from tracker.models import Roadmap, RoadmapFollow
from tracker.selectors.roadmaps import followed_roadmaps, roadmaps_for_list, with_done_counts
from tracker.services.follows import FollowError, follow_roadmap, move_follow, unfollow_roadmap

LIST_PLACE = "list"  # the form sits in /me/roadmaps/: htmx swaps the whole list


def _active_roadmap(slug: str) -> Roadmap:
    roadmap = Roadmap.objects.active().filter(slug=slug).first()
    if roadmap is None:
        raise Http404("No such roadmap")
    return roadmap


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("my_roadmaps")


def _list_context(learner) -> dict:
    """Followed roadmaps in order and the others, each with `done_count` and `item_count`."""
    roadmaps = {r.id: r for r in with_done_counts(roadmaps_for_list(), learner)}
    followed = [roadmaps[r.id] for r in followed_roadmaps(learner) if r.id in roadmaps]
    followed_ids = {r.id for r in followed}
    return {
        "followed": followed,
        "others": [r for r in roadmaps.values() if r.id not in followed_ids],
        "explicit": RoadmapFollow.objects.filter(learner=learner).exists(),
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
@require_POST
def unfollow(request: HttpRequest, slug: str) -> HttpResponse:
    roadmap = _active_roadmap(slug)
    try:
        unfollow_roadmap(learner=request.user, roadmap=roadmap)
    except RoadmapFollow.DoesNotExist:
        raise Http404("You do not follow this roadmap") from None
    except FollowError as error:
        return _changed(request, roadmap, error=str(error))
    if not request.htmx:
        messages.success(request, f"You no longer follow “{roadmap.title}”; progress is kept.")
    return _changed(request, roadmap)


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
