"""Public roadmap pages: the list, one roadmap, one item. No login needed."""

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from tracker import roadmap_pages, selectors
from tracker.content_cache import (
    CSRF_SENTINEL,
    PATH_SENTINEL,
    content_version,
    learner_page,
    personalize,
    profile_stamp,
)

# The content version in the key invalidates cached pages, so the timeout only bounds memory.
PAGE_CACHE_SECONDS = 24 * 60 * 60


def _cache_key(slug: str) -> str:
    return f"roadmap-page:{slug}:v{content_version()}"


@require_safe
def roadmap_list(request: HttpRequest) -> HttpResponse:
    roadmaps = roadmap_pages.roadmaps_for_list()
    followed_ids: set[int] = set()
    if request.user.is_authenticated:
        # Done counts ride in the list's one query; follows cost one or two more.
        roadmaps = selectors.with_done_counts(roadmaps, request.user)
        followed_ids = {r.id for r in selectors.followed_roadmaps(request.user)}
    context = {"roadmaps": roadmaps, "followed_ids": followed_ids}
    return render(request, "tracker/roadmap_list.html", context)


def _page_context(roadmap) -> dict:
    return {
        "title": roadmap.title,
        "roadmap": roadmap,
        "blocks": roadmap_pages.roadmap_blocks(roadmap),
    }


def _learner_body(request: HttpRequest, slug: str) -> dict | None:
    roadmap = roadmap_pages.roadmap_for_page(slug)
    if roadmap is None:
        return None
    roadmap_pages.attach_progress(roadmap_pages.page_items(roadmap), request.user)
    # The status forms get sentinels for the CSRF token and their "next" address, which
    # personalize() fills in per response: the cached body is the same for every browser.
    context = {
        **_page_context(roadmap),
        "csrf_token": CSRF_SENTINEL,
        "status_next": PATH_SENTINEL,
    }
    body = render_to_string("tracker/roadmap_detail.html#roadmap-body", context, request=request)
    return {"title": roadmap.title, "body": str(body)}


@require_safe
def roadmap_detail(request: HttpRequest, slug: str) -> HttpResponse:
    if request.user.is_authenticated:
        # A learner's page body (statuses, progress bars) is rendered once per content version
        # and learner version; a hit costs the cache one round trip and no query of its own.
        page = learner_page(
            f"roadmap-page:{slug}:u{request.user.pk}",
            user_id=request.user.pk,
            stamp=profile_stamp(request.user),
            build=lambda: _learner_body(request, slug),
        )
        if page is None:
            raise Http404("No such roadmap")
        context = {"title": page["title"], "body": mark_safe(personalize(page["body"], request))}
        return render(request, "tracker/roadmap_detail.html", context)

    # Anonymous visitors all see the same page, so its body is rendered once per content
    # version; a hit costs no database query at all.
    # The version is read before the content: a page built from content that changes meanwhile
    # is stored under the version that change retires, never under the new one.
    key = _cache_key(slug)
    page = cache.get(key)
    if page is None:
        roadmap = roadmap_pages.roadmap_for_page(slug)
        if roadmap is None:
            raise Http404("No such roadmap")
        body = render_to_string(
            "tracker/roadmap_detail.html#roadmap-body", _page_context(roadmap), request=request
        )
        page = {"title": roadmap.title, "body": str(body)}
        cache.set(key, page, PAGE_CACHE_SECONDS)
    # The body was rendered by our template (autoescaped) for an anonymous visitor.
    context = {"title": page["title"], "body": mark_safe(page["body"])}
    return render(request, "tracker/roadmap_detail.html", context)


@require_safe
def item_detail(request: HttpRequest, slug: str, item_slug: str) -> HttpResponse:
    item = roadmap_pages.item_for_page(slug, item_slug)
    if item is None:
        raise Http404("No such item")
    if request.user.is_authenticated:
        roadmap_pages.attach_progress([item], request.user)
    context = {"item": item, "roadmap": item.roadmap, "twins": selectors.item_twins(item)}
    return render(request, "tracker/item_detail.html", context)
