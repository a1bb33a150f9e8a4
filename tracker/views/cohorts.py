"""Cohorts: the learner's side (join, leave, share notes) and the mentor's (dashboard and views).

Access rules, one helper each:
- `_mentored_cohort`: the cohort, if the signed-in user mentors it; anyone else gets a 404,
  so a cohort's existence never leaks.
- `_own_membership`: the signed-in learner's membership of a cohort; 404 if they are not in it.
- `_member`: a learner of a cohort the user mentors; a learner of another cohort is a 404.
"""

import csv
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tracker import at_risk, pace, planning
from tracker.forms import (
    AddMentorForm,
    CohortForm,
    CohortScheduleForm,
    JoinCohortForm,
    ShareNotesForm,
)
from tracker.models import Cohort, Item, Membership, Status, User
from tracker.selectors import cohort_dashboard as dashboard_reads
from tracker.selectors import cohorts as cohort_reads
from tracker.selectors import nudges as nudge_reads
from tracker.selectors.plans import PlanView, finish_of_items, plan_view
from tracker.services import cohorts as services
from tracker.views import nudges as nudge_views


def _mentored_cohort(request: HttpRequest, cohort_id: int) -> Cohort:
    return get_object_or_404(
        Cohort.objects.mentored_by(request.user).select_related("roadmap"), pk=cohort_id
    )


def _own_membership(request: HttpRequest, cohort_id: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("cohort", "cohort__roadmap"),
        cohort_id=cohort_id,
        learner=request.user,
    )


def _member(cohort: Cohort, user_id: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("learner"), cohort=cohort, learner_id=user_id
    )


def _now() -> datetime:
    return timezone.now()


# ---------------------------------------------------------------------------------------------
# Everyone signed in: the list, joining, leaving, sharing notes


@login_required
@require_safe
def cohort_list(request: HttpRequest) -> HttpResponse:
    memberships = (
        Membership.objects.filter(learner=request.user)
        .select_related("cohort", "cohort__roadmap")
        .prefetch_related(Prefetch("cohort__mentors", queryset=User.objects.order_by("email")))
        .order_by("cohort__name")
    )
    mentored = (
        Cohort.objects.mentored_by(request.user)
        .select_related("roadmap")
        .annotate(member_count=Count("memberships"))
    )
    return render(
        request,
        "tracker/cohort_list.html",
        {"memberships": memberships, "mentored": mentored},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def cohort_create(request: HttpRequest) -> HttpResponse:
    if not request.user.is_mentor:
        raise PermissionDenied("Only mentors can create cohorts.")
    form = CohortForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        cohort = services.create_cohort(mentor=request.user, **form.cleaned_data)
        messages.success(request, f"Cohort “{cohort.name}” created. Share its invite link.")
        return redirect("cohort_settings", cohort.pk)
    return render(request, "tracker/cohort_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def cohort_join(request: HttpRequest, code: str) -> HttpResponse:
    cohort = get_object_or_404(
        Cohort.objects.select_related("roadmap").prefetch_related("mentors"), invite_code=code
    )
    if cohort.memberships.filter(learner=request.user).exists():
        messages.info(request, f"You are already in “{cohort.name}”.")
        return redirect("cohort_list")
    # Not `request.POST or None`: an unticked box posts nothing, and that is still a join.
    form = JoinCohortForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.join_cohort(
                learner=request.user, code=code, share_notes=form.cleaned_data["share_notes"]
            )
        except services.CohortError as error:
            messages.error(request, str(error))
            return redirect("cohort_list")
        messages.success(request, f"You joined “{cohort.name}”.")
        return redirect("cohort_list")
    is_mentor_here = request.user in cohort.mentors.all()
    return render(
        request,
        "tracker/cohort_join.html",
        {"cohort": cohort, "form": form, "is_mentor_here": is_mentor_here},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def cohort_leave(request: HttpRequest, cohort_id: int) -> HttpResponse:
    membership = _own_membership(request, cohort_id)
    if request.method == "POST":
        services.leave_cohort(learner=request.user, cohort=membership.cohort)
        messages.success(request, f"You left “{membership.cohort.name}”.")
        return redirect("cohort_list")
    return render(request, "tracker/cohort_leave.html", {"membership": membership})


@login_required
@require_POST
def cohort_share_notes(request: HttpRequest, cohort_id: int) -> HttpResponse:
    membership = _own_membership(request, cohort_id)
    form = ShareNotesForm(request.POST)
    form.is_valid()  # a lone optional checkbox is always valid: absent means "don't share"
    services.set_share_notes(membership=membership, share_notes=form.cleaned_data["share_notes"])
    if request.htmx:
        return render(request, "tracker/cohort_list.html#share-notes", {"membership": membership})
    shared = "now shared with" if membership.share_notes else "now hidden from"
    messages.success(request, f"Your notes are {shared} the mentors of “{membership.cohort}”.")
    return redirect("cohort_list")


# ---------------------------------------------------------------------------------------------
# Mentors: managing a cohort


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def cohort_settings(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = _mentored_cohort(request, cohort_id)
    form = CohortForm(request.POST or None, instance=cohort)
    if request.method == "POST" and form.is_valid():
        services.update_cohort(cohort=cohort, **form.cleaned_data)
        messages.success(request, "Cohort saved.")
        return redirect("cohort_settings", cohort.pk)
    if request.method == "POST":
        # The failed form mutated the instance; show the stored values elsewhere on the page.
        cohort.refresh_from_db()
    return _settings_page(request, cohort, form=form)


def _settings_page(
    request: HttpRequest,
    cohort: Cohort,
    *,
    form: CohortForm | None = None,
    schedule_form: CohortScheduleForm | None = None,
) -> HttpResponse:
    if schedule_form is None:
        schedule_form = CohortScheduleForm(
            cohort=cohort,
            today=_mentor_today(request),
            initial={
                "starts_on": cohort.starts_on,
                "ends_on": cohort.ends_on,
                "milestones": cohort_reads.milestone_text(cohort),
            },
        )
    context = {
        "cohort": cohort,
        "form": form or CohortForm(instance=cohort),
        "schedule_form": schedule_form,
        "mentor_form": AddMentorForm(),
        "invite_url": request.build_absolute_uri(cohort.get_invite_path()),
        "memberships": cohort.memberships.select_related("learner").order_by("learner__email"),
        "mentors": cohort.mentors.order_by("email"),
    }
    return render(request, "tracker/cohort_settings.html", context)


def _mentor_today(request: HttpRequest):
    return planning.local_date(_now(), request.user.time_zone)


@login_required
@require_POST
def cohort_schedule(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = _mentored_cohort(request, cohort_id)
    form = CohortScheduleForm(request.POST, cohort=cohort, today=_mentor_today(request))
    if not form.is_valid():
        return _settings_page(request, cohort, schedule_form=form)
    data = form.cleaned_data
    services.set_schedule(
        cohort=cohort,
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        milestones=data["milestone_items"],
    )
    messages.success(request, "Schedule saved. Learners' plans and the dashboard follow it.")
    return redirect("cohort_settings", cohort.pk)


@login_required
@require_POST
def cohort_regenerate_invite(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = _mentored_cohort(request, cohort_id)
    services.regenerate_invite_code(cohort=cohort)
    messages.success(request, "New invite link created. The old link no longer works.")
    return redirect("cohort_settings", cohort.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def cohort_remove_learner(request: HttpRequest, cohort_id: int, user_id: int) -> HttpResponse:
    cohort = _mentored_cohort(request, cohort_id)
    membership = _member(cohort, user_id)
    if request.method != "POST":
        # A confirmation first, as for a learner leaving: one stray click must not remove.
        return render(request, "tracker/cohort_remove.html", {"membership": membership})
    services.remove_learner(cohort=cohort, learner=membership.learner)
    messages.success(request, f"{membership.learner.name} was removed from “{cohort.name}”.")
    return redirect("cohort_settings", cohort.pk)


@login_required
@require_POST
def cohort_add_mentor(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = _mentored_cohort(request, cohort_id)
    form = AddMentorForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the new mentor's email address.")
        return redirect("cohort_settings", cohort.pk)
    try:
        user = services.add_mentor(cohort=cohort, email=form.cleaned_data["email"])
    except services.CohortError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{user.name} now mentors “{cohort.name}”.")
    return redirect("cohort_settings", cohort.pk)


# ---------------------------------------------------------------------------------------------
# Mentors: reading a cohort


@login_required
@require_safe
@never_cache
def cohort_dashboard(request: HttpRequest, cohort_id: int) -> HttpResponse:
    # Queries: cohort (1), items with their sections (1), then one statement for the counts
    # per filter and this page of learners, filtered and sorted in SQL. The same at any size.
    cohort = _mentored_cohort(request, cohort_id)
    sort, direction = at_risk.clean_sort(request.GET.get("sort"), request.GET.get("dir"))
    show = dashboard_reads.clean_filter(request.GET.get("filter"))
    sections = cohort_reads.section_columns(cohort)
    board = dashboard_reads.dashboard(
        cohort,
        sections,
        now=_now(),
        sort=sort,
        direction=direction,
        show=show,
        number=request.GET.get("page"),
    )
    counts, page = board.counts, board.page
    context = {
        "cohort": cohort,
        "sections": sections,
        "rows": board.rows,
        "page": page,
        "page_links": _page_links(page, sort=sort, direction=direction, show=show),
        "counts_all": counts["all"],
        "at_risk_count": counts["at-risk"],
        "behind_count": counts["behind"],
        "inactive_count": counts["inactive"],
        "stall_days": at_risk.STALL_DAYS,
        "tabs": _filter_tabs(counts, sort=sort, direction=direction, show=show),
        "show": show,
        "sort": sort,
        "direction": direction,
        "headers": _sort_headers(sort, direction, show),
        # One reverse() instead of one per row: 50 rows add up.
        "learners_url": reverse("cohort_dashboard", args=[cohort.pk]) + "learners/",
        # Shown with a Copy button while the cohort is empty.
        "invite_url": request.build_absolute_uri(cohort.get_invite_path()),
        **nudge_views.dashboard_context(request),
    }
    template = "tracker/cohort_dashboard.html"
    if request.htmx:
        template += "#learner-table"
    return render(request, template, context)


def _dashboard_query(*, sort: str, direction: str, show: str, page: int = 1) -> str:
    """The dashboard's query string; the defaults are left out so links stay short."""
    params = {"sort": sort, "dir": direction}
    if show != "all":
        params["filter"] = show
    if page != 1:
        params["page"] = page
    return "?" + urlencode(params)


def _sort_headers(sort: str, direction: str, show: str) -> dict[str, dict]:
    """For each sortable column: the link that sorts by it (back to page 1), and its aria-sort."""
    headers = {}
    for key in at_risk.SORT_KEYS:
        if key == sort:
            next_direction = "asc" if direction == "desc" else "desc"
            state = "ascending" if direction == "asc" else "descending"
        else:
            next_direction = at_risk.DEFAULT_DIRECTION[key]
            state = "none"
        query = _dashboard_query(sort=key, direction=next_direction, show=show)
        headers[key] = {"query": query, "aria_sort": state}
    return headers


def _filter_tabs(counts: dict, *, sort: str, direction: str, show: str) -> list[dict]:
    return [
        {
            "label": label,
            "count": counts[key],
            "query": _dashboard_query(sort=sort, direction=direction, show=key),
            "current": key == show,
        }
        for key, label in dashboard_reads.FILTERS.items()
    ]


def _page_links(page: Page, *, sort: str, direction: str, show: str) -> dict:
    """Previous, next and numbered page links, with gaps ("…") once there are many pages."""

    def query(number: int) -> str:
        return _dashboard_query(sort=sort, direction=direction, show=show, page=number)

    numbers = []
    for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1):
        if number == page.paginator.ELLIPSIS:
            numbers.append({"gap": True})
        else:
            numbers.append(
                {"number": number, "query": query(number), "current": number == page.number}
            )
    return {
        "numbers": numbers,
        "previous": query(page.previous_page_number()) if page.has_previous() else None,
        "next": query(page.next_page_number()) if page.has_next() else None,
    }


@login_required
@require_safe
@never_cache
def cohort_heatmap(request: HttpRequest, cohort_id: int) -> HttpResponse:
    # Queries: cohort, items, member count, this page's members, their statuses.
    cohort = _mentored_cohort(request, cohort_id)
    items = cohort_reads.cohort_items(cohort)
    # A page of learners at a time: 500 x 40 cells is megabytes that nobody can read at once.
    page = Paginator(
        cohort.memberships.select_related("learner").order_by("learner__display_name", "pk"),
        HEATMAP_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    memberships = list(page)
    grid = cohort_reads.status_grid(cohort, items, learner_ids=[m.learner_id for m in memberships])
    rows = [
        {
            "learner": m.learner,
            "cells": [
                _heat_cell(
                    m.learner, item, cohort_reads.status_of(grid.get((m.learner_id, item.id)))
                )
                for item in items
            ],
        }
        for m in memberships
    ]
    legend = [
        {"status": status.value, "label": status.label, "symbol": HEAT_SYMBOLS[status]}
        for status in Status
    ]
    context = {"cohort": cohort, "items": items, "rows": rows, "legend": legend, "page": page}
    return render(request, "tracker/cohort_heatmap.html", context)


HEATMAP_PAGE_SIZE = 100


# The same symbols as the .status badges, so a status reads the same on every page.
HEAT_SYMBOLS = {
    Status.NOT_STARTED: "○",
    Status.IN_PROGRESS: "◐",
    Status.DONE: "●",
    Status.SKIPPED: "⤼",
}


def _heat_cell(learner: User, item: Item, status: str) -> dict:
    label = Status(status).label
    return {
        "status": status,
        "symbol": HEAT_SYMBOLS[status],
        "label": label,
        "title": f"{learner.name} · {item.title}: {label}",
    }


@login_required
@require_safe
@never_cache
def cohort_item(request: HttpRequest, cohort_id: int, item_slug: str) -> HttpResponse:
    cohort = _mentored_cohort(request, cohort_id)
    item = get_object_or_404(
        Item.objects.active().select_related("section"), roadmap=cohort.roadmap, slug=item_slug
    )
    context = {
        "cohort": cohort,
        "item": item,
        "who": cohort_reads.item_breakdown(cohort, item, now=_now()),
        "stuck_factor": at_risk.STUCK_FACTOR,
    }
    return render(request, "tracker/cohort_item.html", context)


@login_required
@require_safe
@never_cache
def cohort_learner(request: HttpRequest, cohort_id: int, user_id: int) -> HttpResponse:
    cohort = _mentored_cohort(request, cohort_id)
    membership = _member(cohort, user_id)
    now = _now()
    detail = cohort_reads.learner_detail(cohort, membership, now=now)
    # Read only: a mentor looking must never create the learner's weekly snapshot.
    plan = plan_view(learner=membership.learner, now=now)
    context = {
        "cohort": cohort,
        "membership": membership,
        "learner": membership.learner,
        "detail": detail,
        "plan_label": plan.status.label,
        "plan_target": _plan_target(plan.position, cohort),
        "plan": _cohort_plan(plan, detail, now),
        "nudges": nudge_reads.nudge_log(cohort, membership.learner),
    }
    return render(request, "tracker/cohort_learner.html", context)


def _plan_target(position, cohort: Cohort) -> str:
    """The target the plan status measures, and whose it is, as a mentor may see it: another
    cohort's name stays private, as the learner's other roadmaps do."""
    if position.target is None:
        return ""
    day = f"{position.target.target_date.day} {position.target.target_date:%B %Y}"
    if not position.target_cohort:
        return f"Target: {day}, their own."
    if position.target_cohort == cohort.name:
        return f"Target: {day}, when this cohort finishes."
    return f"Target: {day}, when another of their cohorts finishes."


def _cohort_plan(plan: PlanView, detail: cohort_reads.LearnerDetail, now: datetime) -> dict:
    """The learner's plan cut down to the cohort's roadmap: the plan covers every roadmap
    they follow, and the join page promises mentors never see the others' progress. So the
    finish date is this roadmap's, not the whole plan's."""
    ours = {entry["item"].id for section in detail.sections for entry in section["entries"]}
    next_week = plan.upcoming.weeks[0] if plan.upcoming.weeks else None
    today = planning.local_date(now, plan.learner.time_zone)
    return {
        "projected_finish": finish_of_items(plan, ours, today=today),
        "week_start": plan.week_start,
        "this_week": [row for row in plan.this_week if row.item_id in ours],
        "next_week_start": next_week.start if next_week else None,
        "next_week": [e for e in next_week.entries if e.item_id in ours] if next_week else [],
        # The factor the plan's hours are scaled by, if any: the learner's own pages say so too.
        "pace": pace.times(plan.position.pace_factor) if plan.position.pace_scaled else "",
    }


class _Echo:
    """A file-like object for csv.writer that hands each line back instead of storing it."""

    def write(self, line: str) -> str:
        return line


@login_required
@require_safe
@never_cache
def cohort_export(request: HttpRequest, cohort_id: int) -> StreamingHttpResponse:
    cohort = _mentored_cohort(request, cohort_id)
    writer = csv.writer(_Echo())
    rows = dashboard_reads.export_rows(cohort, now=_now())
    # Streamed: 50,000 learners would otherwise sit in memory as rows and then as one string.
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    filename = f"cohort-{cohort.pk}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
