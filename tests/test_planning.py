"""The planner on plain data: hand-checked plans, then its invariants under hypothesis."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.planning import (
    DONE,
    IN_PROGRESS,
    NOT_STARTED,
    SKIPPED,
    PlanItem,
    finish_of,
    make_plan,
    projected_finish,
    study_order,
    week_start,
    week_starts_at,
)

MONDAY = date(2026, 3, 2)


def items_of(*hours: int, **kwargs) -> list[PlanItem]:
    return [
        PlanItem(id=i + 1, title=f"Item {i + 1}", hours=h, **kwargs) for i, h in enumerate(hours)
    ]


def test_hundred_hours_at_ten_a_week_takes_ten_weeks():
    plan = make_plan(items_of(*[10] * 10), weekly_hours=10, today=MONDAY)
    assert len(plan.weeks) == 10
    assert plan.total_hours == 100
    assert [week.start for week in plan.weeks] == [MONDAY + timedelta(weeks=n) for n in range(10)]
    assert all(week.hours == 10 for week in plan.weeks)
    # The last hour falls on the tenth week's Sunday.
    assert plan.projected_finish == MONDAY + timedelta(weeks=9, days=6)


def test_finish_of_a_subset_is_when_its_last_item_is_due():
    # 6 h, then 60 h, at 10 h a week from a Monday: the first item is due on Friday (6 of the
    # week's 10 hours), the whole plan in the seventh week.
    plan = make_plan(items_of(6, 60), weekly_hours=10, today=MONDAY)
    assert finish_of(plan, {1}, today=MONDAY) == MONDAY + timedelta(days=4)
    assert finish_of(plan, {1, 2}, today=MONDAY) == plan.projected_finish
    assert plan.projected_finish == MONDAY + timedelta(weeks=6, days=4)
    assert finish_of(plan, {99}, today=MONDAY) is None  # not in the plan
    # Never before today.
    thursday = MONDAY + timedelta(days=3)
    assert finish_of(plan, {1}, today=thursday + timedelta(days=2)) == thursday + timedelta(days=2)


def test_an_item_larger_than_the_budget_is_split_and_shows_it_continues():
    plan = make_plan(items_of(3, 12, 2), weekly_hours=5, today=MONDAY)
    layout = [
        [(e.item_id, e.hours, e.continues_from_previous, e.continues_next) for e in w.entries]
        for w in plan.weeks
    ]
    assert layout == [
        [(1, 3, False, False), (2, 2, False, True)],
        [(2, 5, True, True)],
        [(2, 5, True, False)],
        [(3, 2, False, False)],
    ]
    # 2 h into a 5 h week: the finish is on the fourth week's third day (ceil(7 * 2 / 5) = 3).
    assert plan.projected_finish == MONDAY + timedelta(weeks=3, days=2)


def test_done_and_skipped_items_are_left_out_and_in_progress_counts_half_done():
    items = [
        PlanItem(id=1, title="Done", hours=10, status=DONE),
        PlanItem(id=2, title="Skipped", hours=10, status=SKIPPED),
        PlanItem(id=3, title="Half", hours=8, status=IN_PROGRESS),
        PlanItem(id=4, title="Odd half", hours=5, status=IN_PROGRESS),
        PlanItem(id=5, title="One hour", hours=1, status=IN_PROGRESS),
    ]
    plan = make_plan(items, weekly_hours=20, today=MONDAY)
    assert [(e.item_id, e.hours) for e in plan.weeks[0].entries] == [(3, 4), (4, 3), (5, 1)]


def test_hours_already_planned_in_a_fixed_week_come_off():
    items = [
        PlanItem(id=1, title="A", hours=6, already_planned=4),
        PlanItem(id=2, title="B", hours=3, already_planned=3),
    ]
    plan = make_plan(items, weekly_hours=10, today=MONDAY)
    assert [(e.item_id, e.hours) for e in plan.weeks[0].entries] == [(1, 2)]


def test_a_dependant_waits_for_a_prerequisite_listed_after_it():
    items = [
        PlanItem(id=1, title="Transformers", hours=4, prerequisites=(3,)),
        PlanItem(id=2, title="Python", hours=4),
        PlanItem(id=3, title="Linear algebra", hours=4, prerequisites=(99,)),
    ]
    # 99 is not remaining, so it counts as finished.
    assert [item.id for item in study_order(items)] == [2, 3, 1]
    plan = make_plan(items, weekly_hours=6, today=MONDAY)
    assert plan.order == (2, 3, 1)


def test_a_prerequisite_cycle_keeps_every_item_in_roadmap_order():
    items = [
        PlanItem(id=1, title="A", hours=1, prerequisites=(2,)),
        PlanItem(id=2, title="B", hours=1, prerequisites=(1,)),
        PlanItem(id=3, title="C", hours=1),
    ]
    assert sorted(item.id for item in study_order(items)) == [1, 2, 3]


def test_the_current_week_gets_the_full_budget_even_on_a_sunday():
    sunday = MONDAY + timedelta(days=6)
    plan = make_plan(items_of(5, 5), weekly_hours=5, today=sunday)
    assert plan.weeks[0].start == MONDAY
    assert plan.weeks[0].hours == 5
    # Never projected to finish before today.
    assert make_plan(items_of(1), weekly_hours=10, today=sunday).projected_finish == sunday


def test_nothing_left_gives_an_empty_plan():
    plan = make_plan(items_of(4, status=DONE), weekly_hours=5, today=MONDAY, target_date=MONDAY)
    assert plan.is_empty
    assert plan.projected_finish is None
    assert plan.target.met


def test_a_target_that_cannot_be_met_says_which_weekly_hours_would_meet_it():
    # 100 h at 5 h/week takes 20 weeks; the target allows 10 weeks.
    target = MONDAY + timedelta(weeks=9, days=6)
    plan = make_plan(items_of(*[10] * 10), weekly_hours=5, today=MONDAY, target_date=target)
    assert not plan.target.met
    assert plan.target.hours_needed == 10
    assert make_plan(
        items_of(*[10] * 10), weekly_hours=10, today=MONDAY, target_date=target
    ).target.met


def test_a_target_met_with_room_reports_the_spare_days():
    target = MONDAY + timedelta(weeks=12)
    plan = make_plan(items_of(*[10] * 10), weekly_hours=10, today=MONDAY, target_date=target)
    assert plan.target.met
    assert plan.target.spare_days == (target - plan.projected_finish).days == 15


def test_a_past_target_cannot_be_met_at_any_weekly_hours():
    plan = make_plan(
        items_of(10), weekly_hours=5, today=MONDAY, target_date=MONDAY - timedelta(days=1)
    )
    assert not plan.target.met
    assert plan.target.hours_needed is None


def test_a_target_later_this_week_may_need_more_than_the_total():
    # 10 h by Wednesday (today Monday): 3 days of 7 means at least 10 * 7 / 3 h a week.
    plan = make_plan(
        items_of(10), weekly_hours=5, today=MONDAY, target_date=MONDAY + timedelta(days=2)
    )
    assert plan.target.hours_needed == 24


def test_weeks_start_on_monday_midnight_in_the_learners_zone():
    # 11:30 UTC on Sunday is already Monday 00:30 in Auckland (UTC+13 in March).
    moment = datetime(2026, 3, 1, 11, 30, tzinfo=UTC)
    assert week_start(moment, "Pacific/Auckland") == MONDAY
    assert week_start(moment, "America/Los_Angeles") == MONDAY - timedelta(weeks=1)
    assert week_starts_at(MONDAY, "Pacific/Auckland") == datetime(2026, 3, 1, 11, 0, tzinfo=UTC)


def test_week_start_follows_daylight_saving():
    # Los Angeles moves to UTC-7 on Sunday 8 March 2026: consecutive Mondays start 23 h apart
    # in UTC terms on one side of the change and 24 h on the other.
    before = week_starts_at(date(2026, 3, 2), "America/Los_Angeles")
    after = week_starts_at(date(2026, 3, 9), "America/Los_Angeles")
    assert before == datetime(2026, 3, 2, 8, tzinfo=UTC)
    assert after == datetime(2026, 3, 9, 7, tzinfo=UTC)
    assert after - before == timedelta(days=7)  # aware arithmetic in one zone is wall time
    assert after.astimezone(UTC) - before.astimezone(UTC) == timedelta(days=6, hours=23)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        make_plan([], weekly_hours=5, today=datetime(2026, 3, 2, 9))


# ---- invariants ---------------------------------------------------------------------------

STATUSES = st.sampled_from([NOT_STARTED, NOT_STARTED, NOT_STARTED, IN_PROGRESS, DONE, SKIPPED])


@st.composite
def roadmaps(draw):
    """Items in roadmap order with prerequisites drawn from a random DAG.

    The DAG follows a random permutation, so prerequisites may come later in roadmap order;
    some prerequisite ids point outside the list (finished elsewhere).
    """
    count = draw(st.integers(min_value=0, max_value=25))
    topo = draw(st.permutations(list(range(1, count + 1))))
    in_roadmap_order = draw(st.booleans())
    if in_roadmap_order:
        topo = list(range(1, count + 1))
    items = []
    for rank, item_id in enumerate(topo):
        earlier = topo[:rank]
        prerequisites = (
            draw(st.lists(st.sampled_from(earlier), max_size=3, unique=True)) if earlier else []
        )
        if draw(st.booleans()):
            prerequisites.append(1000 + item_id)  # outside the remaining set
        hours = draw(st.integers(min_value=1, max_value=40))
        items.append(
            PlanItem(
                id=item_id,
                title=f"Item {item_id}",
                hours=hours,
                prerequisites=tuple(prerequisites),
                status=draw(STATUSES),
                already_planned=draw(st.sampled_from([0, 0, 0, draw(st.integers(0, hours))])),
            )
        )
    items.sort(key=lambda item: item.id)  # roadmap order
    return items


@settings(max_examples=100, deadline=None)
@given(
    items=roadmaps(),
    weekly_hours=st.integers(min_value=1, max_value=60),
    today=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    target_offset=st.one_of(st.none(), st.integers(min_value=-10, max_value=400)),
)
def test_plan_invariants(items, weekly_hours, today, target_offset):
    target = today + timedelta(days=target_offset) if target_offset is not None else None
    plan = make_plan(items, weekly_hours=weekly_hours, today=today, target_date=target)
    by_id = {item.id: item for item in items}
    remaining = {item.id for item in items if item.remaining_hours > 0}

    # Weeks are consecutive Mondays from this week; none over budget, all but the last full.
    for index, week in enumerate(plan.weeks):
        assert week.start == week_start(today) + timedelta(weeks=index)
        assert week.start.weekday() == 0
        assert 0 < week.hours <= weekly_hours
        if index < len(plan.weeks) - 1:
            assert week.hours == weekly_hours

    # Every remaining item exactly once, split only over consecutive weeks; nothing else.
    sequence = [(w, e) for w, week in enumerate(plan.weeks) for e in week.entries]
    planned_ids = {e.item_id for _, e in sequence}
    assert planned_ids == remaining
    assert not any(by_id[i].status in (DONE, SKIPPED) for i in planned_ids)
    first, last = {}, {}
    for position, (_, entry) in enumerate(sequence):
        first.setdefault(entry.item_id, position)
        last[entry.item_id] = position
    for item_id in remaining:
        chunks = [(w, e) for w, e in sequence if e.item_id == item_id]
        assert sum(e.hours for _, e in chunks) == by_id[item_id].remaining_hours
        assert [w for w, _ in chunks] == list(range(chunks[0][0], chunks[0][0] + len(chunks)))
        assert last[item_id] - first[item_id] == len(chunks) - 1  # contiguous in sequence
        carried_on = by_id[item_id].already_planned > 0
        assert [e.continues_from_previous for _, e in chunks] == [carried_on] + [True] * (
            len(chunks) - 1
        )
        assert [e.continues_next for _, e in chunks] == [True] * (len(chunks) - 1) + [False]

    # Never before an unfinished prerequisite.
    for item_id in remaining:
        for prerequisite in by_id[item_id].prerequisites:
            if prerequisite in remaining:
                assert last[prerequisite] < first[item_id]

    assert plan.total_hours == sum(week.hours for week in plan.weeks)
    assert plan.projected_finish == projected_finish(items, weekly_hours=weekly_hours, today=today)
    if plan.weeks:
        assert plan.weeks[-1].start <= plan.projected_finish <= plan.weeks[-1].end
        assert plan.projected_finish >= today
        # Finishing every planned item is finishing the plan; a subset never finishes later.
        assert finish_of(plan, planned_ids, today=today) == plan.projected_finish
        some = set(sorted(planned_ids)[::2])
        assert finish_of(plan, some, today=today) <= plan.projected_finish
    else:
        assert plan.projected_finish is None

    if target is not None:
        if plan.target.met:
            assert plan.projected_finish is None or plan.projected_finish <= target
        elif plan.target.hours_needed is not None:
            needed = plan.target.hours_needed
            assert needed > weekly_hours
            assert make_plan(items, weekly_hours=needed, today=today).projected_finish <= target
            slower = make_plan(items, weekly_hours=needed - 1, today=today)
            assert slower.projected_finish > target
        else:
            assert target < today
