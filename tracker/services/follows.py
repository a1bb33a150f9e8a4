"""Which roadmaps a learner follows, and in what order (the study plan's order).

A learner who never chose follows implicitly (see `selectors.roadmaps.followed_roadmaps`): the
roadmaps they have progress in, else the first roadmap. The first explicit change turns that
implicit list into rows, so following a second roadmap never silently drops the first one.
Positions are always 0..n-1 in order.
"""

from django.db import transaction

from tracker import page_cache
from tracker.models import Progress, Roadmap, RoadmapFollow, User
from tracker.selectors.roadmaps import followed_roadmaps


class FollowError(Exception):
    """A follow change that cannot be made; the message is for the learner."""


def _lock_learner(learner: User) -> None:
    # One row lock per learner serialises their follow changes, including the very first
    # one, when there are no follow rows yet to lock.
    User.objects.select_for_update().only("id").get(pk=learner.pk)
    # Every change starts here, and some are bulk writes (no signals): the dashboard shows
    # the followed roadmaps in their order.
    page_cache.invalidate(learners=[learner.pk])


def _follows(learner: User) -> list[RoadmapFollow]:
    # Follows of archived roadmaps stay in the table but out of the order, as in the selector.
    return list(
        RoadmapFollow.objects.filter(learner=learner, roadmap__archived_at__isnull=True)
        .select_related("roadmap")
        .order_by("position", "created_at", "id")
    )


def _make_explicit(learner: User, *, include_default: bool) -> list[RoadmapFollow]:
    """The learner's follows, created from the implicit list if they have none yet.

    `include_default` also turns the "first roadmap" fallback into a row; following a roadmap
    does not, since a new learner never chose that one.
    """
    follows = _follows(learner)
    if follows:
        return follows
    if include_default:
        roadmaps = followed_roadmaps(learner)
    else:
        started = Progress.objects.for_learner(learner).values("item__roadmap_id")
        roadmaps = list(Roadmap.objects.active().filter(id__in=started))
    RoadmapFollow.objects.bulk_create(
        RoadmapFollow(learner=learner, roadmap=roadmap, position=index)
        for index, roadmap in enumerate(roadmaps)
    )
    return _follows(learner)


def _save_order(follows: list[RoadmapFollow]) -> None:
    changed = []
    for position, follow in enumerate(follows):
        if follow.position != position:
            follow.position = position
            changed.append(follow)
    RoadmapFollow.objects.bulk_update(changed, ["position"])


@transaction.atomic
def follow_roadmap(*, learner: User, roadmap: Roadmap) -> RoadmapFollow:
    """Follow a roadmap, last in the learner's order. Following it again changes nothing."""
    _lock_learner(learner)
    follows = _make_explicit(learner, include_default=False)
    for follow in follows:
        if follow.roadmap_id == roadmap.id:
            return follow
    follow = RoadmapFollow.objects.create(learner=learner, roadmap=roadmap, position=len(follows))
    _save_order([*follows, follow])
    return follow


@transaction.atomic
def unfollow_roadmap(*, learner: User, roadmap: Roadmap) -> None:
    """Stop following a roadmap; its progress is kept. The last followed one can't go: the
    plan and dashboard would fall back to it anyway, so the learner follows another first.
    Raises RoadmapFollow.DoesNotExist when the learner does not follow it."""
    _lock_learner(learner)
    follows = _make_explicit(learner, include_default=True)
    target = next((f for f in follows if f.roadmap_id == roadmap.id), None)
    if target is None:
        raise RoadmapFollow.DoesNotExist(f"{learner} does not follow {roadmap}")
    remaining = [f for f in follows if f is not target]
    if not remaining:
        raise FollowError(
            f"“{roadmap.title}” is the only roadmap you follow; follow another one first."
        )
    target.delete()
    _save_order(remaining)


@transaction.atomic
def move_follow(*, learner: User, roadmap: Roadmap, direction: str) -> list[RoadmapFollow]:
    """Move a followed roadmap one place "up" (earlier in the plan) or "down". Moving the
    first up or the last down changes nothing. Returns the follows in their new order.
    Raises RoadmapFollow.DoesNotExist when the learner does not follow it."""
    if direction not in ("up", "down"):
        raise ValueError(f"direction must be 'up' or 'down', not {direction!r}")
    _lock_learner(learner)
    follows = _make_explicit(learner, include_default=True)
    index = next((i for i, f in enumerate(follows) if f.roadmap_id == roadmap.id), None)
    if index is None:
        raise RoadmapFollow.DoesNotExist(f"{learner} does not follow {roadmap}")
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(follows):
        follows[index], follows[other] = follows[other], follows[index]
    _save_order(follows)
    return follows
