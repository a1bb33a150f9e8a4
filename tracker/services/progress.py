"""Writes to a learner's progress: statuses, notes, and deleting it all."""

import re
from collections import defaultdict
from datetime import datetime
from typing import NamedTuple

import psycopg
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, connection, transaction
from django.db.backends.postgresql.base import CursorDebugWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Exists, F
from django.utils import timezone

from tracker import page_cache, reviews
from tracker.models import (
    Item,
    Progress,
    ProgressEvent,
    ReviewCard,
    ReviewLog,
    Roadmap,
    RoadmapFollow,
    Status,
    User,
)
from tracker.models.review_cards import topic_key
from tracker.services.follows import follow_if_new
from tracker.services.spaced_review import (
    REVIEWED_KINDS,
    add_card,
    follow_topics,
    remove_cards,
)

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
    progress.twins = [Twin(twin.pk, twin.roadmap_id, twin.slug) for twin in twins]
    return progress, [row for row in rows if row is not progress]


_STATUS_FIELDS = ("status", "skip_reason", "started_at", "completed_at")


class Twin(NamedTuple):
    """A twin item as `progress.twins` gives it: what the page needs to swap its row."""

    id: int
    roadmap_id: int
    slug: str


def set_status(*, learner: User, item: Item, status: str, skip_reason: str = "") -> Progress:
    """Set the learner's status on an item (and on its shared topic's twins, which are the same
    piece of progress) and record the change with its time.

    A repeated click with the same status records no event; a changed skip reason alone is
    saved without one. The event is recorded once, on the clicked item. Any status but "not
    started" follows the item's roadmap if the learner does not yet; `progress.started_following`
    says whether it did, for the view to say so, `progress.twins` are the twin items whose rows
    changed too (active ones, as `twins_of`), and `progress.roadmap_statuses` are the learner's
    statuses on the item's roadmap after the change (item id -> status), for its progress bars.

    On PostgreSQL a click on a followed roadmap is one statement in autocommit (see
    `_STATEMENT`), the first on an item too unless a twin has a row already or it is called
    inside a transaction: then that click takes two. The first click on a roadmap takes a
    transaction.
    """
    status = Status(status)
    skip_reason = skip_reason.strip()[:200] if status == Status.SKIPPED else ""
    if connection.vendor != "postgresql":
        return _set_status_locked(learner=learner, item=item, status=status, reason=skip_reason)
    arguments = {"learner": learner, "item": item, "status": status, "reason": skip_reason}
    try:
        rows = _run_statement(**arguments, force=False)
    except DatabaseError as error:
        if getattr(error.__cause__, "sqlstate", None) != FIRST_CLICK_RACED:
            raise
        # A racing first click made one of the rows first, and this statement undid itself
        # (see `go.fresh`): the rows exist now, so this run locks them as any other click.
        rows = _run_statement(**arguments, force=False)
    started_following = False
    if not rows[0]["ready"]:
        # The first click on the item (a row was missing: the statement made it, and a new
        # row says "not started" as a missing one does) or on its roadmap (not followed).
        if status != Status.NOT_STARTED and not rows[0]["followed"]:
            # The change and the follow go together. Rows first, then the learner (as the
            # event's foreign key check does): the other order deadlocks with a second click.
            with transaction.atomic():
                rows = _run_statement(**arguments, force=True)
                started_following = follow_if_new(learner=learner, roadmap=item.roadmap)
        else:
            rows = _run_statement(**arguments, force=True)
    progress = _clicked_progress(
        rows,
        learner=learner,
        item=item,
        status=status,
        reason=skip_reason,
        started_following=started_following,
    )
    return progress


def _follow_review_queue(
    *, learner: User, item: Item, previous: str, status: Status, at: datetime
) -> None:
    """Spaced review: a concept done is queued for review; no longer done, it leaves the queue.
    The ORM path's step; the one-statement click does the same in its statement."""
    if status == Status.DONE:
        add_card(learner=learner, item=item, done_at=at)
    elif previous == Status.DONE:
        remove_cards(learner=learner, item=item)


# Made by migration 0024 (PostgreSQL only): raises FIRST_CLICK_RACED, an SQLSTATE of ours.
FIRST_CLICK_RACED_FUNCTION = "tracker_first_click_raced"
FIRST_CLICK_RACED = "RT001"


# The click as one statement. It locks the learner's rows for the item and its topic's twins
# in item order (two clicks on two twins wait for each other instead of deadlocking; a row
# changed meanwhile is read as committed), works out the dates from the clicked row,
# updates every row, records the event, queues or unqueues the concept for spaced review (as
# `_follow_review_queue`) and reads the roadmap's statuses for the bars. When no row exists
# yet for the item or its twins on a followed roadmap, it makes them with the change in them
# (`fresh`). Otherwise, unless `force`, it changes nothing but make the missing rows when some
# were missing or the roadmap is not followed (and the status is not "not started"): the caller
# learns that from `ready`, follows if need be and runs it again with `force`. `mine` is read
# from the statement's snapshot, before the change: the caller lays the rows over it.
_STATEMENT = """
WITH items AS (
    SELECT item.id, item.roadmap_id, item.slug,
           item.archived_at IS NULL AND roadmap.archived_at IS NULL AS active
    FROM {item} item JOIN {roadmap} roadmap ON roadmap.id = item.roadmap_id
    WHERE item.id = %(item)s OR (%(topic)s <> '' AND item.topic = %(topic)s)
), old AS (
    SELECT id, item_id, status, skip_reason, note, project_url, started_at, completed_at,
           updated_at
    FROM {progress}
    WHERE learner_id = %(learner)s AND item_id IN (SELECT id FROM items)
    ORDER BY item_id
    FOR UPDATE
), locked AS (
    -- The app's clock, but never before the rows' last change: a click that waited for
    -- another's lock comes after it in the history even if it read the clock first.
    SELECT count(*) AS rows, greatest(%(now)s, max(updated_at)) AS now FROM old
), go AS (
    SELECT complete, followed, fresh, changed OR fresh AS changes, now,
           %(force)s OR fresh OR (complete AND (%(status)s = '{not_started}' OR followed))
           AS ready
    FROM (
        SELECT *,
               -- The first click on an item of a followed roadmap, with no row for it or its
               -- twins yet: `created` makes the rows with the change in them, in this one
               -- statement. Only in its own transaction: a racing click that makes one of the
               -- rows first aborts it (see the final SELECT) for the caller to run it again on
               -- the rows, and an abort would take an outer transaction with it.
               NOT %(force)s AND %(own_transaction)s AND rows = 0 AND followed
               AND %(status)s <> '{not_started}' AS fresh
        FROM (
            SELECT locked.rows, locked.rows = (SELECT count(*) FROM items) AS complete,
                   EXISTS (SELECT 1 FROM {follow}
                           WHERE learner_id = %(learner)s AND roadmap_id = %(roadmap)s)
                   AS followed,
                   EXISTS (SELECT 1 FROM old
                           WHERE status <> %(status)s OR skip_reason <> %(reason)s) AS changed,
                   locked.now
            FROM locked
        ) facts
    ) decided
), created AS (
    -- The first click on an item: its missing rows are made. Fresh (above), with the change;
    -- otherwise "not started", as a missing row reads, for the caller's second run to lock and
    -- change. A row a racing click made first is left to it (ON CONFLICT), and the second run
    -- waits for that click's commit.
    INSERT INTO {progress} (learner_id, item_id, status, skip_reason, note, project_url,
                            started_at, completed_at, updated_at)
    SELECT %(learner)s, items.id,
           CASE WHEN go.fresh THEN %(status)s ELSE '{not_started}' END,
           CASE WHEN go.fresh THEN %(reason)s ELSE '' END, '', '',
           CASE WHEN go.fresh AND %(status)s <> '{skipped}' THEN go.now END,
           CASE WHEN go.fresh AND %(status)s = '{done}' THEN go.now END,
           go.now
    FROM items, go
    WHERE NOT %(force)s AND items.id NOT IN (SELECT item_id FROM old)
    ON CONFLICT (learner_id, item_id) DO NOTHING
    RETURNING id, item_id, started_at, completed_at
), clicked AS (
    SELECT * FROM old WHERE item_id = %(item)s
), new AS (
    SELECT CASE WHEN %(status)s = '{not_started}' THEN NULL
                WHEN %(status)s = '{skipped}' THEN started_at
                ELSE coalesce(started_at, go.now) END AS started_at,
           CASE WHEN %(status)s <> '{done}' THEN NULL
                WHEN status = '{done}' THEN completed_at
                ELSE go.now END AS completed_at
    FROM clicked, go
), updated AS (
    UPDATE {progress} progress
    SET status = %(status)s, skip_reason = %(reason)s, started_at = new.started_at,
        completed_at = new.completed_at, updated_at = go.now
    FROM new, go
    WHERE progress.id IN (SELECT id FROM old) AND go.ready AND go.changes
), event AS (
    INSERT INTO {event} (learner_id, item_id, status, previous_status, at)
    SELECT %(learner)s, %(item)s, %(status)s, clicked.status, go.now
    FROM clicked, go
    WHERE go.ready AND clicked.status <> %(status)s
    UNION ALL
    SELECT %(learner)s, %(item)s, %(status)s, '{not_started}', go.now FROM go WHERE go.fresh
), card_added AS (
    -- Spaced review: a concept just done is queued (its topic once, as `add_card`)...
    INSERT INTO {card} (learner_id, item_id, topic_key, stability, difficulty, due,
                        last_review, reps, created_at)
    SELECT %(learner)s, %(item)s, %(topic_key)s, %(stability)s, %(difficulty)s,
           go.now + %(first_due_after)s, go.now, 0, go.now
    FROM go
    WHERE %(queue_review)s AND go.ready AND %(status)s = '{done}'
      AND (go.fresh OR EXISTS (SELECT 1 FROM clicked WHERE status <> '{done}'))
    ON CONFLICT (learner_id, topic_key) DO NOTHING
), undone AS (
    -- ...and one no longer done leaves the queue with its ratings (as `remove_cards`).
    SELECT id FROM {card}
    WHERE learner_id = %(learner)s AND topic_key = %(topic_key)s
      AND EXISTS (SELECT 1 FROM clicked, go
                  WHERE go.ready AND clicked.status = '{done}' AND %(status)s <> '{done}')
), ratings_removed AS (
    DELETE FROM {rating} WHERE card_id IN (SELECT id FROM undone)
), card_removed AS (
    DELETE FROM {card} WHERE id IN (SELECT id FROM undone)
), mine AS (
    SELECT array_agg(item_id) AS item_ids, array_agg(status) AS statuses
    FROM {progress}
    WHERE learner_id = %(learner)s
      AND item_id IN (SELECT id FROM {item} WHERE roadmap_id = %(roadmap)s)
)
SELECT go.ready, go.changes, go.followed, go.now,
       items.id AS item_id, items.roadmap_id, items.slug, items.active,
       -- A fresh click's rows as they were before it: missing, so "not started".
       coalesce(old.id, made.id) AS id, coalesce(old.status, '{not_started}') AS status,
       coalesce(old.skip_reason, '') AS skip_reason, coalesce(old.note, '') AS note,
       coalesce(old.project_url, '') AS project_url, old.started_at, old.completed_at,
       old.updated_at,
       CASE WHEN go.fresh THEN made.started_at ELSE new.started_at END AS new_started_at,
       CASE WHEN go.fresh THEN made.completed_at ELSE new.completed_at END AS new_completed_at,
       -- Once, on the clicked item's row: the arrays cost more to read than the rest.
       CASE WHEN items.id = %(item)s THEN mine.item_ids END AS mine_items,
       CASE WHEN items.id = %(item)s THEN mine.statuses END AS mine_statuses,
       -- Not ready, the statement wrote at most "not started" rows, which read as the missing
       -- ones did: its commit need not wait for the disk. The second run's commit carries the
       -- change, and waits as every change does. (For this transaction only, and only when it
       -- is the statement's own: an outer transaction keeps its durability.)
       CASE WHEN NOT go.ready AND %(own_transaction)s
            THEN set_config('synchronous_commit', 'off', true) END AS relaxed_commit,
       -- Fresh, every row must be this click's: one a racing click made first holds that
       -- click's change, and the event and card above assumed none. Abort it all (nothing of
       -- this statement is kept) for the caller to run it again on the rows that now exist.
       CASE WHEN go.fresh AND (SELECT count(*) FROM created) < (SELECT count(*) FROM items)
            THEN {first_click_raced}() END AS raced
FROM items CROSS JOIN go CROSS JOIN mine LEFT JOIN old ON old.item_id = items.id
    LEFT JOIN new ON items.id = %(item)s
    LEFT JOIN created made ON go.fresh AND made.item_id = items.id
""".format(
    **{
        "item": Item._meta.db_table,
        "roadmap": Roadmap._meta.db_table,
        "progress": Progress._meta.db_table,
        "follow": RoadmapFollow._meta.db_table,
        "event": ProgressEvent._meta.db_table,
        "card": ReviewCard._meta.db_table,
        "rating": ReviewLog._meta.db_table,
        "not_started": Status.NOT_STARTED.value,
        "skipped": Status.SKIPPED.value,
        "done": Status.DONE.value,
        "first_click_raced": FIRST_CLICK_RACED_FUNCTION,
    }
)


def _numbered(statement: str) -> tuple[str, tuple[str, ...]]:
    """The statement with PostgreSQL's own placeholders ($1, $2, ...: one for each `%(name)s`,
    as psycopg would number them) and the names in their order. psycopg caches its parse of
    the placeholders only for statements under 4 kB; this one is longer, so it parsed it
    again on every click (0.09 ms, about a tenth of what the click costs above the floor)."""
    names: list[str] = []

    def number(match: re.Match) -> str:
        names.append(match.group(1))
        return f"${len(names)}"

    return re.sub(r"%\((\w+)\)s", number, statement), tuple(names)


_NUMBERED_STATEMENT, _STATEMENT_PARAMETERS = _numbered(_STATEMENT)


def _run_statement(
    *, learner: User, item: Item, status: Status, reason: str, force: bool
) -> list[dict]:
    now = timezone.now()
    first = reviews.first_review(now)
    params = {
        "learner": learner.pk,
        "item": item.pk,
        "topic": item.topic or "",
        "roadmap": item.roadmap_id,
        "status": status.value,
        "reason": reason,
        "force": force,
        "own_transaction": not connection.in_atomic_block,
        "now": now,
        "queue_review": item.kind in REVIEWED_KINDS and learner.spaced_review,
        "topic_key": topic_key(item),
        "stability": first.stability,
        "difficulty": first.difficulty,
        "first_due_after": first.due - now,
    }
    with _server_binding_cursor() as cursor:
        cursor.execute(_NUMBERED_STATEMENT, [params[name] for name in _STATEMENT_PARAMETERS])
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _server_binding_cursor():
    """A cursor that sends the parameters apart from the SQL, so that psycopg can prepare the
    statement once per connection (after `prepare_threshold` runs, see settings): PostgreSQL
    then skips planning it, which cost more than running it (0.5 ms of 1 ms of its CPU a
    click, against 0.3 ms in all prepared). Wrapped as Django wraps its own, so the query is
    logged, counted and its errors translated."""
    connection.ensure_connection()
    # Raw: the SQL already holds PostgreSQL's placeholders, and psycopg passes it as it is.
    cursor = psycopg.RawCursor(connection.connection)
    if connection.queries_logged:
        return _LoggedStatementCursor(cursor, connection)
    return connection.make_cursor(cursor)


class _LoggedStatementCursor(CursorDebugWrapper):
    def execute(self, sql, params=None):
        # psycopg keeps no text of a prepared statement it runs, so the log would say None:
        # log the SQL as written instead.
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)


def _clicked_progress(
    rows: list[dict],
    *,
    learner: User,
    item: Item,
    status: Status,
    reason: str,
    started_following: bool,
) -> Progress:
    """The clicked item's row as `_STATEMENT` left it, with what `set_status` tells about it."""
    written = rows[0]["ready"] and rows[0]["changes"]
    clicked = next(row for row in rows if row["item_id"] == item.pk)
    statuses = dict(zip(clicked["mine_items"] or (), clicked["mine_statuses"] or (), strict=True))
    twins = []
    for row in rows:
        if row["id"] is not None:
            statuses[row["item_id"]] = status.value if written else row["status"]
        if row is not clicked and row["active"]:
            twins.append(Twin(id=row["item_id"], roadmap_id=row["roadmap_id"], slug=row["slug"]))
    progress = Progress(
        learner_id=learner.pk,
        item_id=item.pk,
        **{
            name: clicked[name]
            for name in (
                "id",
                "status",
                "skip_reason",
                "note",
                "project_url",
                "started_at",
                "completed_at",
                "updated_at",
            )
        },
    )
    progress._state.adding = False
    progress.previous_status = clicked["status"]
    if written:
        progress.status, progress.skip_reason = status.value, reason
        progress.started_at = clicked["new_started_at"]
        progress.completed_at = clicked["new_completed_at"]
        progress.updated_at = clicked["now"]
        # Raw SQL sends no signals: the learner's pages changed.
        page_cache.invalidate(learners=[learner.pk])
    progress.started_following = started_following
    progress.twins = twins
    progress.roadmap_statuses = statuses
    return progress


@transaction.atomic
def _set_status_locked(*, learner: User, item: Item, status: Status, reason: str) -> Progress:
    """`set_status` through the ORM, for databases other than PostgreSQL (SQLite takes the
    write lock at BEGIN): lock, follow, update, event. Same outcome, more round trips."""
    progress, twins = _locked_rows(learner=learner, item=item)
    progress.started_following = (
        status != Status.NOT_STARTED
        and not progress.roadmap_followed
        and follow_if_new(learner=learner, roadmap=item.roadmap)
    )
    previous = progress.status
    if all(row.status == status and row.skip_reason == reason for row in [progress, *twins]):
        progress.roadmap_statuses = _roadmap_statuses(learner, item)
        return progress

    now = timezone.now()
    progress.status = status
    progress.skip_reason = reason
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
        _follow_review_queue(learner=learner, item=item, previous=previous, status=status, at=now)
    progress.roadmap_statuses = _roadmap_statuses(learner, item)
    return progress


def _roadmap_statuses(learner: User, item: Item) -> dict[int, str]:
    rows = Progress.objects.filter(learner=learner, item__roadmap_id=item.roadmap_id)
    return dict(rows.values_list("item_id", "status"))


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
    nothing). Returns how many rows it created or changed; three queries when none
    (the last for review cards, which follow their topics: `spaced_review.follow_topics`).
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
    follow_topics()  # review cards are keyed by topic too
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
