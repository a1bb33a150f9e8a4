"""Page parts cached once for everyone, conditional GET for learners' pages, and the one hook
that invalidates both after a write commits."""

from __future__ import annotations

import copy
import hashlib
import pickle
import re
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache as memoize
from functools import lru_cache, partial
from typing import TypeVar

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.functional import SimpleLazyObject
from django.utils.html import escape
from django.utils.safestring import mark_safe

from tracker import progress_math, roadmap_layout
from tracker.models import (
    Cohort,
    Item,
    Link,
    Membership,
    Nudge,
    Progress,
    ProgressEvent,
    Resource,
    ReviewCard,
    Roadmap,
    RoadmapFollow,
    Section,
    Status,
    User,
    WeekPlan,
)
from tracker.selectors import progress as progress_reads
from tracker.selectors import project_reviews as project_review_reads
from tracker.selectors import roadmaps as roadmap_reads

T = TypeVar("T")

CONTENT_VERSION = "content-version"
# The versions are in every entry, so timeouts only bound memory.
CONTENT_SECONDS = 24 * 60 * 60
LEARNER_SECONDS = 60 * 60
# Rendered into shared parts in place of per-request values; characters that HTML escaping
# leaves alone, so they come out of the templates unchanged.
CSRF_SENTINEL = "csrf-sentinel-7f3a9c"
PATH_SENTINEL = "/path-sentinel-7f3a9c/"
BODY_SENTINEL = "<!--body-sentinel-7f3a9c-->"
ROADMAP_PAGE = "tracker/roadmap_detail.html"
_SENTINELS = {"csrf_token": CSRF_SENTINEL, "status_next": PATH_SENTINEL}


# --- Build id and versions ------------------------------------------------------------------


def build_id() -> str:
    """The release: BUILD_ID from the environment (the Dockerfile sets it), else a hash of
    the templates and the code that fills them, so a deploy never serves old HTML."""
    if settings.BUILD_ID:
        return settings.BUILD_ID
    if settings.DEBUG:
        # Templates are edited while the server runs: their newest change, checked each second.
        return _newest_change(settings.BASE_DIR, int(time.time()))
    return source_hash(settings.BASE_DIR)


@lru_cache(maxsize=1)
def _newest_change(base_dir, second: int) -> str:
    return str(max(path.stat().st_mtime_ns for path in _sources(base_dir)))


@memoize
def source_hash(base_dir) -> str:
    digest = hashlib.sha256()
    for path in _sources(base_dir):
        digest.update(str(path.relative_to(base_dir)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _sources(base_dir) -> list:
    paths = [*(base_dir / "templates").rglob("*"), *(base_dir / "tracker").rglob("*")]
    return sorted(path for path in paths if path.suffix in {".html", ".txt", ".py"})


def _fresh_version() -> int:
    # From the clock rather than 1: a version key lost to eviction or a flush restarts newer
    # than any entry or ETag made under it.
    return time.time_ns() // 1000


def _learner_key(user_id: int) -> str:
    return f"learner-version:{user_id}"


def _versions(*keys: str) -> list[int]:
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        # add() so that concurrent first readers agree on one starting value.
        for key in missing:
            cache.add(key, _fresh_version(), timeout=None)
        found.update(cache.get_many(missing))
    # Still missing: the cache is down. A version of its own matches no stored part, so the
    # page is built afresh rather than failing.
    return [found.get(key) or _fresh_version() for key in keys]


def content_version() -> int:
    return _versions(CONTENT_VERSION)[0]


def learner_version(user_id: int) -> int:
    return _versions(_learner_key(user_id))[0]


def _bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, _fresh_version(), timeout=None)


# --- Invalidation: one function, fed by one hook --------------------------------------------


def invalidate(*, content: bool = False, learners: Iterable[int] = ()) -> None:
    """Retire every page's shared parts (`content`) and the `learners`' pages, once the
    current transaction commits (at once outside one).

    After the commit, never before: a page built between a bump and the commit would be
    cached under the new version with the old data.
    """
    keys = [CONTENT_VERSION] if content else []
    keys += [_learner_key(user_id) for user_id in set(learners)]
    if keys:
        # robust: a cache outage after the commit is logged, not turned into a failed write.
        transaction.on_commit(partial(_bump_all, keys), robust=True)


def _bump_all(keys: list[str]) -> None:
    for key in keys:
        _bump(key)


# What pages show. Saves and deletes of these rows (the admin, services, commands and the
# shell alike) invalidate through the receivers below. QuerySet.update(), bulk_create() and
# bulk_update() send no signals: their callers call `invalidate` themselves.
CONTENT_MODELS = (Roadmap, Section, Item, Resource, Link)
# A membership brings the cohort's dates into the learner's plan (cohort_pace). Review cards:
# the dashboard's "due today" panel and the plan's reviews line count them.
LEARNER_MODELS = (Progress, ProgressEvent, RoadmapFollow, WeekPlan, Nudge, Membership, ReviewCard)


def _content_changed(sender, **kwargs) -> None:
    invalidate(content=True)


def _learner_row_changed(sender, instance, **kwargs) -> None:
    invalidate(learners=[instance.learner_id])


def _cohort_changed(sender, instance, **kwargs) -> None:
    # Its name and dates (and, saved with them, its milestones) are in its members' plans.
    members = Membership.objects.filter(cohort_id=instance.pk).values_list("learner_id", flat=True)
    invalidate(learners=list(members))


def _user_changed(sender, instance, **kwargs) -> None:
    # The name and staff flag show in every page's menu.
    invalidate(learners=[instance.pk])


def connect_signals() -> None:
    """Register the hook (from the app's ready())."""
    for model in CONTENT_MODELS:
        post_save.connect(_content_changed, sender=model, dispatch_uid=f"page-cache-{model}")
        post_delete.connect(_content_changed, sender=model, dispatch_uid=f"page-cache-{model}")
    m2m_changed.connect(
        _content_changed, sender=Item.prerequisites.through, dispatch_uid="page-cache-prereq"
    )
    for model in LEARNER_MODELS:
        uid = f"page-cache-{model}"
        post_save.connect(_learner_row_changed, sender=model, dispatch_uid=uid)
        post_delete.connect(_learner_row_changed, sender=model, dispatch_uid=uid)
    post_save.connect(_cohort_changed, sender=Cohort, dispatch_uid="page-cache-cohort")
    post_save.connect(_user_changed, sender=User, dispatch_uid="page-cache-user")
    post_delete.connect(_user_changed, sender=User, dispatch_uid="page-cache-user")


# --- Shared parts, cached once per content version and release ------------------------------


def content_cached(key: str, build: Callable[[], T], timeout: int = CONTENT_SECONDS) -> T:
    """`build()`, cached until the content version or the release changes.

    The entry keeps the version it was built from, read before the data, so content that
    changes meanwhile is never served under the newer version.
    """
    key = _shared_key(key)
    found = cache.get_many([CONTENT_VERSION, key])
    version = found.get(CONTENT_VERSION) or content_version()
    return _shared(key, version, found, build, timeout)


def _shared_key(name: str) -> str:
    return f"{build_id()}:{name}"


def _shared(key: str, version: int, found: dict, build: Callable[[], T], timeout: int) -> T:
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return entry[1]
    value = build()
    # Misses are not stored: keys come from URLs, so caching them would let anyone fill the
    # cache with one entry per made-up slug.
    if value is not None:
        cache.set(key, (version, value), timeout)
    return value


def link_notes() -> dict:
    """The link-health note of every checked content URL (links are content), loaded when a
    template first asks: a page without links costs no lookup."""
    from tracker.services.links import link_notes as load

    return SimpleLazyObject(lambda: content_cached("link-notes", load))


# --- Learners' pages: their own parts, and conditional GET ----------------------------------


@dataclass
class Lookup:
    """What one cache round trip told about a learner's page: its `stamp` (the release, the
    content and learner versions, and whatever else the page shows, such as the date) and
    the entries found under the keys asked for."""

    content: int
    stamp: str
    found: dict


def learner_lookup(request: HttpRequest, *names: str, extra=()) -> Lookup:
    """The learner's stamp and the cache entries under `names`, in one round trip."""
    user_id = request.user.pk
    learner_key = _learner_key(user_id)
    found = cache.get_many([CONTENT_VERSION, learner_key, *names])
    if CONTENT_VERSION not in found or learner_key not in found:
        found[CONTENT_VERSION], found[learner_key] = _versions(CONTENT_VERSION, learner_key)
    content = found[CONTENT_VERSION]
    profile = _profile(request.user)
    # A mentor's menu counts the reviews waiting for them (None for everyone else, no query):
    # learners' submissions change it without touching the mentor's own rows.
    reviews = project_review_reads.pending_count(request)
    stamp = _digest((build_id(), content, found[learner_key], user_id, profile, reviews, extra))
    return Lookup(content=content, stamp=stamp, found=found)


def _profile(user: User) -> tuple:
    # What pages show of the profile (the menu's name and Admin link, local dates, the plan,
    # the theme), read from the user already loaded: even an update() that sends no signal
    # shows at once.
    fields = (
        "display_name",
        "email",
        "time_zone",
        "weekly_hours",
        "target_date",
        "use_pace_factor",
        "is_staff",
        "theme",
        "spaced_review",
    )
    return tuple(getattr(user, name) for name in fields)


def own_key(request: HttpRequest, name: str) -> str:
    return f"learner:{request.user.pk}:{name}"


def own(lookup: Lookup, key: str, build: Callable[[], T]) -> T:
    """A learner's own page part (under `own_key`), cached compressed (a few kB) while the
    stamp holds, for an hour at most, so only the learners active lately take any room."""
    entry = lookup.found.get(key)
    if entry is not None and entry[0] == lookup.stamp:
        return pickle.loads(zlib.decompress(entry[1]))
    value = build()
    cache.set(key, (lookup.stamp, zlib.compress(pickle.dumps(value), 1)), LEARNER_SECONDS)
    return value


def _digest(value) -> str:
    return hashlib.blake2b(repr(value).encode(), digest_size=12).hexdigest()


def has_pending_messages(request: HttpRequest) -> bool:
    # Counting the messages does not consume them.
    return bool(len(messages.get_messages(request)))


def conditional_page(
    request: HttpRequest, stamp: str, render: Callable[[], HttpResponse]
) -> HttpResponse:
    """304 when the browser holds this page (its ETag: `stamp`, the address and the CSRF
    secret its forms carry), else `render()` tagged with that ETag.

    The browser revalidates every time (no-cache), so a change shows on the next load. A
    page with django messages is never tagged: it must not come back without them.
    """
    if has_pending_messages(request):
        response = render()
    else:
        response = get_conditional_response(request, etag=_etag(request, stamp))
        if response is None:
            response = render()
        # After rendering: on a first visit the page's forms have just made the CSRF secret.
        response["ETag"] = _etag(request, stamp)
    patch_cache_control(response, private=True, no_cache=True)
    return response


def _etag(request: HttpRequest, stamp: str) -> str:
    secret = request.META.get("CSRF_COOKIE", "")
    return f'"{_digest((stamp, secret, request.get_full_path()))}"'


def page_for_cache(template_name: str, context: dict, request: HttpRequest) -> str:
    """A whole page rendered to be shared: with sentinels for `personalize` and without
    messages (a request with messages pending renders afresh)."""
    # page_next: the header's theme switch comes back here; the sentinel becomes the address.
    context = {**context, "csrf_token": CSRF_SENTINEL, "messages": (), "page_next": PATH_SENTINEL}
    return str(render_to_string(template_name, context, request=request))


# Assembled pages are handled as UTF-8 bytes: our pages hold emoji, which make Python keep a
# str at 4 bytes a character, so joining and filling in bytes costs a quarter as much.


def page_shell(request: HttpRequest, template_name: str, title: str) -> list[bytes]:
    """The page around its body, before and after, to cache with a learner's own parts."""
    context = {"title": title, "body": mark_safe(BODY_SENTINEL)}
    return page_for_cache(template_name, context, request).encode().split(BODY_SENTINEL.encode())


def learner_response(
    request: HttpRequest, template_name: str, title: str, body: bytes, shell: list[bytes]
) -> HttpResponse:
    """The page from the body and its cached shell; with messages pending, rendered afresh
    around the body (the shell has none)."""
    if has_pending_messages(request):
        # Rendered by our templates (autoescaped) for this learner.
        context = {"title": title, "body": mark_safe(personalize(body.decode(), request))}
        return render(request, template_name, context)
    before, after = shell
    return HttpResponse(personalize(before + body + after, request))


def personalize(html: T, request: HttpRequest, *, path: str | None = None) -> T:
    """A shared part (str or UTF-8 bytes) with this request's CSRF token and address (or
    `path`) in place of the sentinels (the token also sets the CSRF cookie when the browser
    has none)."""
    token, address = get_token(request), escape(path or request.get_full_path())
    if isinstance(html, bytes):
        html = html.replace(CSRF_SENTINEL.encode(), token.encode())
        return html.replace(PATH_SENTINEL.encode(), address.encode())
    return html.replace(CSRF_SENTINEL, token).replace(PATH_SENTINEL, address)


# --- The signed-in roadmap page, assembled from shared parts --------------------------------

_SLOT = re.compile(r"<!--status-slot:(\d+)-->|<!--(progress-summary|follow)-slot-->")
_SUMMARY = None  # the progress bars' place in `Skeleton.parts`
_FOLLOW = "follow"  # the follow button's place in `Skeleton.parts`


@dataclass
class Skeleton:
    """A roadmap body with holes: `parts` are HTML strings, item ids (that item's status
    controls), `_SUMMARY` (the progress bars) and `_FOLLOW` (the follow button)."""

    roadmap: Roadmap  # id, slug and title only: what the progress bars need
    parts: list[bytes | int | str | None]
    controls: dict[int, str]  # item id -> its controls' HTML, not started (`with_status`)
    slugs: dict[int, str]  # item id -> slug, to render controls with a skip reason


def _status_controls(request: HttpRequest, item: Item) -> str:
    context = {"item": item, **_SENTINELS}
    return render_to_string("tracker/partials/_item_status.html", context, request=request)


def _not_started_controls(request: HttpRequest, item: Item) -> str:
    item.my_progress = None
    return _status_controls(request, item)


def with_status(controls: str, status: str) -> str:
    """Not-started controls (no skip reason) showing `status` instead: the form's class and
    which button is pressed. Four times cheaper than rendering and caching every status."""
    if status == Status.NOT_STARTED:
        return controls
    controls = (
        controls.replace('class="st is-not_started"', f'class="st is-{status}"', 1)
        .replace('"not_started" aria-pressed="true"', '"not_started" aria-pressed="false"', 1)
        .replace(f'"{status}" aria-pressed="false"', f'"{status}" aria-pressed="true"', 1)
    )
    if status == Status.SKIPPED:
        # A skipped item's form says so and carries its (here empty) reason field.
        context = {"reason": "", "skipped": True}
        field = render_to_string("tracker/partials/_skip_reason.html", context)
        controls = controls.replace("</form>", field + "</form>", 1)
    return controls


UNFINISHED = (Status.NOT_STARTED, Status.IN_PROGRESS)
# The target of the page's "Skip to next unfinished item" link: the first unfinished item's
# status form, so that the next Tab lands on its first button.
NEXT_UNFINISHED = b'<form id="next-unfinished" class="st'


def _mark_next_unfinished(controls: bytes) -> bytes:
    return controls.replace(b'<form class="st', NEXT_UNFINISHED, 1)


def _split(html: str) -> list[bytes | int | str | None]:
    parts: list[bytes | int | str | None] = []
    position = 0
    for match in _SLOT.finditer(html):
        parts.append(html[position : match.start()].encode())
        if match.group(1):
            parts.append(int(match.group(1)))
        else:
            parts.append(_FOLLOW if match.group(2) == _FOLLOW else _SUMMARY)
        position = match.end()
    parts.append(html[position:].encode())
    return parts


def _build_skeleton(request: HttpRequest, slug: str, context_of) -> Skeleton | None:
    roadmap = roadmap_reads.roadmap_for_page(slug)
    if roadmap is None:
        return None
    context = {**context_of(roadmap), "status_slots": True, **_SENTINELS}
    body = render_to_string(f"{ROADMAP_PAGE}#roadmap-body", context, request=request)
    items = roadmap_layout.page_items(roadmap)
    controls = {item.id: _not_started_controls(request, item) for item in items}
    stub = Roadmap(id=roadmap.id, slug=roadmap.slug, title=roadmap.title)
    slugs = {item.id: item.slug for item in items}
    return Skeleton(roadmap=stub, parts=_split(str(body)), controls=controls, slugs=slugs)


def learner_roadmap(request: HttpRequest, slug: str) -> Lookup:
    """The learner's roadmap page: its stamp, its shared parts and theirs, in one round trip."""
    return learner_lookup(
        request, _shared_key(f"roadmap-skeleton:{slug}"), own_key(request, f"roadmap:{slug}")
    )


@dataclass
class LearnerPage:
    title: str
    body: bytes
    shell: list[bytes]  # the page before and after the body, without messages


def learner_body(request: HttpRequest, slug: str, lookup: Lookup, context_of) -> LearnerPage | None:
    """The signed-in learner's roadmap page (None: no such roadmap): the shared parts,
    cached per content version, joined with their own, cached per stamp.

    `context_of(roadmap)` is the page's template context (the view's, so both bodies agree).
    """
    skeleton = _shared(
        _shared_key(f"roadmap-skeleton:{slug}"),
        lookup.content,
        lookup.found,
        lambda: _build_skeleton(request, slug, context_of),
        CONTENT_SECONDS,
    )
    if skeleton is None:
        return None
    key = own_key(request, f"roadmap:{slug}")
    mine = own(lookup, key, lambda: _learner_parts(request, skeleton))
    html = []
    marked = False
    for part in skeleton.parts:
        if isinstance(part, bytes):
            html.append(part)
        elif part is _SUMMARY:
            html.append(mine["summary"])
        elif part == _FOLLOW:
            html.append(mine["follow"])
        elif part in mine["controls"]:
            html.append(mine["controls"][part])
        else:
            status = mine["statuses"].get(part, Status.NOT_STARTED)
            controls = with_status(skeleton.controls[part], status).encode()
            if not marked and status in UNFINISHED:
                controls, marked = _mark_next_unfinished(controls), True
            html.append(controls)
    return LearnerPage(title=skeleton.roadmap.title, body=b"".join(html), shell=mine["shell"])


def _learner_parts(request: HttpRequest, skeleton: Skeleton) -> dict:
    """The learner's progress bars, their statuses, the controls of items they skipped with
    a reason (rendered for them), their follow button and the page around the body (the menu
    has their name): two queries, plus one cache round trip per skipped item."""
    rows = Progress.objects.for_learner(request.user).filter(item_id__in=skeleton.controls)
    rows = list(rows.values_list("item_id", "status", "skip_reason"))
    statuses = {item_id: status for item_id, status, _ in rows}
    layout = progress_reads.section_layout(skeleton.roadmap.id)
    counts = progress_math.roadmap_progress_from(skeleton.roadmap, layout, statuses)
    context = {"roadmap": skeleton.roadmap, "progress": counts}
    summary = render_to_string("tracker/partials/_progress_summary.html", context, request=request)
    summary = summary.encode()
    controls = {}
    for item_id, status, reason in rows:
        if not reason:
            continue
        item = roadmap_reads.item_for_row(skeleton.roadmap.slug, skeleton.slugs[item_id])
        if item is not None:
            item.my_progress = Progress(status=status, skip_reason=reason)
            controls[item_id] = _status_controls(request, item).encode()
    follow = _follow_button(request, skeleton.roadmap).encode()
    shell = page_shell(request, ROADMAP_PAGE, skeleton.roadmap.title)
    return {
        "summary": summary,
        "statuses": statuses,
        "controls": controls,
        "follow": follow,
        "shell": shell,
    }


def _follow_button(request: HttpRequest, roadmap: Roadmap) -> str:
    # Cached with the learner's other parts: a follow or unfollow bumps their version.
    followed = RoadmapFollow.objects.filter(learner=request.user, roadmap_id=roadmap.id).exists()
    context = {
        "roadmap": roadmap,
        "followed": followed,
        "follow_next": roadmap.get_absolute_url(),
        "csrf_token": CSRF_SENTINEL,
    }
    return render_to_string("tracker/partials/_follow_button.html", context, request=request)


@dataclass
class RowParts:
    """An item's roadmap row around its status controls, for the one-click status change."""

    item: Item  # with roadmap, section, resources and prerequisites
    before: str
    after: str
    controls: str  # not started, for `with_status`
    # The roadmap's sections, for the progress bars sent with the row: one cache entry.
    layout: list[progress_math.SectionLayout]


def _build_row_parts(request: HttpRequest, slug: str, item_slug: str) -> RowParts | None:
    item = roadmap_reads.item_for_row(slug, item_slug)
    if item is None:
        return None
    context = {
        "item": item,
        "roadmap": item.roadmap,
        "status_slots": True,
        "link_notes": link_notes(),
        **_SENTINELS,
    }
    html = render_to_string("tracker/partials/_item_row.html", context, request=request)
    before, after = html.split(f"<!--status-slot:{item.id}-->")
    controls = _not_started_controls(request, item)
    layout = progress_reads.section_layout(item.roadmap_id)
    return RowParts(item=item, before=before, after=after, controls=controls, layout=layout)


# Row parts this process has unpickled, by key: (content version, parts). The one-click
# status change reads them on every click, and unpickling an item with its resources cost more
# than the rest of the read. The content version still comes from the shared cache on every
# click, so a copy here is exactly as fresh as the shared one. Bounded: a full dict starts over.
_local_rows: dict[str, tuple[int, RowParts | None]] = {}
_LOCAL_ROWS_MAX = 2000


def row_parts(request: HttpRequest, slug: str, item_slug: str) -> RowParts | None:
    """The item's row in parts, cached per content version (None: no such active item).
    Shared between requests in this process: read them, never change them."""
    key = _shared_key(f"row-parts:{slug}:{item_slug}")
    # Once a request: a click on an item with a twin on the same page reads both rows, and
    # they had better come from the same content.
    version = getattr(request, "_row_parts_content_version", None)
    if version is None:
        version = request._row_parts_content_version = content_version()
    local = _local_rows.get(key)
    if local is not None and local[0] == version:
        return local[1]
    found = cache.get_many([key])
    build = partial(_build_row_parts, request, slug, item_slug)
    parts = _shared(key, version, found, build, CONTENT_SECONDS)
    if parts is not None:
        if len(_local_rows) >= _LOCAL_ROWS_MAX:
            _local_rows.clear()
        _local_rows[key] = (version, parts)
    return parts


def row_html(request: HttpRequest, parts: RowParts, progress: Progress) -> str:
    """The item's row with the learner's status, as `_item_row.html` renders it."""
    if progress.skip_reason:
        item = copy.copy(parts.item)  # the parts are shared: they never hold a learner's row
        item.my_progress = progress
        controls = _status_controls(request, item)
    else:
        controls = with_status(parts.controls, progress.status)
    return parts.before + controls + parts.after
