"""Spaced review: the learner's cards due today, and their self-ratings."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from tracker import page_cache, planning, reviews
from tracker.models import Rating, ReviewCard
from tracker.selectors.spaced_review import review_queue
from tracker.services import spaced_review

TEMPLATE = "tracker/spaced_review.html"


class RatingForm(forms.Form):
    rating = forms.ChoiceField(choices=Rating.choices)


@login_required
@require_safe
def review(request: HttpRequest) -> HttpResponse:
    return render(request, TEMPLATE, _context(request))


@login_required
@require_POST
def rate(request: HttpRequest, card_id: int) -> HttpResponse:
    # Only the signed-in learner's own cards: anyone else's id is a 404.
    card = get_object_or_404(
        ReviewCard.objects.select_related("item"), pk=card_id, learner=request.user
    )
    if not request.user.spaced_review:
        messages.info(request, "Spaced review is off: turn it on in your settings to rate.")
        return redirect("spaced_review")
    form = RatingForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Rate with again, hard, good or easy.")
    now = timezone.now()
    rating = form.cleaned_data["rating"]
    card = spaced_review.rate_card(learner=request.user, card_id=card.pk, rating=rating, now=now)
    told = _next_review(card, rating, now, request.user.time_zone)
    if request.htmx:
        return render(request, f"{TEMPLATE}#review-region", _context(request, rated=told))
    messages.success(request, told)
    return redirect("spaced_review")


def _context(request: HttpRequest, rated: str = "") -> dict:
    now = timezone.now()
    return {
        "queue": review_queue(learner=request.user, now=now),
        "rated": rated,
        "link_notes": page_cache.link_notes(),
    }


def _next_review(card: ReviewCard, rating: str, now, time_zone: str) -> str:
    days = reviews.days_until(card.due, now=now, time_zone=time_zone)
    when = "tomorrow" if days == 1 else f"in {days} days"
    label = Rating(rating).label.lower()
    day = planning.local_date(card.due, time_zone)
    return f"“{card.item.title}” rated {label}: next review {when}, on {day:%A %-d %B}."
