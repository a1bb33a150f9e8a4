"""Everything a learner stored, as plain data for /me/export.json and /me/export.csv.

Items are named by roadmap and item slug (stable across imports) as well as title, so an export
still means something after the content changes. Archived items are included: their progress
is kept, so it is the learner's data too.
"""

from collections.abc import Iterator

from tracker.models import Progress, ProgressEvent, User
from tracker.selectors.roadmaps import followed_roadmaps

EXPORT_VERSION = 1

PROFILE_FIELDS = (
    "email",
    "display_name",
    "time_zone",
    "weekly_hours",
    "target_date",
    "digest_opt_in",
    "date_joined",
)
CSV_HEADER = (
    "record",
    "roadmap",
    "item",
    "item_title",
    "status",
    "previous_status",
    "at",
    "skip_reason",
    "note",
    "project_url",
    "started_at",
    "completed_at",
    "archived",
)


def export(learner: User) -> dict:
    """The learner's profile, progress (with notes) and status history. Four queries."""
    progress = (
        Progress.objects.for_learner(learner)
        .select_related("item__roadmap")
        .order_by("item__roadmap__slug", "item__order", "item_id")
    )
    events = (
        ProgressEvent.objects.filter(learner=learner)
        .select_related("item__roadmap")
        .order_by("at", "id")
    )
    return {
        "export_version": EXPORT_VERSION,
        "profile": {name: getattr(learner, name) for name in PROFILE_FIELDS},
        "followed_roadmaps": [roadmap.slug for roadmap in followed_roadmaps(learner)],
        "progress": [
            {
                "roadmap": row.item.roadmap.slug,
                "item": row.item.slug,
                "item_title": row.item.title,
                # Twins share one status and note; the topic says which rows are one.
                "topic": row.item.topic,
                "archived": row.item.archived_at is not None,
                "status": row.status,
                "skip_reason": row.skip_reason,
                "note": row.note,
                "project_url": row.project_url,
                "started_at": row.started_at,
                "completed_at": row.completed_at,
                "updated_at": row.updated_at,
            }
            for row in progress
        ],
        "events": [
            {
                "roadmap": event.item.roadmap.slug,
                "item": event.item.slug,
                "item_title": event.item.title,
                "previous_status": event.previous_status,
                "status": event.status,
                "at": event.at,
            }
            for event in events
        ],
    }


def csv_safe(value: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a quote."""
    # A learner-chosen name like "=HYPERLINK(...)" must not run as a formula.
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def _text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str):
        return csv_safe(str(value))
    return str(value)


def csv_rows(data: dict) -> Iterator[list[str]]:
    """One table for spreadsheets: a `record` column says what each row is.

    The profile comes first as `setting` rows (name in `item`, value in `note`), then one
    `progress` row per item, then one `event` row per status change, oldest first.
    """
    yield list(CSV_HEADER)

    def row(record: str, **values) -> list[str]:
        values["record"] = record
        return [_text(values.get(column)) for column in CSV_HEADER]

    for name, value in data["profile"].items():
        yield row("setting", item=name, note=value)
    for progress in data["progress"]:
        yield row("progress", **progress)
    for event in data["events"]:
        yield row("event", **event)
