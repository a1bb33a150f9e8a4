"""The mentor's dashboard of a cohort of any size: filters, sorting and pages in SQL, and the CSV.

Every member's figures, at-risk reasons and plan status are computed in one statement, set by
set (hash joins and GROUP BY over the cohort's rows) rather than one correlated subquery per
member: at 5,000 members that is the difference between 1 s and a few tens of ms. The rules are
those of tracker/at_risk.py and `selectors.plans.plan_statuses`; tests/test_cohort_dashboard.py
checks every sort and filter against them on a seeded cohort.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.models import Count, DateTimeField, Max, Q

from tracker.at_risk import RECENT_DAYS, STALL_DAYS, LearnerRow, at_risk_reasons
from tracker.models import Cohort, Item, Membership, Progress, ProgressEvent, Status, User, WeekPlan
from tracker.planning import PlanState
from tracker.selectors import plans as plan_reads
from tracker.selectors.cohorts import SectionColumn, cohort_items, section_columns, stuck_progress
from tracker.selectors.exports import csv_safe

PAGE_SIZE = 50
# Query value → tab label. "at-risk" is any of the three reasons.
FILTERS = {
    "all": "All",
    "at-risk": "At risk",
    "behind": "Behind weekly plan",
    "inactive": "Inactive",
}
_WHERE = {
    "all": "1 = 1",
    "at-risk": "is_inactive + is_stuck + is_behind > 0",
    "behind": "is_behind = 1",
    "inactive": "is_inactive = 1",
}


def clean_filter(value: str | None) -> str:
    """An unknown filter shows everyone rather than an error."""
    return value if value in FILTERS else "all"


# What the ORM cannot say: the learner's own time zone on each row, JSON array elements, and
# Python's string order. PostgreSQL does the time zones with AT TIME ZONE, SQLite with the
# date functions Django registers on every SQLite connection.
_VENDOR = {
    "postgresql": {
        "this_week": "(date_trunc('week', %s::timestamptz AT TIME ZONE u.time_zone))::date",
        "entries": "jsonb_array_elements(s.entries) AS e(value)",
        # An entry's hours in the estimates (`plans._estimated`): a paced plan stores both.
        "hours": "COALESCE((e.value ->> 'estimate')::integer, (e.value ->> 'hours')::integer)",
        "entry_item": "(e.value ->> 'item')::integer",
        "done_since": "d.completed_at >= (f.first_week::timestamp AT TIME ZONE mb.time_zone)",
        "email_name": "split_part(u.email, '@', 1)",
        # Code point order, as Python sorts str; lower() still follows the database's locale.
        "collate": ' COLLATE "C"',
    },
    "sqlite": {
        "this_week": "django_date_trunc('week', %s, u.time_zone, 'UTC')",
        "entries": "json_each(s.entries) AS e",
        "hours": "COALESCE(json_extract(e.value, '$.estimate'), json_extract(e.value, '$.hours'))",
        "entry_item": "json_extract(e.value, '$.item')",
        "done_since": (
            "django_datetime_cast_date(d.completed_at, mb.time_zone, 'UTC') >= f.first_week"
        ),
        "email_name": "substr(u.email, 1, instr(u.email, '@') - 1)",
        "collate": "",  # SQLite compares text by code point already; its lower() is ASCII-only
    },
}

# "Behind", as `plan_statuses` words it: no snapshot is no plan; no past week's snapshot (before
# the learner's current local week) is on track; otherwise behind when the past weeks' planned
# hours (in the estimates: a paced plan stores them as "estimate"), less entries of items since
# skipped, minus the estimated hours of items done since the first past week began (local
# midnight) exceed the learner's weekly hours.
_PLAN_SQL = """
members AS MATERIALIZED (
  SELECT m.id AS membership_id, m.learner_id, m.joined_at, m.share_notes, u.email,
    u.display_name, u.weekly_hours, u.time_zone, {this_week} AS this_week,
    lower(CASE WHEN u.display_name = '' THEN {email_name} ELSE u.display_name END) AS name_key
  FROM {membership} m INNER JOIN {user} u ON u.id = m.learner_id
  WHERE m.cohort_id = %s
),
first_weeks AS (
  SELECT w.learner_id, MIN(CASE WHEN w.week_start < mb.this_week THEN w.week_start END)
    AS first_week
  FROM {weekplan} w INNER JOIN members mb ON mb.learner_id = w.learner_id
  GROUP BY w.learner_id
),
planned AS (
  SELECT s.learner_id, SUM({hours}) AS hours
  FROM {weekplan} s INNER JOIN members mb ON mb.learner_id = s.learner_id
  CROSS JOIN {entries}
  WHERE s.week_start < mb.this_week AND NOT EXISTS (
    SELECT 1 FROM {progress} k
    WHERE k.learner_id = s.learner_id AND k.item_id = {entry_item} AND k.status = '{skipped}'
  )
  GROUP BY s.learner_id
),
done_since AS (
  SELECT d.learner_id, SUM(i.effort_hours) AS hours
  FROM {progress} d INNER JOIN {item} i ON i.id = d.item_id
  INNER JOIN first_weeks f ON f.learner_id = d.learner_id
  INNER JOIN members mb ON mb.learner_id = d.learner_id
  WHERE d.status = '{done}' AND f.first_week IS NOT NULL AND {done_since}
  GROUP BY d.learner_id
)"""

_ROWS_SQL = """,
figures ({figure_columns}) AS ({figures}),
last_events (learner_id, at) AS ({last_events}),
stuck_rows (learner_id, started_at, id, title) AS ({stuck_rows}),
stuck AS (
  SELECT learner_id, title FROM (
    SELECT learner_id, title,
      ROW_NUMBER() OVER (PARTITION BY learner_id ORDER BY started_at, id) AS n
    FROM stuck_rows
  ) ranked WHERE n = 1
),
flagged AS (
  SELECT mb.membership_id, mb.learner_id, mb.joined_at, mb.share_notes, mb.email,
    mb.display_name, mb.name_key, {figure_values}, le.at AS last_active, st.title AS stuck_item,
    CASE
      WHEN f.learner_id IS NULL THEN '{no_plan}'
      WHEN f.first_week IS NULL THEN '{on_track}'
      WHEN COALESCE(pl.hours, 0) - COALESCE(ds.hours, 0) > mb.weekly_hours THEN '{behind}'
      ELSE '{on_track}'
    END AS plan_state,
    CASE WHEN mb.joined_at < %s AND (le.at IS NULL OR le.at < %s) THEN 1 ELSE 0 END
      AS is_inactive,
    CASE WHEN st.title IS NOT NULL THEN 1 ELSE 0 END AS is_stuck
  FROM members mb
  LEFT JOIN figures fg ON fg.learner_id = mb.learner_id
  LEFT JOIN last_events le ON le.learner_id = mb.learner_id
  LEFT JOIN stuck st ON st.learner_id = mb.learner_id
  LEFT JOIN first_weeks f ON f.learner_id = mb.learner_id
  LEFT JOIN planned pl ON pl.learner_id = mb.learner_id
  LEFT JOIN done_since ds ON ds.learner_id = mb.learner_id
),
rows AS (
  SELECT flagged.*, CASE WHEN plan_state = '{behind}' THEN 1 ELSE 0 END AS is_behind
  FROM flagged
)"""


def _compiled(queryset) -> tuple[str, list]:
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def _figures(in_cohort: Q, sections: list[SectionColumn], *, now: datetime):
    """Each member's counts on the roadmap's items (the ORM's GROUP BY), and their names."""
    per_section = {
        f"section_{s.id}": Count("id", filter=Q(status=Status.DONE, item_id__in=s.item_ids))
        for s in sections
    }
    recent = Q(status=Status.DONE, completed_at__gte=now - timedelta(days=RECENT_DAYS))
    figures = (
        Progress.objects.filter(in_cohort)
        .order_by()
        .values("learner_id")
        .annotate(
            done=Count("id", filter=Q(status=Status.DONE)),
            skipped=Count("id", filter=Q(status=Status.SKIPPED)),
            in_progress=Count("id", filter=Q(status=Status.IN_PROGRESS)),
            done_recent=Count("id", filter=recent),
            **per_section,
        )
    )
    return figures, ["done", "skipped", "in_progress", "done_recent", *per_section]


_NAMES = {
    "membership": Membership._meta.db_table,
    "user": User._meta.db_table,
    "weekplan": WeekPlan._meta.db_table,
    "progress": Progress._meta.db_table,
    "item": Item._meta.db_table,
    "skipped": Status.SKIPPED.value,
    "done": Status.DONE.value,
    "no_plan": PlanState.NO_PLAN.value,
    "on_track": PlanState.ON_TRACK.value,
    "behind": PlanState.BEHIND.value,
}


def with_clause(cohort: Cohort, sections: list[SectionColumn], *, now: datetime):
    """The WITH clause defining `rows`: one per member with every figure. SQL and params.

    The parts the ORM can say (counts, latest events, stuck items) are compiled querysets.
    """
    item_ids = [item_id for s in sections for item_id in s.item_ids] or [0]
    in_cohort = Q(learner__memberships__cohort=cohort, item_id__in=item_ids)
    figures, figure_names = _figures(in_cohort, sections, now=now)
    last_events = (
        ProgressEvent.objects.filter(in_cohort).order_by().values("learner_id").annotate(Max("at"))
    )
    stuck_rows = (
        stuck_progress(now=now)
        .filter(in_cohort)
        .order_by()
        .values_list("learner_id", "started_at", "id", "item__title")
    )
    (figures_sql, figures_params), (last_sql, last_params), (stuck_sql, stuck_params) = (
        _compiled(figures),
        _compiled(last_events),
        _compiled(stuck_rows),
    )
    rows_sql = _ROWS_SQL.format(
        **_NAMES,
        figure_columns=", ".join(["learner_id", *figure_names]),
        figure_values=", ".join(f"COALESCE(fg.{n}, 0) AS {n}" for n in figure_names),
        figures=figures_sql,
        last_events=last_sql,
        stuck_rows=stuck_sql,
    )
    plan_sql = _PLAN_SQL.format(**_NAMES, **_VENDOR[connection.vendor])
    sql_now = connection.ops.adapt_datetimefield_value(now)
    cutoff = connection.ops.adapt_datetimefield_value(now - timedelta(days=STALL_DAYS))
    params = [sql_now, cohort.pk, *figures_params, *last_params, *stuck_params, cutoff, cutoff]
    return "WITH " + plan_sql + rows_sql, params


def _order_by(sort: str, direction: str) -> str:
    """at_risk.sort_rows as ORDER BY: the column, then name and id ascending for ties."""
    collate = _VENDOR[connection.vendor]["collate"]
    way = "DESC" if direction == "desc" else "ASC"
    if sort == "name":
        return f"name_key{collate} {way}, learner_id {way}"
    ties = f"name_key{collate} ASC, learner_id ASC"
    if sort == "last_active":
        # Never-active learners sort below anyone who was active, as in _sort_key.
        nulls = "NULLS LAST" if way == "DESC" else "NULLS FIRST"
        return f"last_active {way} {nulls}, {ties}"
    if sort in ("overall", "recent"):
        return f"{'done' if sort == 'overall' else 'done_recent'} {way}, {ties}"
    # Status: how many at-risk reasons (the plan's own status is worked out per page in
    # Python, so it cannot order the SQL).
    return f"is_inactive + is_stuck + is_behind {way}, {ties}"


@dataclass
class Dashboard:
    counts: dict[str, int]  # members per filter, over the whole cohort
    page: Page
    rows: list[LearnerRow]


def dashboard(
    cohort: Cohort,
    sections: list[SectionColumn],
    *,
    now: datetime,
    sort: str,
    direction: str,
    show: str,
    number: str | None,
) -> Dashboard:
    """Counts per filter and one page of members, filtered and sorted (one query, or two
    when the page asked for is past the last one)."""
    with_sql, params = with_clause(cohort, sections, now=now)
    requested = _page_number(number)
    counts, fetched = _counts_and_page(with_sql, params, sort, direction, show, requested)
    paginator = Paginator(range(counts[show]), PAGE_SIZE)
    page = paginator.get_page(requested)
    if page.number != requested:
        counts, fetched = _counts_and_page(with_sql, params, sort, direction, show, page.number)
    page.object_list = _with_positions([_row(r, sections, now=now) for r in fetched], now=now)
    return Dashboard(counts=counts, page=page, rows=page.object_list)


def _page_number(number: str | None) -> int:
    try:
        return max(1, int(number or 1))
    except ValueError:
        return 1


def statement(with_sql: str, params: list, sort: str, direction: str, show: str, number: int):
    """The dashboard's one statement: counts per filter, then one page. SQL and params."""
    # The counts come along on every row, and on a single all-NULL row when the page is empty.
    order = _order_by(sort, direction)
    sql = (
        f"{with_sql}, counts AS (SELECT COUNT(*) AS n_all,"
        " COALESCE(SUM(CASE WHEN is_inactive + is_stuck + is_behind > 0 THEN 1 ELSE 0 END), 0)"
        " AS n_at_risk, COALESCE(SUM(is_behind), 0) AS n_behind,"
        " COALESCE(SUM(is_inactive), 0) AS n_inactive FROM rows),"
        f" page AS (SELECT rows.*, ROW_NUMBER() OVER (ORDER BY {order}) AS position"
        f" FROM rows WHERE {_WHERE[show]} ORDER BY {order} LIMIT %s OFFSET %s)"
        " SELECT * FROM counts LEFT JOIN page ON 1 = 1 ORDER BY page.position"
    )
    return sql, [*params, PAGE_SIZE, (number - 1) * PAGE_SIZE]


def _counts_and_page(with_sql, params, sort, direction, show, number) -> tuple[dict, list]:
    sql, params = statement(with_sql, params, sort, direction, show, number)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        _no_jit(cursor)
        cursor.execute(sql, params)
        columns = [column[0] for column in cursor.description]
        records = [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
    first = records[0]
    counts = {
        "all": first["n_all"],
        "at-risk": first["n_at_risk"],
        "behind": first["n_behind"],
        "inactive": first["n_inactive"],
    }
    return counts, [r for r in records if r["learner_id"] is not None]


def _no_jit(cursor) -> None:
    """PostgreSQL's row estimates over these CTEs run into the billions, which turns on JIT
    compilation: seconds of compiling for tens of milliseconds of work. Off for this
    transaction only."""
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL jit = off")


def _row(record: dict, sections: list[SectionColumn], *, now: datetime) -> LearnerRow:
    email, display_name = record["email"], record["display_name"]
    row = LearnerRow(
        learner_id=record["learner_id"],
        name=display_name or email.split("@")[0],  # User.name
        email=email,
        joined_at=_datetime(record["joined_at"]),
        share_notes=bool(record["share_notes"]),
        done=record["done"],
        skipped=record["skipped"],
        in_progress=record["in_progress"],
        total=sum(s.item_count for s in sections),
        section_done=[record[f"section_{s.id}"] for s in sections],
        section_totals=[s.item_count for s in sections],
        done_recent=record["done_recent"],
        last_active=_datetime(record["last_active"]),
        stuck_item=record["stuck_item"],
        now=now,
    )
    row.reasons = at_risk_reasons(
        last_active=row.last_active,
        joined_at=row.joined_at,
        stuck_item=row.stuck_item,
        behind_weekly_plan=bool(record["is_behind"]),
        now=now,
    )
    return row


def _with_positions(rows: list[LearnerRow], *, now: datetime) -> list[LearnerRow]:
    """Each row's plan status as every other page shows it (`plans.where_am_i`): a constant
    number of queries for the rows given."""
    learners = list(User.objects.filter(pk__in=[row.learner_id for row in rows]))
    positions = plan_reads.plan_statuses(learners, now=now) if learners else {}
    for row in rows:
        row.plan_status = positions[row.learner_id].state
    return rows


def _datetime(value) -> datetime | None:
    """Raw SQL skips the ORM's converters: SQLite hands back text or naive datetimes."""
    if value is None or (isinstance(value, datetime) and value.tzinfo is not None):
        return value
    return connection.ops.convert_datetimefield_value(value, DateTimeField(), connection)


# ---- the CSV export ---------------------------------------------------------------------------

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

    Memory stays flat whatever the cohort's size: members are fetched EXPORT_CHUNK at a time.
    Queries: items, then per chunk the members' figures and their statuses.
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
    for chunk in _chunks(cohort, sections, now=now):
        statuses = _statuses(item_ids, [row.learner_id for row in chunk])
        for row in chunk:
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


def _chunks(cohort: Cohort, sections: list[SectionColumn], *, now: datetime):
    """The members by name, EXPORT_CHUNK rows at a time from one query.

    A server-side cursor on PostgreSQL (SQLite's cursor fetches lazily already), so the
    client never holds more than a chunk.
    """
    with_sql, params = with_clause(cohort, sections, now=now)
    sql = f"{with_sql} SELECT * FROM rows ORDER BY {_order_by('name', 'asc')}"
    with transaction.atomic(savepoint=False), connection.chunked_cursor() as cursor:
        with connection.cursor() as plain:  # a server-side cursor only takes a SELECT
            _no_jit(plain)
        cursor.execute(sql, params)
        columns = [column[0] for column in cursor.description]
        while records := cursor.fetchmany(EXPORT_CHUNK):
            rows = [_row(dict(zip(columns, r, strict=True)), sections, now=now) for r in records]
            yield _with_positions(rows, now=now)
