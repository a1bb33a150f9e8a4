"""A learner's history at scale: the dashboard reads only what it shows, through indexes."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.factories import ItemFactory, RoadmapFactory, SectionFactory
from tracker.models import Item, Progress, ProgressEvent, Status, User
from tracker.progress_math import streak_weeks, weekly_totals
from tracker.selectors.exports import export
from tracker.selectors.progress import load_dashboard, roadmap_progress

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
ZONES = ["UTC", "Pacific/Auckland", "America/Los_Angeles", "Asia/Kolkata"]
HISTORY_TABLES = {"tracker_progressevent", "tracker_progress"}


@pytest.fixture
def roadmap(db):
    """Four active items, one archived: its events count for the streak, not the chart."""
    roadmap = RoadmapFactory(slug="llm")
    section = SectionFactory(roadmap=roadmap)
    for n in range(5):
        ItemFactory(section=section, order=n, archived_at=NOW if n == 4 else None)
    return roadmap


histories = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=4),
        st.sampled_from(list(Status)),
        # Hours back, up to 20 weeks: well before the chart's twelve weeks.
        st.integers(min_value=0, max_value=24 * 7 * 20),
    ),
    max_size=40,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=histories, zone=st.sampled_from(ZONES))
# Done on Sunday and Monday morning in Auckland: two weeks there, one in UTC.
@example(history=[(0, Status.DONE, 64), (1, Status.DONE, 88)], zone="Pacific/Auckland")
def test_the_dashboard_shows_the_same_streak_and_chart_as_the_whole_history_would(
    learner, roadmap, history, zone
):
    items = list(Item.objects.filter(roadmap=roadmap).order_by("order"))
    learner.time_zone = zone
    ProgressEvent.objects.filter(learner=learner).delete()
    ProgressEvent.objects.bulk_create(
        ProgressEvent(
            learner=learner,
            item=items[index],
            status=status,
            previous_status=Status.NOT_STARTED,
            at=NOW - timedelta(hours=hours),
        )
        for index, status, hours in history
    )
    everything = list(
        ProgressEvent.objects.filter(learner=learner)
        .order_by("at", "id")
        .values_list("item_id", "status", "at")
    )
    active = {item.id for item in items if item.archived_at is None}
    tz = ZoneInfo(zone)

    dashboard = load_dashboard(learner, [roadmap], now=NOW)

    done_at = [at for _, status, at in everything if status == Status.DONE]
    assert dashboard.streak == streak_weeks(done_at, tz=tz, now=NOW)
    shown = [event for event in everything if event[0] in active]
    assert dashboard.weeks == weekly_totals(shown, tz=tz, now=NOW)


def test_the_dashboard_runs_five_queries_however_long_the_history(
    learner, roadmap, django_assert_num_queries
):
    item = roadmap.items.first()
    ProgressEvent.objects.bulk_create(
        ProgressEvent(
            learner=learner,
            item=item,
            status=Status.DONE,
            previous_status=Status.IN_PROGRESS,
            at=NOW - timedelta(days=n),
        )
        for n in range(500)
    )
    # items with sections and roadmaps, progress rows, the weeks with something done, the
    # chart's events (its weeks and each item's status before them), the latest events with
    # their items (next-up comes from the plan: where_am_i)
    with django_assert_num_queries(5):
        dashboard = load_dashboard(learner, [roadmap], now=NOW)
    assert dashboard.streak == 72  # one done event a day for 500 days: every week
    assert len(dashboard.recent) == 8


# --- Plans on PostgreSQL with a crowded table ---------------------------------------------


@pytest.fixture
def crowded(learner, roadmap):
    """60,000 events and 1,500 progress rows of 300 other learners, plus Alice's own history,
    analysed so that the planner sees the real proportions."""
    others = User.objects.bulk_create(
        User(email=f"other{n}@example.com", password="!") for n in range(300)
    )
    item_ids = list(roadmap.items.values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tracker_progressevent (learner_id, item_id, status, previous_status, at)
            SELECT learners[1 + n %% cardinality(learners)],
                   items[1 + (n / 7) %% cardinality(items)],
                   (ARRAY['in_progress', 'done', 'skipped'])[1 + n %% 3], 'not_started',
                   %s - n * interval '7 minutes'
            FROM generate_series(0, 59999) AS n,
                 (SELECT %s::bigint[] AS learners, %s::bigint[] AS items) AS ids
            """,
            [NOW, [user.id for user in others], item_ids],
        )
    Progress.objects.bulk_create(
        Progress(learner=user, item_id=item_id, status=Status.DONE)
        for user in others
        for item_id in item_ids
    )
    ProgressEvent.objects.bulk_create(
        ProgressEvent(
            learner=learner,
            item_id=item_ids[n % len(item_ids)],
            status=Status.DONE,
            previous_status=Status.IN_PROGRESS,
            at=NOW - timedelta(days=n),
        )
        for n in range(150)
    )
    Progress.objects.bulk_create(
        Progress(learner=learner, item_id=item_id, status=Status.DONE) for item_id in item_ids
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tracker_progressevent")
        cursor.execute("ANALYZE tracker_progress")
        cursor.execute("ANALYZE tracker_user")
    return roadmap


def _plan_nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def _plan(sql: str) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        (plan,) = cursor.fetchone()
    return list(_plan_nodes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]))


def _history_scans(sql: str) -> list[tuple[str, str]]:
    """(node type, table) of each read of a history table in the statement's plan."""
    return [
        (node["Node Type"], node["Relation Name"])
        for node in _plan(sql)
        if node.get("Relation Name") in HISTORY_TABLES
    ]


def _assert_history_read_by_index(captured) -> int:
    checked = 0
    for query in captured:
        scans = _history_scans(query["sql"])
        if not scans:
            continue  # content only (items, prerequisites): not the learner's history
        checked += 1
        for node_type, table in scans:
            assert node_type in {"Index Scan", "Index Only Scan", "Bitmap Heap Scan"}, (
                f"{node_type} on {table} for: {query['sql']}"
            )
    return checked


@pytest.mark.needs_postgres
def test_the_dashboards_history_queries_use_the_learners_indexes(learner, crowded):
    with CaptureQueriesContext(connection) as captured:
        load_dashboard(learner, [crowded], now=NOW)
    # progress rows, done weeks, chart events, latest events
    assert _assert_history_read_by_index(captured) == 4
    # The streak's weeks, the chart's events and the latest events: the learner's own index
    events = [query["sql"] for query in captured if 'FROM "tracker_progressevent"' in query["sql"]]
    assert len(events) == 3
    for sql in events:
        assert "progress_event_learner_at" in {node.get("Index Name") for node in _plan(sql)}


@pytest.mark.needs_postgres
def test_the_export_and_the_roadmap_bars_read_the_learners_rows_by_index(learner, crowded):
    with CaptureQueriesContext(connection) as captured:
        export(learner)
        roadmap_progress(learner, crowded)
    # export: progress rows, events (its followed roadmaps come from the follows table); the
    # bars: the learner's statuses
    assert _assert_history_read_by_index(captured) == 3


@pytest.mark.django_db
def test_every_index_on_the_tables_a_click_writes_is_one_no_other_already_covers():
    # A click writes a row into each index of these tables (a status change is never a HOT
    # update: the status is indexed), so an index whose columns begin another's costs every
    # click and serves no read the longer one doesn't.
    click_tables = ["tracker_progress", "tracker_progressevent"]
    click_tables += ["tracker_reviewcard", "tracker_reviewlog"]  # a concept done or undone
    for table in click_tables:
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, table)
        indexes = {
            name: tuple(spec["columns"])
            for name, spec in found.items()
            if spec["index"] and not spec["primary_key"]
        }
        assert indexes, table
        for name, columns in indexes.items():
            if found[name]["unique"]:
                continue  # a constraint, not only a way in
            for other, longer in indexes.items():
                assert other == name or longer[: len(columns)] != columns, (
                    f"{table}: {name} {columns} is covered by {other} {longer}"
                )
