"""Reads for a cohort's mentor: per-learner figures, the status grid, one item, one learner.

The per-learner figures are computed by the database in one query (conditional aggregation
over the learner's progress rows plus correlated subqueries), so the dashboard costs the same
number of queries for 5 learners as for 500. The at-risk rules are in tracker/at_risk.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)

from tracker import cohort_pace, planning
from tracker.at_risk import (
    RECENT_DAYS,
    STUCK_FACTOR,
    LearnerRow,
    at_risk_reasons,
    is_stuck,
)
from tracker.models import (
    Cohort,
    CohortMilestone,
    Item,
    Membership,
    Progress,
    ProgressEvent,
    Status,
    User,
)
from tracker.progress_math import percent
from tracker.selectors import plans as plan_reads


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


def _membership_rows(cohort: Cohort, sections: list[SectionColumn], *, now: datetime) -> QuerySet:
    # Items are named by id rather than joined on roadmap and archived_at: the latest-event
    # subquery then walks the (learner, at) index backwards and stops at the first match,
    # whatever the table statistics say. An empty list would make the whole query empty.
    item_ids = [item_id for s in sections for item_id in s.item_ids] or [0]
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
    last_event = ProgressEvent.objects.filter(
        learner_id=OuterRef("learner_id"), item_id__in=item_ids
    ).order_by("-at")
    stuck = (
        stuck_progress(now=now)
        .filter(learner_id=OuterRef("learner_id"), item_id__in=item_ids)
        .order_by("started_at", "id")
    )
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
            "learner__target_date",
            "learner__use_pace_factor",
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
            last_active=Subquery(last_event.values("at")[:1]),
            stuck_item=Subquery(stuck.values("item__title")[:1]),
            **per_section,
        )
        .order_by("learner_id")
    )


def learner_rows(
    cohort: Cohort, sections: list[SectionColumn], *, now: datetime
) -> list[LearnerRow]:
    """One row per member with their figures, plan status and at-risk reasons, all members at
    once. The reference that selectors/cohort_dashboard.py's SQL is tested against.

    Queries: the membership aggregate (1), then `plan_statuses` (8).
    """
    total = sum(s.item_count for s in sections)
    totals = [s.item_count for s in sections]
    rows = []
    for m in _membership_rows(cohort, sections, now=now):
        rows.append(
            LearnerRow(
                learner_id=m.learner_id,
                name=m.learner.name,
                email=m.learner.email,
                joined_at=m.joined_at,
                share_notes=m.share_notes,
                done=m.done,
                skipped=m.skipped,
                in_progress=m.in_progress,
                total=total,
                section_done=[getattr(m, f"section_{s.id}") for s in sections],
                section_totals=totals,
                done_recent=m.done_recent,
                last_active=m.last_active,
                stuck_item=m.stuck_item,
                learner=m.learner,
                now=now,
            )
        )
    statuses = plan_reads.plan_statuses([row.learner for row in rows], now=now) if rows else {}
    for row in rows:
        row.plan_status = statuses[row.learner_id].state
        row.reasons = at_risk_reasons(
            last_active=row.last_active,
            joined_at=row.joined_at,
            stuck_item=row.stuck_item,
            behind_weekly_plan=statuses[row.learner_id].behind_weekly_plan,
            now=now,
        )
    return rows


def cohort_items(cohort: Cohort) -> list[Item]:
    """The roadmap's active items in roadmap order, with their section (one query).

    A shared topic the roadmap has twice (a concept and its technique row, say) is one
    piece of progress, so mentors see it once, at its first place.
    """
    items = (
        Item.objects.active()
        .filter(roadmap_id=cohort.roadmap_id, section__archived_at__isnull=True)
        .select_related("section")
        .order_by("section__order", "order", "id")
    )
    seen: set[str] = set()
    result = []
    for item in items:
        if item.topic and item.topic in seen:
            continue
        seen.add(item.topic)
        result.append(item)
    return result


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
    pace: cohort_pace.Pace | None = None

    @property
    def overall_pct(self) -> int:
        return percent(self.done, self.total)


def learner_detail(cohort: Cohort, membership: Membership, *, now: datetime) -> LearnerDetail:
    """One member's status on every item of the cohort's roadmap, by section, and their pace
    against the cohort's schedule (three queries).

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
    pace = learner_pace(
        cohort_schedule(cohort), [item.id for item in items], done=done, learner=learner, now=now
    )
    return LearnerDetail(sections=sections, done=done, total=len(items), pace=pace)


# ---- the cohort's schedule and each learner's pace --------------------------------------------


def cohort_schedule(cohort: Cohort) -> cohort_pace.Schedule:
    """The cohort's dates and week-by-week target items (one query)."""
    milestones = CohortMilestone.objects.filter(cohort=cohort).values_list("week_number", "item_id")
    return cohort_pace.Schedule(
        cohort_id=cohort.pk,
        name=cohort.name,
        roadmap_id=cohort.roadmap_id,
        starts_on=cohort.starts_on,
        ends_on=cohort.ends_on,
        milestones=tuple(cohort_pace.Milestone(week, item_id) for week, item_id in milestones),
    )


def milestone_text(cohort: Cohort) -> str:
    """The schedule form's "week N: item-slug" lines, as stored (one query)."""
    rows = CohortMilestone.objects.filter(cohort=cohort).values_list("week_number", "item__slug")
    return cohort_pace.milestone_lines(rows)


def learner_pace(
    schedule: cohort_pace.Schedule, item_ids: list[int], *, done: int, learner: User, now: datetime
) -> cohort_pace.Pace | None:
    """A member's done items of the roadmap (`item_ids`, as `cohort_items` counts them)
    against the items due by their local today: the dashboard, the per-learner page and the
    CSV all ask here."""
    return cohort_pace.pace(
        schedule,
        done=done,
        total=len(item_ids),
        active=set(item_ids),
        today=planning.local_date(now, learner.time_zone),
    )
