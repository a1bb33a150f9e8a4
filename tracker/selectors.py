"""Read-only queries shared by several areas."""

from tracker.models import Progress, Roadmap, RoadmapFollow


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
