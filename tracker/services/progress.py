"""Writes to a learner's progress: statuses, notes, and deleting it all."""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Exists, F
from django.utils import timezone

from tracker import page_cache
from tracker.models import (
    Item,
    Progress,
    ProgressEvent,
    ReviewCard,
    RoadmapFollow,
    Status,
    User,
)
from tracker.services.follows import follow_if_new
from tracker.services.spaced_review import add_card, remove_cards

_http_url = URLValidator(schemes=["http", "https"])


def _locked_rows(*, learner: User, item: Item) -> tuple[Progress, list[Progress]]:
    """The learner's row for the item and the rows for its topic's twins, created if missing
    and locked until commit, in item order, so two clicks on two twins of one topic wait for
    each other instead of deadlocking. `progress.twins` are the twin items (id, roadmap_id,
    slug); `progress.roadmap_followed` says whether the learner follows the item's roadmap.

    The rows exist for nearly every click after the first, so they are locked straight away,
    and the lock also reads whether the roadmap is followed: one query. When a row is missing,
    INSERT ... ON CONFLICT DO NOTHING never fails when two requests race to create it (the
    loser waits for the winner's commit, then does nothing), and locking again serialises
    the writers, so each sees the other's committed status. An item without a topic has no
    twins and costs no query to find them.
    """
    # Rows for archived twins too: an item the admin restores, or an import brings back, must
    # come back with the topic's status, not the one it had when archived. The page swaps only
    # the twins it shows (`progress.twins`: active items of active roadmaps, as `twins_of`).
    topic_items = []
    if item.topic:
        topic_items = list(
            Item.objects.filter(topic=item.topic)
            .exclude(pk=item.pk)
            .only("pk", "roadmap_id", "slug", "archived_at")
            .annotate(roadmap_archived_at=F("roadmap__archived_at"))
        )
    twins = [
        twin
        for twin in topic_items
        if twin.archived_at is None and twin.roadmap_archived_at is None
    ]
    ids = sorted([item.pk, *(twin.pk for twin in topic_items)])
    followed = RoadmapFollow.objects.filter(learner=learner, roadmap_id=item.roadmap_id)
    locked = (
        Progress.objects.select_for_update()
        .filter(learner=learner, item_id__in=ids)
        .annotate(roadmap_followed=Exists(followed))
        .order_by("item_id")
    )
    rows = list(locked)
    if len(rows) < len(ids):
        Progress.objects.bulk_create(
            [Progress(learner=learner, item_id=pk) for pk in ids], ignore_conflicts=True
        )
        rows = list(locked.all())
    progress = next(row for row in rows if row.item_id == item.pk)
    progress.twins = twins
    return progress, [row for row in rows if row is not progress]


_STATUS_FIELDS = ("status", "skip_reason", "started_at", "completed_at")


@transaction.atomic
def set_status(*, learner: User, item: Item, status: str, skip_reason: str = "") -> Progress:
    """Set the learner's status on an item (and on its shared topic's twins, which are the same
    piece of progress) and record the change with its time.

    Costs three queries on an existing row (lock, update, event) and two more on the first
    click (insert, lock again); an item with a topic costs five (twins, lock, update, update
    twins, event). A repeated click with the same status records no event; a changed skip
    reason alone is saved without one. The event is recorded once, on the clicked item.

    Any status but "not started" follows the item's roadmap if the learner does not yet (the
    lock reads whether they do); `progress.started_following` says whether it did, for the
    view to say so, and `progress.twins` are the twin items whose rows changed too.
    """
    status = Status(status)
    skip_reason = skip_reason.strip()[:200] if status == Status.SKIPPED else ""
    progress, twins = _locked_rows(learner=learner, item=item)
    # Work on a roadmap always counts: on the dashboard and in the plan, which show followed
    # roadmaps only.
    progress.started_following = (
        status != Status.NOT_STARTED
        and not progress.roadmap_followed
        and follow_if_new(learner=learner, roadmap=item.roadmap)
    )
    previous = progress.status
    if all(row.status == status and row.skip_reason == skip_reason for row in [progress, *twins]):
        return progress

    now = timezone.now()
    progress.status = status
    progress.skip_reason = skip_reason
    if status == Status.NOT_STARTED:
        progress.started_at = None
        progress.completed_at = None
    elif status == Status.IN_PROGRESS:
        progress.started_at = progress.started_at or now
        progress.completed_at = None
    elif status == Status.DONE:
        progress.started_at = progress.started_at or now
        if previous != Status.DONE:
            progress.completed_at = now
    else:  # skipped: out of the way, but not completed
        progress.completed_at = None
    progress.save(update_fields=[*_STATUS_FIELDS, "updated_at"])
    if twins:
        Progress.objects.filter(pk__in=[row.pk for row in twins]).update(
            **{name: getattr(progress, name) for name in _STATUS_FIELDS}, updated_at=now
        )
    if previous != status:
        ProgressEvent.objects.create(
            learner=learner, item=item, status=status, previous_status=previous, at=now
        )
        # Spaced review: a concept done is queued for review; no longer done, it leaves the
        # queue. In this transaction, so a failed status change leaves no card behind.
        if status == Status.DONE:
            add_card(learner=learner, item=item, done_at=now)
        elif previous == Status.DONE:
            remove_cards(learner=learner, item=item)
    return progress


@transaction.atomic
def save_note(*, learner: User, item: Item, note: str, project_url: str = "") -> Progress:
    """Save the learner's private note (and, for a project, the link to their work), on the
    item and on its shared topic's twins.

    Views validate through NoteForm first; the checks here keep other callers honest.
    """
    project_url = project_url.strip()
    if project_url:
        if item.kind != Item.Kind.PROJECT:
            raise ValidationError({"project_url": "Only projects take a link."})
        _http_url(project_url)
    progress, twins = _locked_rows(learner=learner, item=item)
    progress.note = note
    progress.project_url = project_url
    progress.save(update_fields=["note", "project_url", "updated_at"])
    if twins:
        Progress.objects.filter(pk__in=[row.pk for row in twins]).update(
            note=note, project_url=project_url, updated_at=timezone.now()
        )
    return progress


# Which of a topic's rows wins when the importer joins them: the most advanced one.
_RANK = {Status.NOT_STARTED: 0, Status.IN_PROGRESS: 1, Status.SKIPPED: 2, Status.DONE: 3}


def _joined(rows: list[Progress]) -> dict:
    """The one piece of progress a learner's rows on a topic's items stand for."""
    best = max(rows, key=lambda row: _RANK.get(row.status, 0))  # the first of equals
    notes = list(dict.fromkeys(row.note for row in rows if row.note.strip()))
    urls = [row.project_url for row in rows if row.project_url]
    return {
        **{name: getattr(best, name) for name in _STATUS_FIELDS},
        # Different notes written before the items were joined are all kept.
        "note": "\n\n".join(notes),
        "project_url": urls[0] if urls else "",
    }


@transaction.atomic(savepoint=False)  # called inside the import's transaction
def reconcile_topics() -> int:
    """Make each learner's rows on a shared topic's items one piece of progress again.

    The importer calls it after items join a topic: the most advanced row (done, skipped, in
    progress, not started) gives its status and dates to its twins, and every distinct note
    is kept on all of them. No row is deleted and no event is recorded (the learner did
    nothing). Returns how many rows it created or changed; two queries when none.
    """
    topic_of = dict(
        Item.objects.active()
        .filter(roadmap__archived_at__isnull=True)
        .exclude(topic="")
        .values_list("pk", "topic")
    )
    items_of = defaultdict(list)
    for pk, topic in topic_of.items():
        items_of[topic].append(pk)
    groups = defaultdict(list)
    rows = Progress.objects.select_for_update().filter(item_id__in=topic_of).order_by("item_id")
    for row in rows:
        groups[row.learner_id, topic_of[row.item_id]].append(row)
    fields = [*_STATUS_FIELDS, "note", "project_url"]
    now = timezone.now()
    to_create, to_update = [], []
    for (learner_id, topic), group in groups.items():
        wanted = _joined(group)
        have = {row.item_id: row for row in group}
        for item_id in items_of[topic]:
            row = have.get(item_id)
            if row is None:
                if wanted["status"] == Status.NOT_STARTED and not wanted["note"]:
                    continue  # a missing row already says "not started"
                to_create.append(Progress(learner_id=learner_id, item_id=item_id, **wanted))
            elif any(getattr(row, name) != wanted[name] for name in fields):
                for name in fields:
                    setattr(row, name, wanted[name])
                row.updated_at = now
                to_update.append(row)
    Progress.objects.bulk_create(to_create, ignore_conflicts=True)
    Progress.objects.bulk_update(to_update, [*fields, "updated_at"])
    # Bulk writes send no signals: say which learners' pages changed.
    page_cache.invalidate(learners={row.learner_id for row in [*to_create, *to_update]})
    return len(to_create) + len(to_update)


@transaction.atomic
def delete_account(*, learner: User) -> None:
    """Remove the learner with their progress, notes and history.

    Rows are deleted explicitly first so that a future PROTECT or SET_NULL on a relation
    cannot quietly keep a learner's history after the account is gone.
    """
    ProgressEvent.objects.filter(learner=learner).delete()
    Progress.objects.filter(learner=learner).delete()
    ReviewCard.objects.filter(learner=learner).delete()
    learner.delete()
