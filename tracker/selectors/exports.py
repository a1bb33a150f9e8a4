"""Everything a learner stored, as plain data for /me/export.json and /me/export.csv.

Items are named by roadmap and item slug (stable across imports) as well as title, so an export
still means something after the content changes. Archived items are included: their progress
is kept, so it is the learner's data too.
"""

from collections.abc import Iterator

from django.db.models import Prefetch

from tracker.models import (
    Item,
    Membership,
    Nudge,
    Progress,
    ProgressEvent,
    ProjectSubmission,
    ReviewCard,
    ReviewLog,
    RoadmapFollow,
    User,
    WeekPlan,
)

EXPORT_VERSION = 1

PROFILE_FIELDS = (
    "email",
    "display_name",
    "time_zone",
    "weekly_hours",
    "target_date",
    "digest_opt_in",
    "nudge_emails",
    "mentor_digest",
    "use_pace_factor",
    "spaced_review",
    "theme",
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
    # Added with cohorts, plans, nudges, project reviews and spaced review; appended, so the
    # columns above keep their places for spreadsheets that refer to them by position.
    "cohort",
    "share_notes",
    "week_start",
    "weekly_hours",
    "hours",
    "mentor",
    "message",
    "dismissed_at",
    "repo_url",
    "writeup",
    "decision",
    "comment",
    "due",
    "reps",
    "rating",
)


def export(learner: User) -> dict:
    """The learner's profile, follows, progress (with notes), status history, cohorts, weekly
    plans, nudges received, project submissions with their feedback, and review cards with
    their ratings. Ten queries, however many rows."""
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
        "followed_roadmaps": _followed_slugs(learner),
        "progress": [
            {
                **_named(row.item),
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
                **_named(event.item),
                "previous_status": event.previous_status,
                "status": event.status,
                "at": event.at,
            }
            for event in events
        ],
        "cohorts": _cohorts(learner),
        "week_plans": _week_plans(learner),
        "nudges": _nudges(learner),
        "project_submissions": _project_submissions(learner),
        "review_cards": _review_cards(learner),
    }


def _followed_slugs(learner: User) -> list[str]:
    """Every roadmap the learner follows, in their order. Archived ones too: pages leave them
    out, but the follow is still the learner's, as is their progress on archived items."""
    follows = (
        RoadmapFollow.objects.filter(learner=learner)
        .select_related("roadmap")
        .order_by("position", "created_at")
    )
    return [follow.roadmap.slug for follow in follows]


def _named(item: Item) -> dict:
    """How every record names its item (the item's roadmap must be selected with it)."""
    return {"roadmap": item.roadmap.slug, "item": item.slug, "item_title": item.title}


def _cohorts(learner: User) -> list[dict]:
    memberships = (
        Membership.objects.filter(learner=learner)
        .select_related("cohort__roadmap")
        .order_by("joined_at", "id")
    )
    return [
        {
            "cohort": membership.cohort.name,
            "roadmap": membership.cohort.roadmap.slug,
            "share_notes": membership.share_notes,
            "joined_at": membership.joined_at,
        }
        for membership in memberships
    ]


def _week_plans(learner: User) -> list[dict]:
    """Stored weeks, oldest first. Two queries: the weeks, then the items they name."""
    weeks = list(WeekPlan.objects.for_learner(learner).order_by("week_start"))
    ids = {entry["item"] for week in weeks for entry in week.entries}
    # An empty id list makes no query.
    items = Item.objects.filter(pk__in=ids).select_related("roadmap").in_bulk()
    return [
        {
            "week_start": week.week_start,
            "weekly_hours": week.weekly_hours,
            "review_hours": week.review_hours,
            "entries": [_plan_entry(entry, items.get(entry["item"])) for entry in week.entries],
        }
        for week in weeks
    ]


def _plan_entry(entry: dict, item: Item | None) -> dict:
    # Entries keep an item id and a copied title; the slugs say which item it was, as long as
    # the item still exists.
    return {
        "roadmap": item.roadmap.slug if item else None,
        "item": item.slug if item else None,
        "item_title": entry["title"],
        "hours": entry["hours"],
        "continues_from_previous": entry.get("continues_from_previous", False),
        "continues_next": entry.get("continues_next", False),
    }


def _nudges(learner: User) -> list[dict]:
    """Nudges received, dismissed ones too, oldest first, with the mentor's name as the
    dashboard shows it (None once the mentor's account is gone)."""
    nudges = (
        Nudge.objects.for_learner(learner)
        .select_related("cohort", "mentor")
        .order_by("created_at", "id")
    )
    return [
        {
            "cohort": nudge.cohort.name,
            "mentor": nudge.mentor.name if nudge.mentor else None,
            "message": nudge.message,
            "created_at": nudge.created_at,
            "dismissed_at": nudge.dismissed_at,
        }
        for nudge in nudges
    ]


def _project_submissions(learner: User) -> list[dict]:
    """Every submission, oldest first, each with the mentor's decision and comment once made:
    what the project's page shows the learner."""
    submissions = (
        ProjectSubmission.objects.filter(learner=learner)
        .select_related("item__roadmap", "cohort", "review__mentor")
        .order_by("submitted_at", "id")
    )
    return [
        {
            **_named(submission.item),
            "cohort": submission.cohort.name if submission.cohort else None,
            "repo_url": submission.repo_url,
            "writeup": submission.writeup,
            "state": submission.state,
            "submitted_at": submission.submitted_at,
            "decided_at": submission.decided_at,
            "review": _review(submission),
        }
        for submission in submissions
    ]


def _review(submission: ProjectSubmission) -> dict | None:
    try:
        review = submission.review
    except ProjectSubmission.review.RelatedObjectDoesNotExist:
        return None
    return {
        "mentor": review.mentor.name if review.mentor else None,
        "decision": review.decision,
        "comment": review.comment,
        "created_at": review.created_at,
    }


def _review_cards(learner: User) -> list[dict]:
    """Spaced-review cards with every rating, oldest first. Two queries: cards, then ratings."""
    cards = (
        ReviewCard.objects.for_learner(learner)
        .select_related("item__roadmap")
        .prefetch_related(Prefetch("logs", ReviewLog.objects.order_by("reviewed_at", "id")))
        .order_by("created_at", "id")
    )
    return [
        {
            **_named(card.item),
            "topic": card.item.topic,
            "due": card.due,
            "last_review": card.last_review,
            "reps": card.reps,
            # The FSRS memory state that `due` was worked out from (tracker/reviews.py).
            "stability": card.stability,
            "difficulty": card.difficulty,
            "created_at": card.created_at,
            "ratings": [
                {"rating": log.rating, "reviewed_at": log.reviewed_at, "next_due": log.next_due}
                for log in card.logs.all()
            ],
        }
        for card in cards
    ]


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
    `progress` row per item, then one `event` row per status change, oldest first. Then
    `follow` rows in the learner's order and, each oldest first, `cohort` rows, one `plan` row
    per item planned in a stored week, `nudge` rows, a `project_submission` row followed by its
    `project_review` once decided, and a `review_card` row followed by a `review_rating` row
    per rating. A row's main date is in `at`.
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
    for slug in data["followed_roadmaps"]:
        yield row("follow", roadmap=slug)
    for membership in data["cohorts"]:
        yield row("cohort", **membership, at=membership["joined_at"])
    for week in data["week_plans"]:
        for entry in week["entries"]:
            yield row(
                "plan", **entry, week_start=week["week_start"], weekly_hours=week["weekly_hours"]
            )
    for nudge in data["nudges"]:
        yield row("nudge", **nudge, at=nudge["created_at"])
    for submission in data["project_submissions"]:
        named = {key: submission[key] for key in ("roadmap", "item", "item_title", "cohort")}
        yield row(
            "project_submission",
            **submission,
            status=submission["state"],
            at=submission["submitted_at"],
        )
        if review := submission["review"]:
            yield row("project_review", **named, **review, at=review["created_at"])
    for card in data["review_cards"]:
        named = {key: card[key] for key in ("roadmap", "item", "item_title")}
        yield row("review_card", **card)
        for rating in card["ratings"]:
            yield row(
                "review_rating",
                **named,
                rating=rating["rating"],
                at=rating["reviewed_at"],
                due=rating["next_due"],
            )
