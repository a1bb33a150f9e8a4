"""The mentor's dashboard of a cohort of any size: filters, sorting and pages in SQL, and the CSV.

Every member's at-risk reasons are computed in one statement, set by set (hash joins and GROUP
BY over the cohort's rows, or one index range per member) rather than one correlated subquery
per member. Counts that only the page shows are computed for the page's 50 members. The rules
are those of tracker/at_risk.py and `selectors.plans.plan_statuses`;
tests/test_cohort_dashboard.py checks every sort and filter against them on a seeded cohort.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.models import Count, DateTimeField, Max, Q
from django.db.models.expressions import RawSQL

from tracker.at_risk import RECENT_DAYS, STALL_DAYS, LearnerRow, at_risk_reasons
from tracker.models import Cohort, Item, Membership, Progress, ProgressEvent, Status, User, WeekPlan
from tracker.planning import PlanState
from tracker.selectors import plans as plan_reads
from tracker.selectors.cohorts import (
    SectionColumn,
    cohort_items,
    cohort_schedule,
    learner_pace,
    section_columns,
    stuck_progress,
)
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
        # A third cheaper than jsonb_array_elements and casting each field.
        "entries": (
            "jsonb_to_recordset(s.entries) AS e(item bigint, hours integer, estimate integer)"
        ),
        # An entry's hours in the estimates (`plans._estimated`): a paced plan stores both.
        "hours": "COALESCE(e.estimate, e.hours)",
        "entry_item": "e.item",
        # Local midnight once per learner, not once per progress row.
        "since": "(first_week::timestamp AT TIME ZONE time_zone)",
        # One range of progress_learner_status_at per learner. OFFSET 0 keeps it so: joined
        # as a set, the planner misjudges the CTE's rows and hashes the whole table instead.
        "done_rows": """first_weeks f CROSS JOIN LATERAL (
    SELECT d.item_id FROM {progress} d
    WHERE d.learner_id = f.learner_id AND d.status = '{done}' AND d.completed_at >= f.since
    OFFSET 0
  ) d""",
        "email_name": "split_part(u.email, '@', 1)",
        # Code point order, as Python sorts str; lower() still follows the database's locale.
        "collate": ' COLLATE "C"',
    },
    "sqlite": {
        "this_week": "django_date_trunc('week', %s, u.time_zone, 'UTC')",
        "entries": "json_each(s.entries) AS e",
        "hours": "COALESCE(json_extract(e.value, '$.estimate'), json_extract(e.value, '$.hours'))",
        "entry_item": "json_extract(e.value, '$.item')",
        "since": "NULL",
        "done_rows": """first_weeks f INNER JOIN {progress} d ON d.learner_id = f.learner_id
    AND d.status = '{done}'
    AND django_datetime_cast_date(d.completed_at, f.time_zone, 'UTC') >= f.first_week""",
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
  SELECT learner_id, time_zone, first_week, {since} AS since FROM (
    SELECT mb.learner_id, mb.time_zone,
      CASE WHEN w.first_start < mb.this_week THEN w.first_start END AS first_week
    FROM (
      -- The first snapshot is the first past week's, if it is before this week.
      SELECT learner_id, MIN(week_start) AS first_start FROM {weekplan}
      WHERE learner_id IN (SELECT learner_id FROM members) GROUP BY learner_id
    ) w INNER JOIN members mb ON mb.learner_id = w.learner_id
  ) snapshots
),
skipped AS MATERIALIZED (
  -- The members' skipped items, from their index ranges rather than the whole table.
  SELECT k.learner_id, k.item_id FROM {progress} k
  WHERE k.status = '{skipped}' AND k.learner_id IN (SELECT learner_id FROM members)
),
planned AS (
  SELECT s.learner_id, SUM({hours}) AS hours
  FROM {weekplan} s INNER JOIN members mb ON mb.learner_id = s.learner_id
  CROSS JOIN {entries}
  WHERE s.week_start < mb.this_week AND NOT EXISTS (
    SELECT 1 FROM skipped k WHERE k.learner_id = s.learner_id AND k.item_id = {entry_item}
  )
  GROUP BY s.learner_id
),
done_since AS (
  SELECT f.learner_id, SUM(i.effort_hours) AS hours
  FROM {done_rows} INNER JOIN {item} i ON i.id = d.item_id
  WHERE f.first_week IS NOT NULL
  GROUP BY f.learner_id
)"""

_ROWS_SQL = """,{figures}
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
    mb.display_name, mb.name_key,{figure_values} le.at AS last_active, st.title AS stuck_item,
    CASE
      WHEN f.learner_id IS NULL THEN '{no_plan}'
      WHEN f.first_week IS NULL THEN '{on_track}'
      WHEN COALESCE(pl.hours, 0) - COALESCE(ds.hours, 0) > mb.weekly_hours THEN '{behind}'
      ELSE '{on_track}'
    END AS plan_state,
    CASE WHEN mb.joined_at < %s AND (le.at IS NULL OR le.at < %s) THEN 1 ELSE 0 END
      AS is_inactive,
    CASE WHEN st.title IS NOT NULL THEN 1 ELSE 0 END AS is_stuck
  FROM members mb{figures_join}
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
    """Counts on the roadmap's items by learner (the ORM's GROUP BY), and their names."""
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


def _of(learners: str, item_ids: list[int]) -> Q:
    """Rows of the learners of one CTE (members, or the page) on the cohort's items."""
    return Q(learner_id__in=RawSQL(f"SELECT learner_id FROM {learners}", ()), item_id__in=item_ids)


def _item_ids(sections: list[SectionColumn]) -> list[int]:
    return [item_id for s in sections for item_id in s.item_ids] or [0]


def with_clause(
    cohort: Cohort, sections: list[SectionColumn], *, now: datetime, figures: bool = True
):
    """The WITH clause defining `rows`: one per member with every figure. SQL and params.

    Without `figures`, `rows` leaves out the counts that only the page shows, and every other
    figure is still there: the counts per filter need them for the whole cohort.
    The parts the ORM can say (counts, latest events, stuck items) are compiled querysets.
    """
    in_cohort = _of("members", _item_ids(sections))
    last_events = (
        ProgressEvent.objects.filter(in_cohort).order_by().values("learner_id").annotate(Max("at"))
    )
    stuck_rows = (
        stuck_progress(now=now)
        .filter(in_cohort)
        .order_by()
        .values_list("learner_id", "started_at", "id", "item__title")
    )
    (last_sql, last_params), (stuck_sql, stuck_params) = (
        _compiled(last_events),
        _compiled(stuck_rows),
    )
    figures_cte, figure_values, figures_join, figures_params = "", "", "", []
    if figures:
        counted, names = _figures(in_cohort, sections, now=now)
        figures_sql, figures_params = _compiled(counted)
        figures_cte = _figures_cte(figures_sql, names) + ","
        figure_values = _figure_values(names) + ","
        figures_join = "\n  LEFT JOIN figures fg ON fg.learner_id = mb.learner_id"
    rows_sql = _ROWS_SQL.format(
        **_NAMES,
        figures=figures_cte,
        figure_values=figure_values,
        figures_join=figures_join,
        last_events=last_sql,
        stuck_rows=stuck_sql,
    )
    vendor = {key: sql.format(**_NAMES) for key, sql in _VENDOR[connection.vendor].items()}
    plan_sql = _PLAN_SQL.format(**_NAMES, **vendor)
    sql_now = connection.ops.adapt_datetimefield_value(now)
    cutoff = connection.ops.adapt_datetimefield_value(now - timedelta(days=STALL_DAYS))
    params = [sql_now, cohort.pk, *figures_params, *last_params, *stuck_params, cutoff, cutoff]
    return "WITH " + plan_sql + rows_sql, params


def _figures_cte(sql: str, names: list[str], *, key: str = "learner_id") -> str:
    return f"\nfigures ({', '.join([key, *names])}) AS ({sql})"


def _figure_values(names: list[str]) -> str:
    return ", ".join(f"COALESCE(fg.{n}, 0) AS {n}" for n in names)


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
    requested = _page_number(number)
    page_of = partial(
        statement, cohort, sections, now=now, sort=sort, direction=direction, show=show
    )
    counts, fetched = _counts_and_page(*page_of(number=requested))
    paginator = Paginator(range(counts[show]), PAGE_SIZE)
    page = paginator.get_page(requested)
    if page.number != requested:
        counts, fetched = _counts_and_page(*page_of(number=page.number))
    rows = [_row(r, sections, now=now) for r in fetched]
    page.object_list = _with_positions(rows, now=now, pace=_pace_of(cohort, sections))
    return Dashboard(counts=counts, page=page, rows=page.object_list)


def _page_number(number: str | None) -> int:
    try:
        return max(1, int(number or 1))
    except ValueError:
        return 1


def statement(
    cohort: Cohort,
    sections: list[SectionColumn],
    *,
    now: datetime,
    sort: str,
    direction: str,
    show: str,
    number: int,
) -> tuple[str, list]:
    """The dashboard's one statement: counts per filter, then one page. SQL and params.

    The counts per item (done, per section...) are worked out for the page's 50 members only,
    unless the page is sorted by one of them.
    """
    everyone = sort in ("overall", "recent")
    with_sql, params = with_clause(cohort, sections, now=now, figures=everyone)
    order = _order_by(sort, direction)
    # The counts come along on every row, and on a single all-NULL row when the page is empty.
    sql = (
        f"{with_sql}, counts AS (SELECT COUNT(*) AS n_all,"
        " COALESCE(SUM(CASE WHEN is_inactive + is_stuck + is_behind > 0 THEN 1 ELSE 0 END), 0)"
        " AS n_at_risk, COALESCE(SUM(is_behind), 0) AS n_behind,"
        " COALESCE(SUM(is_inactive), 0) AS n_inactive FROM rows),"
        f" page AS (SELECT rows.* FROM rows WHERE {_WHERE[show]} ORDER BY {order}"
        " LIMIT %s OFFSET %s)"
    )
    params = [*params, PAGE_SIZE, (number - 1) * PAGE_SIZE]
    if everyone:
        return f"{sql} SELECT * FROM counts LEFT JOIN page ON 1 = 1 ORDER BY {order}", params
    counted, names = _figures(_of("page", _item_ids(sections)), sections, now=now)
    figures_sql, figures_params = _compiled(counted)
    # The figures' learner column is renamed so that ORDER BY learner_id names the page's.
    sql += (
        f",{_figures_cte(figures_sql, names, key='figures_learner_id')}"
        f" SELECT counts.*, page.*, {_figure_values(names)} FROM counts LEFT JOIN page ON 1 = 1"
        " LEFT JOIN figures fg ON fg.figures_learner_id = page.learner_id"
        f" ORDER BY {order}"
    )
    return sql, [*params, *figures_params]


def _counts_and_page(sql: str, params: list) -> tuple[dict, list]:
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


def _with_positions(rows: list[LearnerRow], *, now: datetime, pace=None) -> list[LearnerRow]:
    """Each row's plan status as every other page shows it (`plans.where_am_i`, through
    `plans.plan_states`), and its pace (`pace`, from `_pace_of`): a constant number of queries
    for the rows given."""
    learners = {u.pk: u for u in User.objects.filter(pk__in=[row.learner_id for row in rows])}
    states = plan_reads.plan_states(list(learners.values()), now=now)
    for row in rows:
        row.plan_status = states[row.learner_id]
        if pace:
            row.pace = pace(row.done, learners[row.learner_id], now)
    return rows


def _pace_of(cohort: Cohort, sections: list[SectionColumn]):
    """Each row's pace against the cohort's schedule (`cohorts.learner_pace`; one query)."""
    schedule = cohort_schedule(cohort)
    item_ids = [item_id for s in sections for item_id in s.item_ids]
    return lambda done, learner, now: learner_pace(
        schedule, item_ids, done=done, learner=learner, now=now
    )


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
        "items_ahead_of_cohort_pace",
        "cohort_pace",
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
                row.pace.ahead if row.pace else "",
                row.pace.text if row.pace else "",
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
    pace = _pace_of(cohort, sections)
    sql = f"{with_sql} SELECT * FROM rows ORDER BY {_order_by('name', 'asc')}"
    with transaction.atomic(savepoint=False), connection.chunked_cursor() as cursor:
        with connection.cursor() as plain:  # a server-side cursor only takes a SELECT
            _no_jit(plain)
        cursor.execute(sql, params)
        columns = [column[0] for column in cursor.description]
        while records := cursor.fetchmany(EXPORT_CHUNK):
            rows = [_row(dict(zip(columns, r, strict=True)), sections, now=now) for r in records]
            yield _with_positions(rows, now=now, pace=pace)


# ---- the weekly mentor digest -----------------------------------------------------------------


@dataclass(frozen=True)
class MemberFlags:
    learner_id: int
    name: str
    at_risk: bool
    finished: bool  # every item of the cohort's roadmap done or skipped
    last_active: datetime | None


def member_flags(cohort: Cohort, sections: list[SectionColumn], *, now: datetime):
    """Every member's at-risk and finished flags, from the dashboard's own rows (one query),
    so the digest and the dashboard never disagree about who is at risk."""
    with_sql, params = with_clause(cohort, sections, now=now)
    total = sum(s.item_count for s in sections)
    sql = (
        f"{with_sql} SELECT learner_id, email, display_name, done, skipped, last_active,"
        " is_inactive + is_stuck + is_behind AS reasons FROM rows ORDER BY learner_id"
    )
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        _no_jit(cursor)
        cursor.execute(sql, params)
        records = cursor.fetchall()
    return [
        MemberFlags(
            learner_id=learner_id,
            name=display_name or email.split("@")[0],  # User.name
            at_risk=reasons > 0,
            finished=total > 0 and done + skipped >= total,
            last_active=_datetime(last_active),
        )
        for learner_id, email, display_name, done, skipped, last_active, reasons in records
    ]
