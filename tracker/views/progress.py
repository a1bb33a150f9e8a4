"""Changing an item's status and note: one click from the roadmap page or the item page.

With htmx the response is just the changed fragment (the item's row or the item page's status
block) plus the progress bars as an out-of-band swap; without JavaScript the same forms post
and redirect back to where they came from.
"""

import copy
import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect, push_url

from tracker import page_cache
from tracker.forms import NoteForm, StatusForm
from tracker.models import Item, Status
from tracker.progress_math import Counts
from tracker.selectors import progress as progress_reads
from tracker.selectors import project_reviews as review_reads
from tracker.selectors import roadmaps as roadmap_reads
from tracker.services.progress import save_note, set_status

ITEM_PAGE = "item"


def _active_item(slug: str, item_slug: str) -> Item:
    item = roadmap_reads.item_for_page(slug, item_slug)
    if item is None:
        raise Http404("No such item")
    return item


def _next_url(request: HttpRequest, item: Item, anchor: str = "") -> str:
    """Where to send a browser without JavaScript: back where it came from, if that is us;
    else the item's row on its roadmap page (whose forms send no `next`, to stay light), or
    the item's page."""
    candidate = request.POST.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate.split("#", 1)[0] + anchor
    if anchor:
        return item.roadmap.get_absolute_url() + anchor
    return item.get_absolute_url()


def _status_fragment(
    request: HttpRequest,
    row: page_cache.RowParts,
    item: Item,
    place: str,
    done_by_review: bool = False,
) -> str:
    """The changed item's row and the bars it moved (out of band), or on the item page just
    its status block: that page has no bars. `item` is the row's, with the learner's
    `my_progress`."""
    if place == ITEM_PAGE:
        context = {
            "item": item,
            "roadmap": item.roadmap,
            "status_place": place,
            "status_next": request.POST.get("next", ""),
            "done_by_review": done_by_review,
        }
        return render_to_string(
            "tracker/partials/_item_status.html#item-status", context, request=request
        )
    mine = item.my_progress
    # The row comes from parts cached per content version; only the two bars are rendered.
    html = page_cache.row_html(request, row, mine)
    html = page_cache.personalize(
        html, request, path=request.POST.get("next") or request.get_full_path()
    )
    # set_status read the learner's statuses for the bars: no query.
    progress = progress_reads.roadmap_progress(
        request.user, item.roadmap, row.layout, mine.roadmap_statuses
    )
    # The summary shows per-section bars only when there is more than one section.
    sections = progress.sections if len(progress.sections) > 1 else []
    section = next((s for s in sections if s.id == item.section_id), None)
    bars = _bar_html(_bar_figures(progress.counts), "Overall")
    if section:
        bars += _bar_html(_bar_figures(section.counts), section.title, section.id)
    return html + bars + _twin_rows(request, item, mine)


def _bar_figures(counts: Counts) -> tuple[int, int, int]:
    return counts.total, counts.done, counts.skipped  # all that a bar shows


@functools.lru_cache(maxsize=4096)
def _bar_html(figures: tuple[int, int, int], label: str, section_id: int | None = None) -> str:
    """A progress bar sent out of band. It shows nothing but its figures and its label, and a
    click moves it by one: each is rendered once per process, not on every click."""
    context = {"counts": Counts(*figures), "label": label, "oob": True}
    context["section_id" if section_id else "overall"] = section_id or True
    return render_to_string("tracker/partials/_progress_bar.html", context)


def _twin_rows(request: HttpRequest, item: Item, mine) -> str:
    """The rows of the item's shared-topic twins on the same roadmap page, swapped out of band:
    they are the same piece of progress, so they changed too (set_status found them)."""
    slugs = [twin.slug for twin in mine.twins if twin.roadmap_id == item.roadmap_id]
    html = []
    for slug in slugs:
        twin = page_cache.row_parts(request, item.roadmap.slug, slug)
        if twin is None:
            continue
        row = page_cache.row_html(request, twin, mine)
        row = row.replace(
            f'id="item-{twin.item.id}"', f'id="item-{twin.item.id}" hx-swap-oob="true"', 1
        )
        path = request.POST.get("next") or request.get_full_path()
        # A <template> lets htmx take table rows out of band as well as list entries.
        html.append(f"<template>{page_cache.personalize(row, request, path=path)}</template>")
    return "".join(html)


@login_required
@require_POST
def set_item_status(request: HttpRequest, slug: str, item_slug: str) -> HttpResponse:
    # The one-click path: the item and its row come from the cache, so the change costs the
    # session, the user and the write (which also reads the statuses the bars count).
    row = page_cache.row_parts(request, slug, item_slug)
    if row is None:
        raise Http404("No such item")
    item = copy.copy(row.item)  # the cached parts are shared: this one gets the learner's row
    place = request.POST.get("place", "")
    anchor = "" if place == ITEM_PAGE else f"#item-{item.id}"
    form = StatusForm(request.POST)
    if not form.is_valid():
        problem = form.errors.get("skip_reason", ["That status is not one we know."])[0]
        if request.htmx:
            return HttpResponse(problem, status=400)
        messages.error(request, f"{problem} Nothing changed.")
        return redirect(_next_url(request, item, anchor))
    # In a cohort where projects need a mentor's approval, approval is what marks one done.
    # Asked (one query) only where it shows: a click on "done", and the item page, whose
    # status block links to the review instead of a Done button.
    done_by_review = (
        item.kind == Item.Kind.PROJECT
        and (form.cleaned_data["status"] == Status.DONE or place == ITEM_PAGE)
        and review_reads.approval_required(review_reads.review_cohorts(request.user, item))
    )
    if done_by_review and form.cleaned_data["status"] == Status.DONE:
        messages.error(
            request,
            f"“{item.title}” counts as done once a mentor approves it: submit it for review "
            "below. Nothing changed.",
        )
        review_form = item.get_absolute_url() + "#project-review"
        if request.htmx:
            return HttpResponseClientRedirect(review_form)
        return redirect(review_form)
    item.my_progress = set_status(
        learner=request.user,
        item=item,
        status=form.cleaned_data["status"],
        skip_reason=form.cleaned_data["skip_reason"],
    )
    followed = item.my_progress.started_following
    if request.htmx:
        html = _status_fragment(request, row, item, place, done_by_review)
        if followed:
            notice = {"roadmap": item.roadmap}
            html += render_to_string(
                "tracker/partials/_follow_notice.html", notice, request=request
            )
        # The forms are boosted (hx-boost, to carry no hx-post of their own), and htmx puts a
        # boosted request's address in the history unless the answer says not to.
        return push_url(HttpResponse(html), False)
    label = Status(item.my_progress.status).label.lower()
    messages.success(request, f"“{item.title}” is now marked {label}.")
    if followed:
        messages.success(
            request,
            f"You now follow “{item.roadmap.title}”: its items count on your dashboard and "
            "join your study plan.",
        )
    return redirect(_next_url(request, item, anchor))


@login_required
@require_POST
def save_item_note(request: HttpRequest, slug: str, item_slug: str) -> HttpResponse:
    item = _active_item(slug, item_slug)
    roadmap_reads.attach_progress([item], request.user)
    form = NoteForm(request.POST, instance=item.my_progress, item=item)
    saved = False
    if form.is_valid():
        item.my_progress = save_note(
            learner=request.user,
            item=item,
            note=form.cleaned_data["note"],
            project_url=form.cleaned_data.get("project_url", ""),
        )
        saved = True
    if request.htmx:
        context = {"item": item, "note_form": form, "note_saved": saved}
        html = render_to_string(
            "tracker/partials/_item_note.html#item-note", context, request=request
        )
        return HttpResponse(html)
    if saved:
        messages.success(request, "Your note is saved.")
        return redirect(item.get_absolute_url() + "#note")
    # Without JavaScript, show the page again with the errors and what was typed, not lost.
    context = {"item": item, "roadmap": item.roadmap, "note_form": form}
    return render(request, "tracker/item_detail.html", context, status=400)
