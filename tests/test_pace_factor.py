"""The pace factor: inferred study hours, the bounded median, and how it scales a plan."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tracker import pace
from tracker.pace import Interval

MONDAY = datetime(2026, 1, 5, 9, tzinfo=UTC)


def interval(item_id, start_day, end_day, estimate=10):
    return Interval(
        item_id, MONDAY + timedelta(days=start_day), MONDAY + timedelta(days=end_day), estimate
    )


def test_one_item_alone_gets_the_weekly_rate_for_its_duration():
    # Seven days at 10 h a week is 10 h of study.
    hours = pace.study_hours([interval(1, 0, 7)], weekly_hours=10)
    assert hours == {1: 10.0}


def test_overlapping_items_share_the_time_between_them():
    # Days 0-7 and 0-14: the first week is shared (5 h each), the second is item 2's alone.
    hours = pace.study_hours([interval(1, 0, 7), interval(2, 0, 14)], weekly_hours=10)
    assert hours == {1: 5.0, 2: 15.0}


def test_an_item_finished_the_moment_it_started_takes_no_time():
    assert pace.study_hours([interval(1, 3, 3)], weekly_hours=10) == {}


def test_no_factor_until_three_items_are_finished():
    assert pace.pace_factor([(10, 13), (10, 13)]) is None
    assert pace.pace_factor([(10, 13), (10, 13), (10, 13)]) == 1.3


def test_the_factor_is_the_median_so_one_holiday_does_not_move_it():
    # A month away mid-item turns 10 h into 200 h; the median ignores it.
    assert pace.pace_factor([(10, 12), (10, 14), (10, 200)]) == 1.4


def test_the_factor_is_bounded():
    assert pace.pace_factor([(10, 100)] * 3) == pace.HIGHEST
    assert pace.pace_factor([(10, 0.1)] * 3) == pace.LOWEST


def test_items_estimated_at_zero_hours_are_left_out():
    assert pace.pace_factor([(0, 5), (10, 10), (10, 10)]) is None


def test_learner_pace_factor_from_start_and_finish_times():
    # Three items one after another, each a fortnight at 10 h a week = 20 h against 10 h.
    items = [interval(1, 0, 14), interval(2, 14, 28), interval(3, 28, 42)]
    assert pace.learner_pace_factor(items, weekly_hours=10) == 2.0


def test_scaled_hours_rounds_and_never_drops_below_one_hour():
    assert pace.scaled_hours(10, 1.26) == 13
    assert pace.scaled_hours(1, 0.5) == 1
    assert pace.scaled_hours(10, None) == 10


def test_the_explanation_says_where_the_number_comes_from():
    assert "1.3× the estimates" in pace.describe(1.3)
    assert "between starting and finishing" in pace.describe(1.3)
    assert "After 3 items" in pace.describe(None)


samples = st.lists(
    st.tuples(st.integers(1, 40), st.floats(0, 400, allow_nan=False)), min_size=0, max_size=12
)


@given(samples)
def test_the_factor_is_always_within_bounds_or_absent(pairs):
    factor = pace.pace_factor(pairs)
    if len(pairs) < pace.MIN_FINISHED:
        assert factor is None
    else:
        assert pace.LOWEST <= factor <= pace.HIGHEST


@given(samples, st.integers(0, 11), st.floats(0, 200, allow_nan=False))
def test_taking_longer_on_an_item_never_lowers_the_factor(pairs, index, extra):
    if len(pairs) < pace.MIN_FINISHED:
        return
    index %= len(pairs)
    slower = list(pairs)
    estimated, actual = slower[index]
    slower[index] = (estimated, actual + extra)
    assert pace.pace_factor(slower) >= pace.pace_factor(pairs)


@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 30)), min_size=1, max_size=8),
    st.integers(0, 40),
)
def test_inferred_hours_never_exceed_the_time_available(spans, weekly_hours):
    intervals = [interval(n, start, start + length) for n, (start, length) in enumerate(spans)]
    hours = pace.study_hours(intervals, weekly_hours)
    first = min(i.started for i in intervals)
    last = max(i.finished for i in intervals)
    available = (last - first).total_seconds() / pace.SECONDS_PER_WEEK * weekly_hours
    assert sum(hours.values()) <= available + 1e-6
    assert all(h >= 0 for h in hours.values())
