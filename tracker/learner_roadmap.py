"""The signed-in roadmap page's body, assembled from parts shared by every learner.

Rendering a whole roadmap with a learner's status controls takes tens of milliseconds, nearly
all of it the same for every learner. So, once per content version:

- the body is rendered with markers where a learner's parts go (`status_slots`): the
  progress bars and each item's status controls;
- each item's controls are rendered once per status (no skip reason).

A learner's body is then the shared parts joined with their statuses' controls and their own
progress bars: two queries (their progress rows, the bars' counts) and no big render. Controls
that show a skip reason are rendered for the learner, item by item.

Everything is rendered with the CSRF and address sentinels of `tracker.content_cache`; the
view puts the browser's own values in with `personalize`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.http import HttpRequest
from django.template.loader import render_to_string

from tracker import progress_math, roadmap_layout
from tracker.content_cache import CSRF_SENTINEL, PATH_SENTINEL, content_cached
from tracker.models import Item, Progress, Roadmap, Status
from tracker.selectors.progress import section_layout
from tracker.selectors.roadmaps import item_for_row, roadmap_for_page

_SLOT = re.compile(r"<!--status-slot:(\d+)-->|<!--progress-summary-slot-->")
_SUMMARY = None  # the progress bars' place in `Skeleton.parts`
_SENTINELS = {"csrf_token": CSRF_SENTINEL, "status_next": PATH_SENTINEL}


@dataclass
class Skeleton:
    """A roadmap body with holes: `parts` are HTML strings, item ids (that item's status
    controls) and `_SUMMARY` (the progress bars)."""

    roadmap: Roadmap  # id, slug and title only: what the progress bars need
    parts: list[str | int | None]
    controls: dict[int, dict[str, str]]  # item id -> status -> its controls' HTML
    slugs: dict[int, str]  # item id -> slug, to render controls with a skip reason


def _status_controls(request: HttpRequest, item: Item) -> str:
    context = {"item": item, **_SENTINELS}
    return render_to_string("tracker/partials/_item_status.html", context, request=request)


def _split(html: str) -> list[str | int | None]:
    parts: list[str | int | None] = []
    position = 0
    for match in _SLOT.finditer(html):
        parts.append(html[position : match.start()])
        parts.append(int(match.group(1)) if match.group(1) else _SUMMARY)
        position = match.end()
    parts.append(html[position:])
    return parts


def _build_skeleton(request: HttpRequest, slug: str, context_of) -> Skeleton | None:
    roadmap = roadmap_for_page(slug)
    if roadmap is None:
        return None
    context = {**context_of(roadmap), "status_slots": True, **_SENTINELS}
    body = render_to_string("tracker/roadmap_detail.html#roadmap-body", context, request=request)
    controls = {}
    items = roadmap_layout.page_items(roadmap)
    for item in items:
        variants = {}
        for status in Status:
            # An unsaved row: the controls read only its status and skip reason.
            item.my_progress = Progress(status=status) if status != Status.NOT_STARTED else None
            variants[status.value] = _status_controls(request, item)
        controls[item.id] = variants
    stub = Roadmap(id=roadmap.id, slug=roadmap.slug, title=roadmap.title)
    slugs = {item.id: item.slug for item in items}
    return Skeleton(roadmap=stub, parts=_split(str(body)), controls=controls, slugs=slugs)


def skeleton(request: HttpRequest, slug: str, context_of) -> Skeleton | None:
    """The shared parts of the roadmap's signed-in page, cached per content version.

    `context_of(roadmap)` is the page's template context (the view's, so both bodies agree).
    """
    return content_cached(
        f"roadmap-skeleton:{slug}", lambda: _build_skeleton(request, slug, context_of)
    )


def learner_body(request: HttpRequest, skeleton: Skeleton) -> str:
    """The body for the signed-in learner: one query (their statuses) whatever the
    roadmap's size, and one cache round trip per item whose controls show a skip reason."""
    rows = Progress.objects.for_learner(request.user).filter(item_id__in=skeleton.controls)
    progress = {row.item_id: row for row in rows.only("item_id", "status", "skip_reason")}
    counts = progress_math.roadmap_progress_from(
        skeleton.roadmap,
        section_layout(skeleton.roadmap.id),
        {item_id: row.status for item_id, row in progress.items()},
    )
    html = []
    for part in skeleton.parts:
        if isinstance(part, str):
            html.append(part)
        elif part is _SUMMARY:
            context = {"roadmap": skeleton.roadmap, "known_progress": counts}
            html.append(
                render_to_string(
                    "tracker/partials/_progress_summary.html", context, request=request
                )
            )
        else:
            row = progress.get(part)
            item = None
            if row is not None and row.skip_reason:
                item = item_for_row(skeleton.roadmap.slug, skeleton.slugs[part])
            if item is not None:
                item.my_progress = row
                html.append(_status_controls(request, item))
            else:
                status = row.status if row is not None else Status.NOT_STARTED
                html.append(skeleton.controls[part][status])
    return "".join(html)


@dataclass
class RowParts:
    """An item's roadmap row around its status controls, for the one-click status change."""

    item: Item  # with roadmap, section, resources and prerequisites
    before: str
    after: str
    controls: dict[str, str]  # status -> the controls' HTML (no skip reason)
    # The roadmap's sections, for the progress bars sent with the row: one cache entry.
    layout: list[progress_math.SectionLayout]


def _build_row_parts(request: HttpRequest, slug: str, item_slug: str) -> RowParts | None:
    item = item_for_row(slug, item_slug)
    if item is None:
        return None
    context = {"item": item, "roadmap": item.roadmap, "status_slots": True, **_SENTINELS}
    html = render_to_string("tracker/partials/_item_row.html", context, request=request)
    before, after = html.split(f"<!--status-slot:{item.id}-->")
    controls = {}
    for status in Status:
        item.my_progress = Progress(status=status) if status != Status.NOT_STARTED else None
        controls[status.value] = _status_controls(request, item)
    item.my_progress = None
    layout = section_layout(item.roadmap_id)
    return RowParts(item=item, before=before, after=after, controls=controls, layout=layout)


def row_parts(request: HttpRequest, slug: str, item_slug: str) -> RowParts | None:
    """The item's row in parts, cached per content version (None: no such active item)."""
    return content_cached(
        f"row-parts:{slug}:{item_slug}", lambda: _build_row_parts(request, slug, item_slug)
    )


def row_html(request: HttpRequest, parts: RowParts, progress: Progress) -> str:
    """The item's row with the learner's status, as `_item_row.html` renders it."""
    if progress.skip_reason:
        parts.item.my_progress = progress
        controls = _status_controls(request, parts.item)
    else:
        controls = parts.controls[progress.status]
    return parts.before + controls + parts.after
