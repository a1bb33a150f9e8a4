from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from tracker import page_cache, progress_stats
from tracker.models import Roadmap
from tracker.selectors import followed_roadmaps
from tracker.services.plans import plan_status


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The landing page for visitors, the learner's dashboard once signed in."""
    if not request.user.is_authenticated:
        roadmaps = Roadmap.objects.active()
        return render(request, "tracker/landing.html", {"roadmaps": roadmaps})

    # The dashboard also changes with the learner's local date (streak, chart weeks and plan
    # status count in their weeks), so the date is part of its ETag.
    now = timezone.now()
    today = timezone.localdate(now, ZoneInfo(request.user.time_zone))
    etag = page_cache.learner_etag(request, today)

    def build() -> HttpResponse:
        dashboard = progress_stats.load_dashboard(
            request.user, followed_roadmaps(request.user), now=now
        )
        context = {
            "dashboard": dashboard,
            "chart": progress_stats.chart(dashboard.weeks),
            "plan_status": plan_status(request.user, now=now),
        }
        return render(request, "tracker/dashboard.html", context)

    return page_cache.conditional_page(request, etag, build)
