"""Reads for link health: which content uses a link."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.linkcheck import normalize_url
from tracker.models import Item, Link, Resource, Roadmap


@dataclass(frozen=True)
class LinkUse:
    """One place content links to a URL: a resource (of an item or a section) or a badge."""

    roadmap: Roadmap
    title: str  # the resource's title, or "badge"
    item: Item | None = None
    section_title: str = ""  # for a resource of a section rather than of an item


def link_uses(link: Link) -> list[LinkUse]:
    """Where active content uses `link`, by roadmap and item (two queries).

    Content keeps URLs as written and links are normalised, so the host narrows the rows in
    SQL and the exact match is on the normalised URL, as the link sync does.
    """
    resources = (
        Resource.objects.active()
        .filter(roadmap__archived_at__isnull=True, url__icontains=link.host)
        .select_related("roadmap", "item__roadmap", "section")
        .order_by("roadmap__title", "item__title", "title", "id")
    )
    uses = [
        LinkUse(
            roadmap=r.roadmap,
            title=r.title,
            item=r.item,
            section_title="" if r.item_id else (r.section.title if r.section_id else ""),
        )
        for r in resources
        if normalize_url(r.url) == link.url
    ]
    badges = (
        Item.objects.active()
        .filter(badge_url__icontains=link.host)
        .select_related("roadmap")
        .order_by("roadmap__title", "title", "id")
    )
    uses += [
        LinkUse(roadmap=i.roadmap, title="badge", item=i)
        for i in badges
        if normalize_url(i.badge_url) == link.url
    ]
    return uses
