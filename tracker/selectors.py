"""Read-only queries shared by several areas."""

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from tracker.models import Item, Progress, Roadmap, RoadmapFollow


def followed_roadmaps(learner) -> list[Roadmap]:
    """The roadmaps a learner works on, in their chosen order.

    Learners who never chose explicitly follow the roadmaps they have progress in, or else
    the first roadmap, so a new learner's plan and dashboard are never empty.
    """
    follows = list(
        RoadmapFollow.objects.filter(learner=learner, roadmap__archived_at__isnull=True)
        .select_related("roadmap")
        .order_by("position", "created_at")
    )
    if follows:
        return [follow.roadmap for follow in follows]
    started = Roadmap.objects.active().filter(
        id__in=Progress.objects.for_learner(learner).values("item__roadmap_id")
    )
    roadmaps = list(started) or list(Roadmap.objects.active()[:1])
    return roadmaps


def with_done_counts(roadmaps: QuerySet[Roadmap], learner) -> QuerySet[Roadmap]:
    """Annotate `done_count`: the learner's done active items per roadmap, in the same query
    (a correlated subquery, so the item counts beside it are not multiplied by a join)."""
    done = (
        Progress.objects.for_learner(learner)
        .done()
        .filter(item__roadmap=OuterRef("pk"), item__archived_at__isnull=True)
        .order_by()
        .values("item__roadmap")
        .annotate(n=Count("id"))
        .values("n")
    )
    return roadmaps.annotate(done_count=Coalesce(Subquery(done, output_field=IntegerField()), 0))


def item_twins(item: Item) -> list[Item]:
    """The same concept in other roadmaps: active items with the same slug, or whose own link
    (resource group "link") has the same URL as one of this item's links. Each roadmap keeps
    its own item and progress; pages only link them. One query, two when the item's
    resources were not prefetched.
    """
    urls = {
        resource.url
        for resource in item.resources.all()
        if resource.group == "link" and resource.url and resource.archived_at is None
    }
    match = Q(slug=item.slug)
    if urls:
        match |= Q(
            resources__group="link", resources__url__in=urls, resources__archived_at__isnull=True
        )
    candidates = (
        Item.objects.active()
        .filter(roadmap__archived_at__isnull=True)
        .exclude(roadmap_id=item.roadmap_id)
        .filter(match)
        .select_related("roadmap")
        .order_by("roadmap__order", "roadmap__title", "order", "id")
        .distinct()
    )
    return list(candidates)
