"""Nudges: a mentor sends them from the cohort dashboard; the learner dismisses them.

Access: sending needs a cohort the user mentors (a 404 for anyone else, as
`views.cohorts._mentored_cohort`), and every learner id posted must be a member of it, or the
whole request is a 404 and nothing is sent: a forged id is never silently dropped.
Dismissing finds the nudge among the signed-in learner's own; another learner's id is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tracker import nudge_limits
from tracker.forms import NudgeForm
from tracker.models import Cohort, Nudge
from tracker.models.nudges import NUDGE_MESSAGE_MAX
from tracker.selectors import nudges as nudge_reads
from tracker.services import nudges as services

# The draft survives a refused send (no learner ticked), so the mentor never retypes it.
DRAFT_KEY = "nudge-draft"


def dashboard_context(request: HttpRequest) -> dict:
    """What the cohort dashboard needs for its nudge form and row checkboxes."""
    select = request.GET.copy()
    select["filter"], select["select"] = "at-risk", "at-risk"
    select.pop("page", None)
    draft = request.session.pop(DRAFT_KEY, "")
    return {
        "nudge_form": NudgeForm(initial={"message": draft}),
        "select_at_risk": request.GET.get("select") == "at-risk",
        "select_at_risk_query": "?" + select.urlencode(),
        "nudge_mentor_daily": nudge_limits.MENTOR_DAILY,
    }


def _learner_ids(values: list[str]) -> set[int]:
    try:
        return {int(value) for value in values}
    except ValueError:
        raise Http404("No such learner.") from None


@login_required
@require_POST
def send_nudges(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort.objects.mentored_by(request.user), pk=cohort_id)
    ids = _learner_ids(request.POST.getlist("learner"))
    learners = nudge_reads.cohort_members(cohort, ids)
    if len(learners) != len(ids):
        raise Http404("No such learner in this cohort.")
    back = reverse("cohort_dashboard", args=[cohort.pk])
    form = NudgeForm(request.POST)
    if not form.is_valid() or not learners:
        for error in form.errors.get("message", []):
            messages.error(request, error)
        if not learners:
            messages.error(request, "Tick the learners to nudge in the table first.")
        request.session[DRAFT_KEY] = request.POST.get("message", "")[:NUDGE_MESSAGE_MAX]
        return redirect(back)
    result = services.send_nudges(
        mentor=request.user, cohort=cohort, learners=learners, message=form.cleaned_data["message"]
    )
    if result.sent:
        names = ", ".join(learner.name for learner in result.sent)
        messages.success(request, f"Nudge sent to {len(result.sent)}: {names}.")
    for learner, why in result.skipped:
        messages.warning(request, f"Not sent to {learner.name}: {why}.")
    return redirect(back)


@login_required
@require_POST
def dismiss_nudge(request: HttpRequest, nudge_id: int) -> HttpResponse:
    nudge = get_object_or_404(Nudge.objects.for_learner(request.user), pk=nudge_id)
    services.dismiss_nudge(nudge=nudge)
    if request.htmx:
        # The remaining nudges, or nothing once the last one is gone.
        context = {"nudges": nudge_reads.showing_nudges(request.user)}
        return render(request, "tracker/partials/_nudges.html", context)
    return redirect("home")
