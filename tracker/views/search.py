"""Search across roadmaps: /search/?q=… (public; signed-in learners also find their notes)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from tracker import search_text
from tracker.selectors.search import RESULT_LIMIT, search


@require_safe
def search_page(request: HttpRequest) -> HttpResponse:
    results = search(request.GET.get("q", ""), request.user)
    context = {
        "results": results,
        "max_length": search_text.MAX_QUERY_LENGTH,
        "result_limit": RESULT_LIMIT,
    }
    return render(request, "tracker/search.html", context)
