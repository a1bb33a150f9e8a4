from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from tracker import progress_stats
from tracker.models import Roadmap
from tracker.selectors import followed_roadmaps
from tracker.services.plans import plan_status


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The landing page for visitors, the learner's dashboard once signed in."""
    if not request.user.is_authenticated:
        roadmaps = Roadmap.objects.active()
        return render(request, "tracker/landing.html", {"roadmaps": roadmaps})

    roadmaps = followed_roadmaps(request.user)
    dashboard = progress_stats.load_dashboard(request.user, roadmaps, now=timezone.now())
    context = {
        "dashboard": dashboard,
        "chart": progress_stats.chart(dashboard.weeks),
        "plan_status": plan_status(request.user),
    }
    return render(request, "tracker/dashboard.html", context)
