from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from tracker.models import Roadmap


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    # The learners' dashboard replaces this for signed-in users.
    roadmaps = Roadmap.objects.active()
    return render(request, "tracker/landing.html", {"roadmaps": roadmaps})
