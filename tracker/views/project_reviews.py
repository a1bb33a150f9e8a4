"""Project reviews: the learner's submit form on a project's page, the mentor's queue and
decisions. Who may see what is in selectors.project_reviews; anyone else gets a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from tracker import page_cache
from tracker.forms import DecisionForm, SubmissionForm
from tracker.models import Cohort, Decision, Item, SubmissionState
from tracker.selectors import project_reviews as reads
from tracker.selectors import roadmaps as roadmap_reads
from tracker.services import project_reviews as services

QUEUE_PAGE_SIZE = 20


def item_panel(request: HttpRequest, item: Item, form: SubmissionForm | None = None) -> dict:
    """The item page's review block for the signed-in learner: {} unless the item is a
    project of one of their cohorts' roadmaps. One query for the cohorts, one for the history.
    `done_by_review` also turns the page's Done button into "Submit for review"."""
    cohorts = reads.review_cohorts(request.user, item)
    if not cohorts:
        return {}
    history = reads.item_history(request.user, item)
    pending = next((s for s in history if s.state == SubmissionState.PENDING), None)
    if form is None and pending is None:
        progress = getattr(item, "my_progress", None)
        latest_url = history[0].repo_url if history else ""
        initial = {"repo_url": latest_url or (progress.project_url if progress else "")}
        form = SubmissionForm(initial=initial)
    return {
        "review_cohorts": cohorts,
        "review_history": history,
        "review_pending": pending,
        "review_form": form,
        "done_by_review": reads.approval_required(cohorts),
    }


# ---------------------------------------------------------------------------------------------
# Learners


@login_required
@require_POST
def submit_project(request: HttpRequest, slug: str, item_slug: str) -> HttpResponse:
    item = roadmap_reads.item_for_page(slug, item_slug)
    if item is None or not reads.review_cohorts(request.user, item):
        raise Http404("No such project in your cohorts")
    anchor = item.get_absolute_url() + "#project-review"
    form = SubmissionForm(request.POST)
    if not form.is_valid():
        # Show the page again with the errors and what was typed, not lost.
        roadmap_reads.attach_progress([item], request.user)
        context = {
            "item": item,
            "roadmap": item.roadmap,
            "twins": roadmap_reads.item_twins(item),
            "link_notes": page_cache.link_notes(),
            **item_panel(request, item, form),
        }
        return render(request, "tracker/item_detail.html", context, status=400)
    try:
        services.submit_project(learner=request.user, item=item, **form.cleaned_data)
    except services.ReviewError as error:
        messages.error(request, str(error))
        return redirect(anchor)
    messages.success(
        request, f"“{item.title}” is submitted for review. We'll email you the decision."
    )
    return redirect(anchor)


# ---------------------------------------------------------------------------------------------
# Mentors


def _queue_page(request: HttpRequest, cohort: Cohort | None) -> HttpResponse:
    mentored = list(Cohort.objects.mentored_by(request.user).select_related("roadmap"))
    page = Paginator(reads.queue(request.user, cohort), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    entries = list(page)
    earlier = reads.earlier_submissions(entries)
    for entry in entries:
        entry.earlier = earlier[entry.id]
    context = {
        "cohort": cohort,
        "mentored": mentored,
        "page": page,
        "entries": entries,
        "decision_form": DecisionForm(),
        "decisions": Decision,
    }
    return render(request, "tracker/review_queue.html", context)


@login_required
@require_safe
def review_queue(request: HttpRequest) -> HttpResponse:
    """Every cohort the mentor runs, or one (`?cohort=`): pending submissions, oldest first."""
    if not request.user.is_mentor:
        raise Http404("Not a mentor")
    cohort_id = request.GET.get("cohort", "")
    if cohort_id:
        # The filter form's GET: one cohort's queue has its own address.
        if not cohort_id.isdigit():
            raise Http404("No such cohort")
        cohort = get_object_or_404(Cohort.objects.mentored_by(request.user), pk=int(cohort_id))
        return redirect("cohort_reviews", cohort.pk)
    return _queue_page(request, None)


@login_required
@require_safe
def cohort_reviews(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = get_object_or_404(
        Cohort.objects.mentored_by(request.user).select_related("roadmap"), pk=cohort_id
    )
    return _queue_page(request, cohort)


def _back(request: HttpRequest) -> str:
    candidate = request.POST.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/cohorts/reviews/"


@login_required
@require_POST
def decide(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = get_object_or_404(
        reads.visible_to(request.user).select_related("learner", "item__roadmap"),
        pk=submission_id,
    )
    form = DecisionForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(error for errors in form.errors.values() for error in errors)
        messages.error(request, f"{problems} Nothing was decided.")
        return redirect(_back(request))
    try:
        review = services.decide_submission(
            mentor=request.user, submission=submission, **form.cleaned_data
        )
    except services.ReviewError as error:
        messages.info(request, str(error))
        return redirect(_back(request))
    verb = "approved" if review.decision == Decision.APPROVED else "sent back for changes"
    messages.success(
        request,
        f"{submission.learner.name}'s “{submission.item.title}” is {verb}; they'll get an email.",
    )
    return redirect(_back(request))
