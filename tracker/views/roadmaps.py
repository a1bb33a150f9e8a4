"""Public roadmap pages: the list, one roadmap, one item. No login needed."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from tracker import learner_roadmap, roadmap_layout
from tracker.content_cache import (
    content_cached,
    has_pending_messages,
    learner_page,
    page_for_cache,
    personalize,
    profile_stamp,
)
from tracker.selectors.roadmaps import (
    attach_progress,
    followed_roadmaps,
    item_for_page,
    item_twins,
    roadmap_for_page,
    roadmaps_for_list,
    with_done_counts,
)

# The content version in the key invalidates cached pages, so the timeout only bounds memory.
PAGE_CACHE_SECONDS = 24 * 60 * 60
PAGE_TEMPLATE = "tracker/roadmap_detail.html"


@require_safe
def roadmap_list(request: HttpRequest) -> HttpResponse:
    roadmaps = roadmaps_for_list()
    followed_ids: set[int] = set()
    if request.user.is_authenticated:
        # Done counts ride in the list's one query, for every roadmap, followed or not;
        # follows cost one more.
        roadmaps = with_done_counts(roadmaps, request.user)
        followed_ids = {r.id for r in followed_roadmaps(request.user)}
    context = {"roadmaps": roadmaps, "followed_ids": followed_ids}
    return render(request, "tracker/roadmap_list.html", context)


def _page_context(roadmap) -> dict:
    return {
        "title": roadmap.title,
        "roadmap": roadmap,
        "blocks": roadmap_layout.roadmap_blocks(roadmap),
    }


def _learner_body(request: HttpRequest, slug: str) -> dict | None:
    skeleton = learner_roadmap.skeleton(request, slug, _page_context)
    if skeleton is None:
        return None
    return {
        "title": skeleton.roadmap.title,
        "body": learner_roadmap.learner_body(request, skeleton),
    }


def _learner_page(request: HttpRequest, slug: str) -> HttpResponse:
    if has_pending_messages(request):
        page = _learner_body(request, slug)
        if page is None:
            raise Http404("No such roadmap")
        # Rendered by our templates (autoescaped) for this learner.
        context = {"title": page["title"], "body": mark_safe(personalize(page["body"], request))}
        return render(request, PAGE_TEMPLATE, context)

    def build() -> str | None:
        page = _learner_body(request, slug)
        if page is None:
            return None
        context = {"title": page["title"], "body": mark_safe(page["body"])}
        return page_for_cache(PAGE_TEMPLATE, context, request)

    # The learner's whole page is rendered once per content version and learner version; a
    # hit costs the cache one round trip and no query beyond the session's user.
    html = learner_page(
        f"roadmap-page:{slug}:u{request.user.pk}",
        user_id=request.user.pk,
        stamp=profile_stamp(request.user),
        build=build,
    )
    if html is None:
        raise Http404("No such roadmap")
    return HttpResponse(personalize(html, request))


def _anonymous_page(request: HttpRequest, slug: str) -> dict | None:
    roadmap = roadmap_for_page(slug)
    if roadmap is None:
        return None
    body = render_to_string(
        "tracker/roadmap_detail.html#roadmap-body", _page_context(roadmap), request=request
    )
    # The body was rendered by our template (autoescaped) for an anonymous visitor.
    context = {"title": roadmap.title, "body": mark_safe(body)}
    return {
        "title": roadmap.title,
        "body": str(body),
        "html": page_for_cache(PAGE_TEMPLATE, context, request),
    }


@require_safe
def roadmap_detail(request: HttpRequest, slug: str) -> HttpResponse:
    if request.user.is_authenticated:
        return _learner_page(request, slug)

    # Anonymous visitors all see the same page, so it is rendered once per content version;
    # a hit costs one cache round trip and no database query at all.
    page = content_cached(f"roadmap-page:{slug}", lambda: _anonymous_page(request, slug))
    if page is None:
        raise Http404("No such roadmap")
    if has_pending_messages(request):
        context = {"title": page["title"], "body": mark_safe(page["body"])}
        return render(request, PAGE_TEMPLATE, context)
    return HttpResponse(personalize(page["html"], request))


@require_safe
def item_detail(request: HttpRequest, slug: str, item_slug: str) -> HttpResponse:
    item = item_for_page(slug, item_slug)
    if item is None:
        raise Http404("No such item")
    if request.user.is_authenticated:
        attach_progress([item], request.user)
    context = {"item": item, "roadmap": item.roadmap, "twins": item_twins(item)}
    return render(request, "tracker/item_detail.html", context)
