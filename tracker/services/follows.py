"""Which roadmaps a learner follows, and in what order (the study plan's order).

Follows are only ever explicit rows: chosen in the first-run step or on /roadmaps/, added by
ticking an item of a roadmap not followed yet, or by joining a cohort. Positions are always
0..n-1 in order.
"""

from django.db import transaction

from tracker import page_cache
from tracker.models import Progress, Roadmap, RoadmapFollow, Status, User


class FollowError(Exception):
    """A follow change that cannot be made; the message is for the learner."""


class UnfollowNeedsConfirmation(FollowError):
    """Unfollowing a roadmap with progress needs the learner to confirm it first."""

    def __init__(self, roadmap: Roadmap, done: int) -> None:
        super().__init__(f"You have progress on “{roadmap.title}”; confirm to unfollow it.")
        self.roadmap = roadmap
        self.done = done


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


def progress_on(*, learner: User, roadmap: Roadmap) -> tuple[int, int]:
    """How many of the roadmap's active items the learner has started or finished, and how
    many of those are done: what unfollowing asks about (and keeps)."""
    statuses = list(
        Progress.objects.for_learner(learner)
        .filter(item__roadmap=roadmap, item__archived_at__isnull=True)
        .exclude(status=Status.NOT_STARTED)
        .values_list("status", flat=True)
    )
    return len(statuses), statuses.count(Status.DONE)


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
    follows = _follows(learner)
    for follow in follows:
        if follow.roadmap_id == roadmap.id:
            return follow
    follow = RoadmapFollow.objects.create(learner=learner, roadmap=roadmap, position=len(follows))
    _save_order([*follows, follow])
    return follow


@transaction.atomic
def follow_roadmaps(*, learner: User, roadmaps: list[Roadmap]) -> list[RoadmapFollow]:
    """Follow each roadmap in turn (the first-run step); those already followed stay put."""
    return [follow_roadmap(learner=learner, roadmap=roadmap) for roadmap in roadmaps]


def follow_if_new(*, learner: User, roadmap: Roadmap) -> bool:
    """Follow the roadmap unless the learner already does; True when it is a new follow.

    Ticking an item calls this, so working on a roadmap always puts it on the dashboard and
    in the plan. One query when it is followed already.
    """
    followed = RoadmapFollow.objects.filter(learner=learner, roadmap=roadmap)
    if followed.exists():
        return False
    follow_roadmap(learner=learner, roadmap=roadmap)
    return True


@transaction.atomic
def unfollow_roadmap(*, learner: User, roadmap: Roadmap, confirmed: bool = False) -> None:
    """Stop following a roadmap; its progress is kept and shows again on a re-follow.

    A roadmap with progress goes only when `confirmed` (else UnfollowNeedsConfirmation), so
    no stray click hides work. The last followed one can't go: the learner follows another
    first. Raises RoadmapFollow.DoesNotExist when the learner does not follow it.
    """
    _lock_learner(learner)
    follows = _follows(learner)
    target = next((f for f in follows if f.roadmap_id == roadmap.id), None)
    if target is None:
        raise RoadmapFollow.DoesNotExist(f"{learner} does not follow {roadmap}")
    remaining = [f for f in follows if f is not target]
    if not remaining:
        raise FollowError(
            f"“{roadmap.title}” is the only roadmap you follow; follow another one first."
        )
    started, done = progress_on(learner=learner, roadmap=roadmap)
    if started and not confirmed:
        raise UnfollowNeedsConfirmation(roadmap, done)
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
    follows = _follows(learner)
    index = next((i for i, f in enumerate(follows) if f.roadmap_id == roadmap.id), None)
    if index is None:
        raise RoadmapFollow.DoesNotExist(f"{learner} does not follow {roadmap}")
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(follows):
        follows[index], follows[other] = follows[other], follows[index]
    _save_order(follows)
    return follows
