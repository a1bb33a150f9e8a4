"""Properties of the pure progress numbers, over generated histories."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.models import Status
from tracker.progress_math import (
    FINISHED,
    NextItem,
    chart,
    chart_since,
    next_up,
    streak_weeks,
    week_start,
    weekly_totals,
)

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
ZONES = st.sampled_from(
    [ZoneInfo(name) for name in ("UTC", "Pacific/Auckland", "America/Los_Angeles", "Asia/Kolkata")]
)
moments = st.integers(min_value=0, max_value=24 * 200).map(lambda h: NOW - timedelta(hours=h))
events = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=8),
        st.sampled_from(list(Status)),
        moments,
    ),
    max_size=40,
)


@given(done=st.lists(moments, max_size=30), tz=ZONES)
def test_streak_never_exceeds_the_weeks_with_something_done(done, tz):
    weeks = {week_start(moment.astimezone(tz).date()) for moment in done}
    streak = streak_weeks(done, tz=tz, now=NOW)
    assert 0 <= streak <= len(weeks)
    assert streak_weeks(list(reversed(done)), tz=tz, now=NOW) == streak


@given(done=st.lists(moments, max_size=30), tz=ZONES)
def test_doing_something_now_extends_or_starts_the_streak(done, tz):
    before = streak_weeks(done, tz=tz, now=NOW)
    after = streak_weeks([*done, NOW], tz=tz, now=NOW)
    this_week = week_start(NOW.astimezone(tz).date())
    already = any(week_start(m.astimezone(tz).date()) == this_week for m in done)
    assert after == (before if already else before + 1)


@given(history=events, tz=ZONES)
def test_the_last_week_shows_the_current_state(history, tz):
    points = weekly_totals(history, tz=tz, now=NOW)
    latest = {}
    for item_id, status, _ in sorted(history, key=lambda event: event[2]):
        latest[item_id] = status
    assert 2 <= len(points) <= 12
    assert points[-1].done == sum(1 for s in latest.values() if s == Status.DONE)
    assert points[-1].skipped == sum(1 for s in latest.values() if s == Status.SKIPPED)
    assert [p.week for p in points] == sorted(p.week for p in points)
    assert all(p.week.weekday() == 0 for p in points)


@settings(max_examples=100)
@given(history=events, tz=ZONES, max_weeks=st.integers(min_value=1, max_value=14))
def test_the_chart_from_its_window_and_the_statuses_before_it_equals_the_full_replay(
    history, tz, max_weeks
):
    since = chart_since(tz=tz, now=NOW, max_weeks=max_weeks)
    before = {}
    for item_id, status, at in sorted(history, key=lambda event: event[2]):
        if at < since:
            before[item_id] = status
    recent = [event for event in history if event[2] >= since]
    assert weekly_totals(recent, tz=tz, now=NOW, max_weeks=max_weeks, before=before) == (
        weekly_totals(history, tz=tz, now=NOW, max_weeks=max_weeks)
    )


@given(history=events, tz=ZONES)
def test_chart_points_stay_inside_the_drawing_area(history, tz):
    drawn = chart(weekly_totals(history, tz=tz, now=NOW))
    for pair in (drawn.done_points + " " + drawn.finished_points).split():
        x, y = map(float, pair.split(","))
        assert 0 <= x <= 100
        assert 0 <= y <= 100


@given(
    prerequisites=st.lists(
        st.lists(st.integers(min_value=0, max_value=9), max_size=3), min_size=10, max_size=10
    ),
    statuses=st.dictionaries(st.integers(0, 9), st.sampled_from(list(Status))),
)
def test_next_up_only_offers_unfinished_items_whose_prerequisites_are_finished(
    prerequisites, statuses
):
    # Prerequisites only point backwards, as in a roadmap.
    items = [NextItem(n, tuple(p for p in needs if p < n)) for n, needs in enumerate(prerequisites)]
    chosen = next_up(items, statuses, limit=10)
    for item in items:
        ready = statuses.get(item.id) not in FINISHED and all(
            statuses.get(p) in FINISHED for p in item.prerequisite_ids
        )
        assert (item.id in chosen) == ready
    assert chosen == sorted(chosen)
