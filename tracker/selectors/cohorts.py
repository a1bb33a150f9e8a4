"""Reads for a cohort's mentor: per-learner figures, the status grid, one item, one learner.

The per-learner figures are computed by the database in one query (conditional aggregation
over the learner's progress rows plus correlated subqueries), so the dashboard costs the same
number of queries for 5 learners as for 500. The at-risk rules are in tracker/at_risk.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Left, Lower, StrIndex

from tracker.at_risk import (
    PLAN_RANK,
    RECENT_DAYS,
    STALL_DAYS,
    STUCK_FACTOR,
    LearnerRow,
    at_risk_reasons,
    is_stuck,
)
from tracker.models import Cohort, Item, Membership, Progress, ProgressEvent, Status
from tracker.planning import PlanState
from tracker.progress_math import percent
from tracker.selectors import plans as plan_reads
from tracker.selectors.exports import csv_safe


@dataclass
class SectionColumn:
    id: int
    title: str
    item_ids: list[int] = field(default_factory=list)

    @property
    def item_count(self) -> int:
        return len(self.item_ids)

    @property
    def short_title(self) -> str:
        """'Beginner Level — LLM Foundations' → 'Beginner Level': column headers stay narrow."""
        return self.title.split(" — ")[0]


def section_columns(cohort: Cohort, items: list[Item] | None = None) -> list[SectionColumn]:
    """The roadmap's sections that have active items, in roadmap order, with their items' ids.

    Built from `cohort_items` (one query, or none when the caller already has the items).
    """
    items = cohort_items(cohort) if items is None else items
    columns: dict[int, SectionColumn] = {}
    for item in items:
        column = columns.setdefault(
            item.section_id, SectionColumn(id=item.section_id, title=item.section.title)
        )
        column.item_ids.append(item.id)
    return list(columns.values())


def stuck_progress(*, now: datetime) -> QuerySet:
    """In-progress rows past STUCK_FACTOR x their estimated weeks, computed in SQL.

    started_at + factor x effort_hours / weekly_hours weeks < now, with the duration scaled
    in microseconds so that SQLite (integer durations) and PostgreSQL (intervals) agree.
    """
    week = timedelta(weeks=STUCK_FACTOR)
    # Wrapped as plain integers: SQLite's duration arithmetic refuses PositiveSmallIntegerField.
    effort = ExpressionWrapper(F("item__effort_hours"), output_field=IntegerField())
    weekly = ExpressionWrapper(F("learner__weekly_hours"), output_field=IntegerField())
    allowed = ExpressionWrapper(Value(week) * effort / weekly, output_field=DurationField())
    deadline = ExpressionWrapper(F("started_at") + allowed, output_field=DateTimeField())
    return (
        Progress.objects.filter(status=Status.IN_PROGRESS, started_at__isnull=False)
        .alias(deadline=deadline)
        .filter(deadline__lt=now)
    )


def _roadmap_item_ids(sections: list[SectionColumn]) -> list[int]:
    # An empty list would make the whole query empty.
    return [item_id for s in sections for item_id in s.item_ids] or [0]


def _last_active(item_ids: list[int]) -> Subquery:
    # Items are named by id rather than joined on roadmap and archived_at: the latest-event
    # subquery then walks the (learner, at) index backwards and stops at the first match,
    # whatever the table statistics say.
    last_event = ProgressEvent.objects.filter(
        learner_id=OuterRef("learner_id"), item_id__in=item_ids
    ).order_by("-at")
    return Subquery(last_event.values("at")[:1])


def _stuck_item(item_ids: list[int], *, now: datetime) -> Subquery:
    stuck = (
        stuck_progress(now=now)
        .filter(learner_id=OuterRef("learner_id"), item_id__in=item_ids)
        .order_by("started_at", "id")
    )
    return Subquery(stuck.values("item__title")[:1])


def _membership_rows(cohort: Cohort, sections: list[SectionColumn], *, now: datetime) -> QuerySet:
    item_ids = _roadmap_item_ids(sections)
    on_roadmap = Q(learner__progress__item_id__in=item_ids)

    def count(extra: Q) -> Count:
        return Count("learner__progress", filter=on_roadmap & extra)

    per_section = {
        f"section_{s.id}": Count(
            "learner__progress",
            filter=Q(
                learner__progress__status=Status.DONE, learner__progress__item_id__in=s.item_ids
            ),
        )
        for s in sections
    }
    return (
        Membership.objects.filter(cohort=cohort)
        .select_related("learner")
        # What the rows and plan_statuses read; not passwords, tokens or profile text.
        .only(
            "joined_at",
            "share_notes",
            "learner__email",
            "learner__display_name",
            "learner__weekly_hours",
            "learner__time_zone",
        )
        .annotate(
            done=count(Q(learner__progress__status=Status.DONE)),
            skipped=count(Q(learner__progress__status=Status.SKIPPED)),
            in_progress=count(Q(learner__progress__status=Status.IN_PROGRESS)),
            done_recent=count(
                Q(
                    learner__progress__status=Status.DONE,
                    learner__progress__completed_at__gte=now - timedelta(days=RECENT_DAYS),
                )
            ),
            last_active=_last_active(item_ids),
            stuck_item=_stuck_item(item_ids, now=now),
            **per_section,
        )
        .order_by("learner_id")
    )


def _learner_row(m: Membership, sections: list[SectionColumn], *, now: datetime) -> LearnerRow:
    return LearnerRow(
        learner_id=m.learner_id,
        name=m.learner.name,
        email=m.learner.email,
        joined_at=m.joined_at,
        share_notes=m.share_notes,
        done=m.done,
        skipped=m.skipped,
        in_progress=m.in_progress,
        total=sum(s.item_count for s in sections),
        section_done=[getattr(m, f"section_{s.id}") for s in sections],
        section_totals=[s.item_count for s in sections],
        done_recent=m.done_recent,
        last_active=m.last_active,
        stuck_item=m.stuck_item,
        learner=m.learner,
        now=now,
    )


def _with_reasons(row: LearnerRow, plan_status: str, *, now: datetime) -> LearnerRow:
    row.plan_status = PlanState(plan_status)
    row.reasons = at_risk_reasons(
        last_active=row.last_active,
        joined_at=row.joined_at,
        stuck_item=row.stuck_item,
        plan_status=row.plan_status,
        now=now,
    )
    return row


def learner_rows(
    cohort: Cohort, sections: list[SectionColumn], *, now: datetime
) -> list[LearnerRow]:
    """Every member's row, with the plan status worked out in Python by `plan_statuses`.

    The reference the dashboard's SQL sorting and filtering is tested against.
    Queries: the membership aggregate (1), then `plan_statuses` (2).
    """
    rows = [_learner_row(m, sections, now=now) for m in _membership_rows(cohort, sections, now=now)]
    statuses = plan_reads.plan_statuses([row.learner for row in rows], now=now) if rows else {}
    return [_with_reasons(row, statuses[row.learner_id].state, now=now) for row in rows]


# ---- the dashboard: filters, sorting and pages in SQL -----------------------------------------

DASHBOARD_PAGE_SIZE = 50
# Query value → tab label. Each is a WHERE clause below; "at-risk" is any of the three reasons.
FILTERS = {"all": "All", "at-risk": "At risk", "behind": "Behind plan", "inactive": "Inactive"}


def clean_filter(value: str | None) -> str:
    """An unknown filter shows everyone rather than an error."""
    return value if value in FILTERS else "all"


def _flagged(members: QuerySet, *, now: datetime) -> QuerySet:
    """Memberships (with last_active and stuck_item) and each at-risk reason as a 0/1 column.

    The same rules as tracker/at_risk.py: inactive is `is_stalled` (no event on the roadmap,
    nor joining, within STALL_DAYS), stuck is a `stuck_progress` row, behind is the plan
    status of `plan_statuses`, in SQL (PlanStateSQL).
    """
    cutoff = now - timedelta(days=STALL_DAYS)
    inactive = Q(joined_at__lt=cutoff) & (Q(last_active__isnull=True) | Q(last_active__lt=cutoff))
    members = members.annotate(
        plan_state=plan_reads.PlanStateSQL(
            "learner_id", "learner__time_zone", "learner__weekly_hours", now=now
        ),
    )
    return members.annotate(
        is_inactive=_flag(inactive),
        is_stuck=_flag(Q(stuck_item__isnull=False)),
        is_behind=_flag(Q(plan_state=PlanState.BEHIND)),
    ).annotate(reason_count=F("is_inactive") + F("is_stuck") + F("is_behind"))


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=1), default=0, output_field=IntegerField())


_FILTER_WHERE = {
    "all": Q(),
    "at-risk": Q(reason_count__gt=0),
    "behind": Q(is_behind=1),
    "inactive": Q(is_inactive=1),
}


def dashboard_counts(cohort: Cohort, sections: list[SectionColumn], *, now: datetime) -> dict:
    """How many members each filter shows, over the whole cohort (one query)."""
    item_ids = _roadmap_item_ids(sections)
    members = Membership.objects.filter(cohort=cohort).annotate(
        last_active=_last_active(item_ids), stuck_item=_stuck_item(item_ids, now=now)
    )
    members = _flagged(members, now=now)
    figures = members.aggregate(
        **{key.replace("-", "_"): Count("pk", filter=where) for key, where in _FILTER_WHERE.items()}
    )
    return {key: figures[key.replace("-", "_")] for key in FILTERS}


class _CodepointOrder(Func):
    """Python's str order (by code point): PostgreSQL's "C" collation, SQLite's default."""

    template = "%(expressions)s"

    def as_postgresql(self, compiler, connection, **extra_context):
        template = '(%(expressions)s) COLLATE "C"'
        return self.as_sql(compiler, connection, template=template, **extra_context)


def _name_key() -> Func:
    """`User.name`, lower-cased: at_risk's `row.name.casefold()` in SQL."""
    email = F("learner__email")
    local_part = Left(email, StrIndex(email, Value("@")) - 1)
    name = Case(
        When(learner__display_name="", then=local_part),
        default=F("learner__display_name"),
        output_field=CharField(),
    )
    return _CodepointOrder(Lower(name), output_field=CharField())


def _order_by(sort: str, direction: str) -> list:
    """at_risk.sort_rows as ORDER BY: the column, then name and id ascending for ties."""
    descending = direction == "desc"
    if sort == "name":
        key = [_name_key(), F("learner_id")]
        return [k.desc() if descending else k.asc() for k in key]
    if sort == "last_active":
        # Never-active learners sort below anyone who was active, as in _sort_key.
        column = [
            F("last_active").desc(nulls_last=True)
            if descending
            else F("last_active").asc(nulls_first=True)
        ]
    else:
        names = {"overall": ["done"], "recent": ["done_recent"]}
        keys = names.get(sort, ["reason_count", "plan_rank"])
        column = [F(k).desc() if descending else F(k).asc() for k in keys]
    return [*column, _name_key().asc(), F("learner_id").asc()]


_PLAN_RANK = Case(
    *[When(plan_state=state, then=rank) for state, rank in PLAN_RANK.items()],
    default=0,
    output_field=IntegerField(),
)


def dashboard_members(
    cohort: Cohort,
    sections: list[SectionColumn],
    *,
    now: datetime,
    sort: str,
    direction: str,
    show: str,
) -> QuerySet:
    """The members one filter shows, with their figures, sorted: a queryset to page through."""
    members = _flagged(_membership_rows(cohort, sections, now=now), now=now)
    return (
        members.annotate(plan_rank=_PLAN_RANK)
        .filter(_FILTER_WHERE[show])
        .order_by(*_order_by(sort, direction))
    )


def dashboard_page(
    members: QuerySet,
    *,
    count: int,
    number: str | None,
    sections: list[SectionColumn],
    now: datetime,
) -> tuple[Page, list[LearnerRow]]:
    """One page of `members` (one query: `count` is known from `dashboard_counts`)."""
    paginator = Paginator(members, DASHBOARD_PAGE_SIZE)
    paginator.count = count  # a cached_property: no COUNT(*) over the whole cohort again
    page = paginator.get_page(number)
    rows = [
        _with_reasons(_learner_row(m, sections, now=now), m.plan_state, now=now)
        for m in page.object_list
    ]
    return page, rows


def cohort_items(cohort: Cohort) -> list[Item]:
    """The roadmap's active items in roadmap order, with their section (one query)."""
    return list(
        Item.objects.active()
        .filter(roadmap_id=cohort.roadmap_id, section__archived_at__isnull=True)
        .select_related("section")
        .order_by("section__order", "order", "id")
    )


def status_grid(
    cohort: Cohort, items: list[Item], *, learner_ids: list[int] | None = None
) -> dict[tuple[int, int], Progress]:
    """(learner id, item id) → progress row, for the members (or some of them) (one query)."""
    rows = Progress.objects.filter(
        learner__memberships__cohort=cohort, item__in=[item.id for item in items]
    ).only("learner_id", "item_id", "status", "started_at", "completed_at")
    if learner_ids is not None:
        rows = rows.filter(learner_id__in=learner_ids)
    return {(p.learner_id, p.item_id): p for p in rows}


def status_of(progress: Progress | None) -> str:
    """A learner with no progress row on an item has not started it."""
    return progress.status if progress else Status.NOT_STARTED


@dataclass
class ItemBreakdown:
    """Who has done one item, who is on it, who is stuck on it (members ordered by email)."""

    done: list[dict] = field(default_factory=list)
    in_progress: list[dict] = field(default_factory=list)
    stuck: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    not_started: list[dict] = field(default_factory=list)

    @property
    def member_count(self) -> int:
        return sum(
            len(group)
            for group in (self.done, self.in_progress, self.stuck, self.skipped, self.not_started)
        )


def item_breakdown(cohort: Cohort, item: Item, *, now: datetime) -> ItemBreakdown:
    """Each member of the cohort sorted by their status on `item` (two queries)."""
    memberships = cohort.memberships.select_related("learner").order_by("learner__email")
    progress = {
        p.learner_id: p
        for p in Progress.objects.filter(item=item, learner__memberships__cohort=cohort)
    }
    result = ItemBreakdown()
    for membership in memberships:
        p = progress.get(membership.learner_id)
        status = status_of(p)
        entry = {"learner": membership.learner, "progress": p}
        if status == Status.IN_PROGRESS and is_stuck(
            started_at=p.started_at,
            effort_hours=item.effort_hours,
            weekly_hours=membership.learner.weekly_hours,
            now=now,
        ):
            result.stuck.append(entry)
        else:
            getattr(result, status).append(entry)
    return result


@dataclass
class LearnerDetail:
    sections: list[dict]  # {"section": Section, "entries": [{"item", "progress", ...}]}
    done: int
    total: int

    @property
    def overall_pct(self) -> int:
        return percent(self.done, self.total)


def learner_detail(cohort: Cohort, membership: Membership, *, now: datetime) -> LearnerDetail:
    """One member's status on every item of the cohort's roadmap, by section (two queries).

    Notes come along only when the membership shares them.
    """
    learner = membership.learner
    items = cohort_items(cohort)
    progress = {p.item_id: p for p in Progress.objects.filter(learner=learner, item__in=items)}
    sections: list[dict] = []
    for item in items:
        if not sections or sections[-1]["section"].id != item.section_id:
            sections.append({"section": item.section, "entries": []})
        p = progress.get(item.id)
        status = status_of(p)
        stuck = status == Status.IN_PROGRESS and is_stuck(
            started_at=p.started_at,
            effort_hours=item.effort_hours,
            weekly_hours=learner.weekly_hours,
            now=now,
        )
        note = p.note if p and membership.share_notes else ""
        sections[-1]["entries"].append(
            {"item": item, "progress": p, "status": status, "stuck": stuck, "note": note}
        )
    done = sum(1 for p in progress.values() if p.status == Status.DONE)
    return LearnerDetail(sections=sections, done=done, total=len(items))


EXPORT_CHUNK = 1000


def _statuses(item_ids: list[int], learner_ids: list[int]) -> dict[tuple[int, int], str]:
    """(learner id, item id) → status for some learners, as plain tuples (one query)."""
    rows = Progress.objects.filter(learner_id__in=learner_ids, item_id__in=item_ids)
    return {
        (learner_id, item_id): status
        for learner_id, item_id, status in rows.values_list("learner_id", "item_id", "status")
    }


def export_rows(cohort: Cohort, *, now: datetime) -> Iterator[list]:
    """The CSV export, one row at a time: a header, then one row per learner by name with the
    dashboard's summary columns followed by one status column per item, headed by its slug.

    Memory stays flat whatever the cohort's size: members are read with a cursor,
    EXPORT_CHUNK at a time. Queries: items, the sorted members, then statuses per chunk.
    """
    items = cohort_items(cohort)
    sections = section_columns(cohort, items)
    item_ids = [item.id for item in items]
    yield [
        "learner",
        "email",
        "overall_percent",
        "done",
        "skipped",
        "in_progress",
        *[f"section_percent:{s.title}" for s in sections],
        "done_last_7_days",
        "last_active",
        "plan_status",
        "at_risk",
        "at_risk_reasons",
        *[item.slug for item in items],
    ]
    members = dashboard_members(
        cohort, sections, now=now, sort="name", direction="asc", show="all"
    ).iterator(chunk_size=EXPORT_CHUNK)
    while chunk := list(islice(members, EXPORT_CHUNK)):
        statuses = _statuses(item_ids, [m.learner_id for m in chunk])
        for m in chunk:
            row = _with_reasons(_learner_row(m, sections, now=now), m.plan_state, now=now)
            yield [
                csv_safe(row.name),
                csv_safe(row.email),
                row.overall_pct,
                row.done,
                row.skipped,
                row.in_progress,
                *row.section_pcts,
                row.done_recent,
                row.last_active.isoformat() if row.last_active else "",
                row.plan_status,
                "yes" if row.at_risk else "no",
                csv_safe("; ".join(row.reasons)),
                *[statuses.get((row.learner_id, i), Status.NOT_STARTED) for i in item_ids],
            ]
