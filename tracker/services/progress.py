"""Writes to a learner's progress: statuses, notes, and deleting it all."""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from tracker.models import Item, Progress, ProgressEvent, Status, User

_http_url = URLValidator(schemes=["http", "https"])


def _locked_progress(*, learner: User, item: Item) -> Progress:
    """The learner's one row for the item, created if missing and locked until commit.

    The row exists for nearly every click after the first, so it is locked straight away.
    When it is missing, INSERT ... ON CONFLICT DO NOTHING never fails when two requests race
    to create it (the loser waits for the winner's commit, then does nothing), and SELECT ...
    FOR UPDATE then serialises the writers, so each sees the other's committed status.
    """
    locked = Progress.objects.select_for_update()
    try:
        return locked.get(learner=learner, item=item)
    except Progress.DoesNotExist:
        Progress.objects.bulk_create([Progress(learner=learner, item=item)], ignore_conflicts=True)
        return locked.get(learner=learner, item=item)


@transaction.atomic
def set_status(*, learner: User, item: Item, status: str, skip_reason: str = "") -> Progress:
    """Set the learner's status on an item and record the change with its time.

    Costs three queries on an existing row (lock, update, event) and two more on the first
    click (insert, lock again). A repeated click with the same status records no event; a
    changed skip reason alone is saved without one.
    """
    status = Status(status)
    skip_reason = skip_reason.strip()[:200] if status == Status.SKIPPED else ""
    progress = _locked_progress(learner=learner, item=item)
    previous = progress.status
    if previous == status and progress.skip_reason == skip_reason:
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
    progress.save(
        update_fields=["status", "skip_reason", "started_at", "completed_at", "updated_at"]
    )
    if previous != status:
        ProgressEvent.objects.create(
            learner=learner, item=item, status=status, previous_status=previous, at=now
        )
    return progress


@transaction.atomic
def save_note(*, learner: User, item: Item, note: str, project_url: str = "") -> Progress:
    """Save the learner's private note (and, for a project, the link to their work).

    Views validate through NoteForm first; the checks here keep other callers honest.
    """
    project_url = project_url.strip()
    if project_url:
        if item.kind != Item.Kind.PROJECT:
            raise ValidationError({"project_url": "Only projects take a link."})
        _http_url(project_url)
    progress = _locked_progress(learner=learner, item=item)
    progress.note = note
    progress.project_url = project_url
    progress.save(update_fields=["note", "project_url", "updated_at"])
    return progress


@transaction.atomic
def delete_account(*, learner: User) -> None:
    """Remove the learner with their progress, notes and history.

    Rows are deleted explicitly first so that a future PROTECT or SET_NULL on a relation
    cannot quietly keep a learner's history after the account is gone.
    """
    ProgressEvent.objects.filter(learner=learner).delete()
    Progress.objects.filter(learner=learner).delete()
    learner.delete()
