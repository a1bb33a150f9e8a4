from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_safe

from tracker import page_cache, progress_math
from tracker.models import Roadmap
from tracker.selectors.nudges import showing_nudges
from tracker.selectors.plans import plan_view
from tracker.selectors.progress import load_dashboard
from tracker.selectors.roadmaps import roadmaps_for_list

TEMPLATE = "tracker/dashboard.html"


def _dashboard(request: HttpRequest, now) -> dict:
    """The learner's dashboard body and the page around it, to cache for them."""
    body = _dashboard_body(request, now)
    return {"body": body.encode(), "shell": page_cache.page_shell(request, TEMPLATE, "")}


def _dashboard_body(request: HttpRequest, now) -> str:
    # Status and next-up are the plan's position, as /plan/ shows it (`where_am_i`); the
    # dashboard reuses the plan's roadmaps and progress rows rather than reading them twice.
    plan = plan_view(learner=request.user, now=now)
    position = plan.position
    roadmaps = plan.roadmaps
    dashboard = load_dashboard(
        request.user,
        roadmaps,
        now=now,
        next_up_ids=position.next_up_ids,
        progress=plan.progress,
    )
    context = {
        "dashboard": dashboard,
        "chart": progress_math.chart(dashboard.weeks),
        "plan_status": position,
        "nudges": showing_nudges(request.user),
        "csrf_token": page_cache.CSRF_SENTINEL,
    }
    if not roadmaps:  # nothing followed yet: the first-run choice, right here
        context |= {"choose_roadmaps": list(roadmaps_for_list()), "choose_next": "/"}
    return str(render_to_string(f"{TEMPLATE}#dashboard-body", context, request=request))


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The landing page for visitors, the learner's dashboard once signed in."""
    if not request.user.is_authenticated:
        roadmaps = Roadmap.objects.active()
        return render(request, "tracker/landing.html", {"roadmaps": roadmaps})

    # The dashboard also changes with the learner's local date (streak, chart weeks and plan
    # status count in their weeks).
    now = timezone.now()
    today = timezone.localdate(now, ZoneInfo(request.user.time_zone))
    key = page_cache.own_key(request, "dashboard")
    lookup = page_cache.learner_lookup(request, key, extra=today)

    def build() -> HttpResponse:
        page = page_cache.own(lookup, key, lambda: _dashboard(request, now))
        return page_cache.learner_response(request, TEMPLATE, "", page["body"], page["shell"])

    return page_cache.conditional_page(request, lookup.stamp, build)
