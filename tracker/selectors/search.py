"""Search across roadmaps: items, resources and the signed-in learner's own notes.

PostgreSQL ranks with full-text search; any other database (SQLite in development) gets a
plain substring fallback. Either way it is three queries, however many hits.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Case,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Replace
from django.urls import reverse

from tracker import search_text
from tracker.models import Item, Progress, Resource, Status

RESULT_LIMIT = 50
ITEM, RESOURCE, NOTE = "item", "resource", "note"
# Equal ranks: an item before the learner's note on it, before a resource.
_KIND_ORDER = {ITEM: 0, NOTE: 1, RESOURCE: 2}
_CONFIG = "english"


@dataclass(frozen=True)
class SearchHit:
    kind: str  # ITEM, RESOURCE or NOTE
    title: str  # what matched: the item's title, or the resource's
    url: str  # the item's page (a section's resource: its place on the roadmap page)
    item_title: str  # the item it leads to; "" for a section's resource
    roadmap_title: str
    section_title: str
    text: str  # an excerpt of the item's summary, the resource's note or host, or the note
    status: str | None  # the learner's Status value; None when anonymous or not an item
    rank: float
    position: tuple[int, int, int]  # roadmap order, item order, id: ties read as on the page

    @property
    def status_label(self) -> str:
        return Status(self.status).label if self.status else ""


@dataclass(frozen=True)
class SearchResults:
    query: str  # as searched: cleaned and cut
    cut: bool  # the typed text was longer than MAX_QUERY_LENGTH
    terms: tuple[str, ...]  # for highlighting
    hits: list[SearchHit]
    more: bool  # more than RESULT_LIMIT matched; the best RESULT_LIMIT are in hits


def search(raw_query: str | None, user) -> SearchResults:
    clean = search_text.clean_query(raw_query)
    terms = search_text.query_terms(clean.text)
    if not clean.text:
        return SearchResults(query="", cut=clean.cut, terms=(), hits=[], more=False)
    learner = user if user.is_authenticated else None
    if connection.vendor == "postgresql":
        found = search_postgres(clean.text, learner)
    else:
        found = search_fallback(terms, learner)
    return SearchResults(
        query=clean.text,
        cut=clean.cut,
        terms=terms,
        hits=found[:RESULT_LIMIT],
        more=len(found) > RESULT_LIMIT,
    )


# ---- the three querysets, shared by both ways of matching ----


def _status_of(learner, item_ref: str) -> Subquery:
    mine = Progress.objects.filter(learner=learner, item=OuterRef(item_ref))
    return Subquery(mine.values("status")[:1])


def _items(learner) -> QuerySet[Item]:
    items = (
        Item.objects.active()
        .filter(roadmap__archived_at__isnull=True)
        .select_related("roadmap", "section")
        .only(
            "slug",
            "title",
            "description",
            "effort_note",
            "note",
            "order",
            "roadmap__slug",
            "roadmap__title",
            "roadmap__order",
            "section__title",
        )
    )
    if learner is not None:
        items = items.annotate(my_status=_status_of(learner, "pk"))
    return items


def _resources(learner) -> QuerySet[Resource]:
    # A resource of an archived item is gone from every page, so from search too.
    resources = (
        Resource.objects.active()
        .filter(roadmap__archived_at__isnull=True)
        .filter(Q(item__isnull=True) | Q(item__archived_at__isnull=True))
        .select_related("roadmap", "section", "item", "item__section")
        .only(
            "title",
            "url",
            "note",
            "order",
            "roadmap__slug",
            "roadmap__title",
            "roadmap__order",
            "section__slug",
            "section__title",
            "item__slug",
            "item__title",
            "item__order",
            "item__section__title",
        )
    )
    if learner is not None:
        resources = resources.annotate(my_status=_status_of(learner, "item_id"))
    return resources


def _notes(learner) -> QuerySet[Progress]:
    # Only ever the signed-in learner's own rows: notes are private unless shared with a
    # cohort, and search is not a way to read them.
    return (
        Progress.objects.for_learner(learner)
        .exclude(note="")
        .filter(item__archived_at__isnull=True, item__roadmap__archived_at__isnull=True)
        .select_related("item", "item__roadmap", "item__section")
        .only(
            "status",
            "note",
            "item__slug",
            "item__title",
            "item__order",
            "item__roadmap__slug",
            "item__roadmap__title",
            "item__roadmap__order",
            "item__section__title",
        )
    )


# ---- rows to hits ----


def _status(row) -> str | None:
    # No Progress row reads as "not started"; no annotation means an anonymous visitor.
    if not hasattr(row, "my_status"):
        return None
    return row.my_status or Status.NOT_STARTED


def _item_url(roadmap, item: Item) -> str:
    return reverse("item_detail", args=[roadmap.slug, item.slug])


def _item_hit(item: Item, terms: tuple[str, ...], rank: float) -> SearchHit:
    summary = search_text.best_text(
        [item.effort_note, search_text.plain_text(item.description), item.note], terms
    )
    return SearchHit(
        kind=ITEM,
        title=item.title,
        url=_item_url(item.roadmap, item),
        item_title=item.title,
        roadmap_title=item.roadmap.title,
        section_title=item.section.title,
        text=search_text.excerpt(summary, terms),
        status=_status(item),
        rank=rank,
        position=(item.roadmap.order, item.order, item.id),
    )


def _resource_hit(resource: Resource, terms: tuple[str, ...], rank: float) -> SearchHit:
    item = resource.item
    host = search_text.host_of(resource.url)
    text = search_text.best_text([resource.note, host], terms)
    if item is not None:
        url, section_title = _item_url(resource.roadmap, item), item.section.title
        status = _status(resource)
        position = (resource.roadmap.order, item.order, resource.id)
    else:
        url = reverse("roadmap_detail", args=[resource.roadmap.slug]) + f"#{resource.section.slug}"
        section_title, status = resource.section.title, None
        position = (resource.roadmap.order, -1, resource.id)
    return SearchHit(
        kind=RESOURCE,
        title=resource.title,
        url=url,
        item_title=item.title if item is not None else "",
        roadmap_title=resource.roadmap.title,
        section_title=section_title,
        text=search_text.excerpt(text, terms),
        status=status,
        rank=rank,
        position=position,
    )


def _note_hit(progress: Progress, terms: tuple[str, ...], rank: float) -> SearchHit:
    item = progress.item
    return SearchHit(
        kind=NOTE,
        title=item.title,
        url=_item_url(item.roadmap, item),
        item_title=item.title,
        roadmap_title=item.roadmap.title,
        section_title=item.section.title,
        text=search_text.excerpt(progress.note, terms),
        status=progress.status,
        rank=rank,
        position=(item.roadmap.order, item.order, progress.id),
    )


def _best_first(hits: list[SearchHit]) -> list[SearchHit]:
    return sorted(hits, key=lambda hit: (-hit.rank, _KIND_ORDER[hit.kind], hit.position))


# ---- PostgreSQL: full-text search, ranked ----


def _host(url_field: str):
    # The URL's host with its dots as spaces, so "youtube" finds youtube.com links; the
    # parser would otherwise keep "www.youtube.com" as one word.
    host = Func(
        F(url_field),
        Value(r"^[a-z]+://(?:www\.)?([^/:?#]+)"),
        function="substring",
    )
    return Replace(host, Value("."), Value(" "))


def search_postgres(query: str, learner) -> list[SearchHit]:
    """Every kind ranked by ts_rank (weights: A titles, B summaries, C resources and notes,
    D link hosts), the best RESULT_LIMIT + 1 of each, merged best first."""
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    terms = search_text.query_terms(query)
    if not terms:
        # Only excluded words ("-python") would match nearly everything: not a search.
        return []
    search_query = SearchQuery(query, config=_CONFIG, search_type="websearch")
    # ts_rank scores a query with an excluded word near zero for every row, so rank by the
    # wanted words alone, any of them: rows with more of them rank higher.
    rank_query = SearchQuery(terms[0], config=_CONFIG)
    for term in terms[1:]:
        rank_query |= SearchQuery(term, config=_CONFIG)
    cap = RESULT_LIMIT + 1

    def ranked(queryset, vector):
        return (
            queryset.annotate(document=vector, rank=SearchRank(vector, rank_query))
            .filter(document=search_query)
            .order_by("-rank")[:cap]
        )

    item_vector = SearchVector("title", config=_CONFIG, weight="A") + SearchVector(
        "effort_note", "description", "note", config=_CONFIG, weight="B"
    )
    resource_vector = SearchVector("title", "note", config=_CONFIG, weight="C") + SearchVector(
        _host("url"), config=_CONFIG, weight="D"
    )
    note_vector = SearchVector("note", config=_CONFIG, weight="C")

    hits = [_item_hit(row, terms, row.rank) for row in ranked(_items(learner), item_vector)]
    hits += [
        _resource_hit(row, terms, row.rank) for row in ranked(_resources(learner), resource_vector)
    ]
    if learner is not None:
        hits += [_note_hit(row, terms, row.rank) for row in ranked(_notes(learner), note_vector)]
    return _best_first(hits)


# ---- any other database: every word somewhere, titles first ----


def _all_terms_in(fields: list[str], terms: tuple[str, ...]) -> Q:
    """Each term in at least one of `fields`."""
    match = Q()
    for term in terms:
        anywhere = Q()
        for field in fields:
            anywhere |= Q(**{f"{field}__icontains": term})
        match &= anywhere
    return match


def search_fallback(terms: tuple[str, ...], learner) -> list[SearchHit]:
    """Case-insensitive substring matching for databases without full-text search: a result
    holds every term; items whose title holds them all come first, then items, then notes
    and resources. Ranks are made up to sort by, on the same scale as PostgreSQL's."""
    if not terms:
        return []
    cap = RESULT_LIMIT + 1
    title_first = Case(
        When(_all_terms_in(["title"], terms), then=Value(1.0)),
        default=Value(0.4),
        output_field=FloatField(),
    )
    items = (
        _items(learner)
        .filter(_all_terms_in(["title", "effort_note", "description", "note"], terms))
        .annotate(rank=title_first)
        .order_by("-rank", "roadmap__order", "order", "id")[:cap]
    )
    resources = (
        _resources(learner)
        .filter(_all_terms_in(["title", "note", "url"], terms))
        .order_by("roadmap__order", "item__order", "order", "id")[:cap]
    )
    hits = [_item_hit(row, terms, row.rank) for row in items]
    hits += [_resource_hit(row, terms, 0.2) for row in resources]
    if learner is not None:
        notes = (
            _notes(learner)
            .filter(_all_terms_in(["note"], terms))
            .order_by("item__roadmap__order", "item__order", "id")[:cap]
        )
        hits += [_note_hit(row, terms, 0.2) for row in notes]
    return _best_first(hits)
