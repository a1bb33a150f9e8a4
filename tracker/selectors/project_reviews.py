"""Reads for project reviews: which cohorts review a learner's project, the learner's history
on an item, and a mentor's queue.

Who may review is decided by memberships as they are now: a mentor sees a learner's submission
while the learner is in a cohort they mentor whose roadmap holds the item, or one of its
shared-topic twins (the same project, content/topics.yaml).
"""

from collections import defaultdict

from django.db.models import Exists, OuterRef, Q, QuerySet

from tracker.models import (
    Cohort,
    Item,
    Membership,
    ProjectSubmission,
    SubmissionState,
    User,
)


def _holding_roadmaps(item: Item) -> QuerySet:
    """Ids of the active roadmaps that hold `item` or one of its shared-topic twins."""
    same = Q(pk=item.pk)
    if item.topic:
        same |= Q(topic=item.topic)
    return (
        Item.objects.active().filter(same, roadmap__archived_at__isnull=True).values("roadmap_id")
    )


def review_cohorts(learner: User, item: Item) -> list[Cohort]:
    """The learner's cohorts whose roadmap holds the project (or its twin): one query; none
    for an item that is not a project."""
    if item.kind != Item.Kind.PROJECT or not learner.is_authenticated:
        return []
    return list(
        Cohort.objects.joined_by(learner)
        .filter(roadmap_id__in=_holding_roadmaps(item))
        .order_by("-projects_need_approval", "name", "id")
    )


def approval_required(cohorts: list[Cohort]) -> bool:
    """A project counts as done only through approval if any of these cohorts says so."""
    return any(cohort.projects_need_approval for cohort in cohorts)


def item_history(learner: User, item: Item) -> list[ProjectSubmission]:
    """The learner's submissions of this project and its twins, newest first, each with its
    review and reviewer: one query."""
    items = Q(item=item)
    if item.topic:
        items |= Q(item__topic=item.topic)
    return list(
        ProjectSubmission.objects.filter(items, learner=learner)
        .select_related("review__mentor", "item__roadmap")
        .order_by("-submitted_at", "-id")
    )


def visible_to(mentor: User, cohort: Cohort | None = None) -> QuerySet[ProjectSubmission]:
    """Submissions `mentor` may see and decide: of learners in cohorts they mentor (or in
    just `cohort`), for items of those cohorts' roadmaps or their twins."""
    mentored = Cohort.objects.mentored_by(mentor)
    if cohort is not None:
        mentored = mentored.filter(pk=cohort.pk)
    memberships = Membership.objects.filter(learner=OuterRef("learner_id"), cohort__in=mentored)
    same_roadmap = memberships.filter(cohort__roadmap_id=OuterRef("item__roadmap_id"))
    twin_in_roadmap = memberships.filter(
        cohort__roadmap__items__topic=OuterRef("item__topic"),
        cohort__roadmap__items__archived_at__isnull=True,
    )
    return ProjectSubmission.objects.filter(
        Exists(same_roadmap) | (~Q(item__topic="") & Exists(twin_in_roadmap))
    )


def queue(mentor: User, cohort: Cohort | None = None) -> QuerySet[ProjectSubmission]:
    """Pending submissions the mentor may decide, oldest first, with what a queue entry shows."""
    return (
        visible_to(mentor, cohort)
        .filter(state=SubmissionState.PENDING)
        .select_related("learner", "item__roadmap", "cohort")
        .order_by("submitted_at", "id")
    )


def pending_count(request) -> int | None:
    """The nav's "Reviews (n)" for a mentor, None for anyone else: one COUNT query, once per
    request (the page cache puts it in mentors' page stamps, and the menu shows it)."""
    user = request.user
    if not user.is_authenticated or not user.is_mentor:
        return None
    if not hasattr(request, "_pending_reviews"):
        request._pending_reviews = visible_to(user).filter(state=SubmissionState.PENDING).count()
    return request._pending_reviews


def earlier_submissions(entries: list[ProjectSubmission]) -> dict[int, list[ProjectSubmission]]:
    """For each queue entry (by id), the same learner's decided submissions of that project or
    its twins, newest first: one query for the whole page."""
    if not entries:
        return {}

    def key(submission) -> tuple:
        return (submission.learner_id, submission.item.topic or submission.item_id)

    wanted = Q()
    for entry in entries:
        same = Q(item_id=entry.item_id)
        if entry.item.topic:
            same |= Q(item__topic=entry.item.topic)
        wanted |= Q(same, learner_id=entry.learner_id)
    earlier = (
        ProjectSubmission.objects.filter(wanted)
        .exclude(state=SubmissionState.PENDING)
        .select_related("review__mentor", "item")
        .order_by("-submitted_at", "-id")
    )
    by_key = defaultdict(list)
    for submission in earlier:
        by_key[key(submission)].append(submission)
    return {entry.id: by_key.get(key(entry), []) for entry in entries}
