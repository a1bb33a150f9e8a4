from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from tracker import progress_math
from tracker.content_cache import (
    CSRF_SENTINEL,
    has_pending_messages,
    learner_page,
    page_for_cache,
    personalize,
    profile_stamp,
)
from tracker.models import Roadmap
from tracker.selectors.plans import plan_view
from tracker.selectors.progress import load_dashboard

TEMPLATE = "tracker/dashboard.html"


def _dashboard_body(request: HttpRequest, now) -> str:
    # Status and next-up are the plan's position, as /plan/ shows it (`where_am_i`); the
    # dashboard reuses the plan's roadmaps and progress rows rather than reading them twice.
    plan = plan_view(learner=request.user, now=now)
    position = plan.position
    dashboard = load_dashboard(
        request.user,
        plan.roadmaps,
        now=now,
        next_up_ids=position.next_up_ids,
        progress=plan.progress,
    )
    context = {
        "dashboard": dashboard,
        "chart": progress_math.chart(dashboard.weeks),
        "plan_status": position,
        "csrf_token": CSRF_SENTINEL,
    }
    return str(render_to_string(f"{TEMPLATE}#dashboard-body", context, request=request))


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The landing page for visitors, the learner's dashboard once signed in."""
    if not request.user.is_authenticated:
        roadmaps = Roadmap.objects.active()
        return render(request, "tracker/landing.html", {"roadmaps": roadmaps})

    # The dashboard changes with the learner's data and with their local date (streak, chart
    # weeks and plan status count in their weeks; activity shows absolute local times), so
    # it is cached per learner version and local date.
    now = timezone.now()
    if has_pending_messages(request):
        # Rendered by our template (autoescaped) for this learner.
        context = {"body": mark_safe(personalize(_dashboard_body(request, now), request))}
        return render(request, TEMPLATE, context)

    def build() -> str:
        return page_for_cache(TEMPLATE, {"body": mark_safe(_dashboard_body(request, now))}, request)

    today = timezone.localdate(now, ZoneInfo(request.user.time_zone))
    html = learner_page(
        f"dashboard:u{request.user.pk}",
        user_id=request.user.pk,
        stamp=(profile_stamp(request.user), today),
        build=build,
    )
    return HttpResponse(personalize(html, request))
