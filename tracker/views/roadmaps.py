"""Public roadmap pages: the list, one roadmap, one item. No login needed."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from tracker import page_cache, roadmap_layout
from tracker.selectors import roadmaps as roadmap_reads
from tracker.views import project_reviews

PAGE_TEMPLATE = page_cache.ROADMAP_PAGE


@require_safe
def roadmap_list(request: HttpRequest) -> HttpResponse:
    roadmaps = roadmap_reads.roadmaps_for_list()
    followed_ids: set[int] = set()
    if request.user.is_authenticated:
        # Done counts ride in the list's one query, for every roadmap, followed or not;
        # follows cost one more.
        roadmaps = roadmap_reads.with_done_counts(roadmaps, request.user)
        followed_ids = {r.id for r in roadmap_reads.followed_roadmaps(request.user)}
    # An unknown ?theme= shows every group rather than an empty page.
    themes = roadmap_reads.catalogue(roadmaps)
    theme = request.GET.get("theme", "")
    shown = [group for group in themes if theme and group.slug == theme]
    context = {
        "themes": themes,
        "groups": shown or themes,
        "theme": theme if shown else "",
        "followed_ids": followed_ids,
    }
    return render(request, "tracker/roadmap_list.html", context)


def _page_context(roadmap) -> dict:
    return {
        "title": roadmap.title,
        "roadmap": roadmap,
        "blocks": roadmap_layout.roadmap_blocks(roadmap),
        "link_notes": page_cache.link_notes(),
    }


def _learner_page(request: HttpRequest, slug: str) -> HttpResponse:
    # The stamp comes before the page reads any data, so a change made meanwhile retires it.
    lookup = page_cache.learner_roadmap(request, slug)

    def build() -> HttpResponse:
        page = page_cache.learner_body(request, slug, lookup, _page_context)
        if page is None:
            raise Http404("No such roadmap")
        return page_cache.learner_response(
            request, PAGE_TEMPLATE, page.title, page.body, page.shell
        )

    return page_cache.conditional_page(request, lookup.stamp, build)


def _anonymous_page(request: HttpRequest, slug: str) -> dict | None:
    roadmap = roadmap_reads.roadmap_for_page(slug)
    if roadmap is None:
        return None
    body = render_to_string(
        "tracker/roadmap_detail.html#roadmap-body", _page_context(roadmap), request=request
    )
    # The body was rendered by our template (autoescaped) for an anonymous visitor.
    context = {"title": roadmap.title, "body": mark_safe(body)}
    return {
        "context": context,
        "html": page_cache.page_for_cache(PAGE_TEMPLATE, context, request).encode(),
    }


@require_safe
def roadmap_detail(request: HttpRequest, slug: str) -> HttpResponse:
    if request.user.is_authenticated:
        return _learner_page(request, slug)
    # Anonymous visitors all see the same page, so it is rendered once per content version;
    # a hit costs one cache round trip and no query.
    page = page_cache.content_cached(f"roadmap-page:{slug}", lambda: _anonymous_page(request, slug))
    if page is None:
        raise Http404("No such roadmap")
    if page_cache.has_pending_messages(request):
        return render(request, PAGE_TEMPLATE, page["context"])
    return HttpResponse(page_cache.personalize(page["html"], request))


@require_safe
def roadmap_map(request: HttpRequest, slug: str) -> HttpResponse:
    drawing = roadmap_reads.map_drawing(slug, request.user)
    if drawing is None:
        raise Http404("No such roadmap")
    context = {"title": f"{drawing['roadmap'].title}: map", **drawing}
    return render(request, "tracker/roadmap_map.html", context)


@require_safe
def item_detail(request: HttpRequest, slug: str, item_slug: str) -> HttpResponse:
    item = roadmap_reads.item_for_page(slug, item_slug)
    if item is None:
        raise Http404("No such item")
    review = {}
    if request.user.is_authenticated:
        roadmap_reads.attach_progress([item], request.user)
        review = project_reviews.item_panel(request, item)
    previous_item, next_item = roadmap_reads.item_neighbours(item)
    context = {
        "item": item,
        "roadmap": item.roadmap,
        "previous_item": previous_item,
        "next_item": next_item,
        "twins": roadmap_reads.item_twins(item),
        "link_notes": page_cache.link_notes(),
        **review,
    }
    return render(request, "tracker/item_detail.html", context)
