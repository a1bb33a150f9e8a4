"""The study plan: /plan/, re-planning this week, the calendar feed and its token."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from tracker import ical
from tracker.forms import PaceForm
from tracker.models import User
from tracker.selectors.plans import calendar_weeks, plan_view
from tracker.selectors.roadmaps import roadmaps_for_list
from tracker.services import plans


@login_required
@require_safe
def plan(request: HttpRequest) -> HttpResponse:
    # The first visit of a week saves its snapshot, so the list stays put while they work.
    now = timezone.now()
    snapshots = plans.ensure_week_snapshot(learner=request.user, now=now)
    view = plan_view(learner=request.user, now=now, snapshots=snapshots)
    template = "tracker/plan.html"
    if request.htmx and request.GET.get("part") == "this-week-progress":
        template += "#this-week-progress"
    context = {"plan": view, "plan_status": view.status}
    if not view.has_roadmaps:  # nothing followed yet: the first-run choice, right here
        context |= {"choose_roadmaps": list(roadmaps_for_list()), "choose_next": request.path}
    return render(request, template, context)


@login_required
@require_POST
def replan(request: HttpRequest) -> HttpResponse:
    # Only ever the signed-in learner's own current week: no id comes from the request.
    plans.replan_week(learner=request.user)
    if request.htmx:
        view = plan_view(learner=request.user)
        context = {"plan": view, "plan_status": view.status, "replanned": True}
        return render(request, "tracker/plan.html#plan-body", context)
    messages.success(request, "This week is re-planned from your progress today.")
    return redirect("plan")


@login_required
@require_POST
def set_pace(request: HttpRequest) -> HttpResponse:
    # Only the signed-in learner's own setting; an unticked box posts nothing, which is "off".
    form = PaceForm(request.POST, instance=request.user)
    if form.is_valid():
        form.save()
        if form.instance.use_pace_factor:
            messages.success(request, "Your plan follows your pace once it is known.")
        else:
            messages.success(request, "Your plan uses the roadmap's estimates as they are.")
    return redirect("/plan/#pace")


@login_required
@require_POST
def pull_in(request: HttpRequest) -> HttpResponse:
    # Only the signed-in learner's own current week, and only once it is worked through.
    added = plans.pull_in_work(learner=request.user)
    if added:
        messages.success(request, f"Added {added} item{'s' if added != 1 else ''} to this week.")
    else:
        messages.info(request, "Nothing to add: finish this week's list first.")
    return redirect("/plan/#this-week")


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    # The token is the credential (calendar apps cannot sign in): unknown or revoked → 404.
    learner = User.objects.filter(calendar_token=token, is_active=True).first()
    if learner is None:
        raise Http404("No such calendar")
    now = timezone.now()
    feed = ical.study_plan_calendar(
        calendar_weeks(learner=learner, now=now),
        learner_id=learner.pk,
        now=now,
        plan_url=f"{settings.SITE_URL}/plan/",
    )
    response = HttpResponse(feed, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="study-plan.ics"'
    response["Cache-Control"] = "private, max-age=900"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_POST
def regenerate_calendar_token(request: HttpRequest) -> HttpResponse:
    plans.regenerate_calendar_token(learner=request.user)
    if request.htmx:
        context = {"calendar_token_regenerated": True}
        return render(request, "tracker/partials/_calendar_token.html", context)
    messages.success(request, "Your calendar link is new; the old one no longer works.")
    return redirect("/me/#calendar")
