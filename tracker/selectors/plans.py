"""Reads of weekly study plans: the plan page, plan status, the digest and the calendar's weeks.

How the weeks fit together:

- The current week comes from its snapshot (`WeekPlan`), saved when the week begins (by the
  hourly rollover, or by the first visit to /plan/ if that comes first: both call
  `tracker.services.plans.ensure_week_snapshot`; these reads never write). Status changes never
  reshuffle it; "re-plan this week" replaces it.
- Future weeks are recomputed on every view from current progress, the weekly hours and the
  target date, starting next Monday. Hours of an item already in this week's snapshot come
  off it, so a split item continues where this week leaves it; items of past weeks that were
  not done come back in roadmap order.
- Past weeks are their snapshots, with each entry marked done or not (see `_entry_done`).

Where a learner stands (`where_am_i` -> `Position`; its states are `planning.PlanState`, first
rule that applies: no plan, finished, no target, target unreachable, behind, on track) is
worked out once, by `_position`, for one learner (`plan_view`) or many (`plan_statuses`).
"Behind", precisely: with `planned` the hours of all past weeks' snapshots (weeks before the
learner's current local week; in the roadmap's estimates when the plan was scaled to the
learner's pace, see `_entries_json`), minus entries for items since skipped, and `done` the
estimated hours of the items completed since the first of those weeks began (work ahead of
plan counts, including this week's), a learner is behind when `planned - done > weekly_hours`,
i.e. more than one week's budget short (with no snapshot of a past week, nothing is short). It
applies only with a target in reach.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone

from tracker import cohort_pace, pace, planning, reviews
from tracker.ical import CalendarRow, CalendarWeek
from tracker.models import (
    Item,
    Membership,
    Progress,
    ReviewCard,
    Roadmap,
    RoadmapFollow,
    Status,
    User,
    WeekPlan,
)
from tracker.planning import PlanState
from tracker.selectors import pace as pace_reads
from tracker.selectors.roadmaps import followed_roadmaps

# ---- where am I -------------------------------------------------------------------------------

# How many items "next up" lists, on the dashboard and when pulling in more work.
NEXT_UP = 5


@dataclass(frozen=True)
class Position:
    """Where a learner stands: the one result the dashboard, /plan/, mentors and the digest show."""

    state: PlanState
    weekly_hours: int
    pace: int = 0  # whole hours a week done over the last planning.PACE_WEEKS weeks
    projected_finish: date | None = None
    target: planning.TargetStatus | None = None
    target_passed: bool = False
    remaining_hours: int = 0
    next_up_ids: tuple[int, ...] = ()
    this_week: tuple[dict, ...] = ()  # the week's snapshot entries, or as it would be saved
    planned_hours: int = 0
    done_hours: int = 0
    past_weeks: int = 0
    # The target's source: "" for the learner's own, else the cohort whose finish date it is.
    target_cohort: str = ""
    own_target: date | None = None  # the learner's own target, whichever the status measures
    target_finish: date | None = None  # when the target's items finish (a cohort's: its own)
    # The cohorts' milestone items due by the end of this week and not finished, earliest first.
    milestones_due: tuple[cohort_pace.DueItem, ...] = ()
    # The learner's measured pace (tracker/pace.py; None before pace.MIN_FINISHED items) and
    # whether the plan's hours above are scaled by it.
    pace_factor: float | None = None
    pace_scaled: bool = False

    @property
    def pace_explanation(self) -> str:
        return pace.describe(self.pace_factor, applied=self.pace_scaled)

    @property
    def pace_note(self) -> str:
        return pace.short_note(self.pace_factor if self.pace_scaled else None)

    # Spaced review: this week's budget (cards due by Sunday, overdue ones included) and the
    # cards due by the end of today. No cards with spaced review off.
    reviews_this_week: reviews.ReviewBudget | None = None
    reviews_due_today: int = 0

    @property
    def behind_by(self) -> int:
        return max(0, self.planned_hours - self.done_hours)

    @property
    def is_behind(self) -> bool:
        return self.state == PlanState.BEHIND

    @property
    def behind_weekly_plan(self) -> bool:
        """More than a week's budget short of the hours planned for past weeks, target or not:
        a mentor's at-risk reason (the state says "behind" only against a target)."""
        return self.planned_hours - self.done_hours > self.weekly_hours

    @property
    def is_on_track(self) -> bool:
        return self.state == PlanState.ON_TRACK

    @property
    def has_plan(self) -> bool:
        return self.state != PlanState.NO_PLAN

    @property
    def label(self) -> str:
        return self.state.label


# The name the mentor pages and older callers use.
PlanStatus = Position


@dataclass(frozen=True)
class _Finished:
    item_id: int
    status: str
    completed_at: datetime | None
    hours: int


def _behind_figures(
    learner: User, snapshots: list[tuple[date, list]], finished: list[_Finished], now: datetime
) -> tuple[int, int, int]:
    """Hours planned for past weeks, hours done since the first of them, and how many weeks."""
    current = planning.week_start(now, learner.time_zone)
    past = sorted((start, entries) for start, entries in snapshots if start < current)
    if not past:
        return 0, 0, 0
    skipped = {row.item_id for row in finished if row.status == Status.SKIPPED}
    planned = sum(
        _estimated(entry)
        for _, entries in past
        for entry in entries
        if entry["item"] not in skipped
    )
    since = planning.week_starts_at(past[0][0], learner.time_zone)
    done = sum(
        row.hours
        for row in finished
        if row.status == Status.DONE and row.completed_at and row.completed_at >= since
    )
    return planned, done, len(past)


def _estimated(entry: dict) -> int:
    """An entry's hours in the roadmap's estimates, which is how work done is counted: a plan
    scaled to the learner's pace stores them beside its hours (SQL reads the same key)."""
    return entry.get("estimate", entry["hours"])


def _position(
    learner: User,
    inputs: PlanInputs,
    snapshots: list[tuple[date, list]],
    finished: list[_Finished],
    now: datetime,
) -> tuple[Position, planning.Plan]:
    """The learner's Position, and the weeks after this one it was worked out from."""
    tz = learner.time_zone
    today = planning.local_date(now, tz)
    start = planning.week_start(now, tz)
    current = next((entries for monday, entries in snapshots if monday == start), None)
    review_weeks = _review_weeks(learner, inputs, now)
    upcoming = _upcoming(learner, inputs, current, now, start)
    items = plan_items(inputs, {})
    finished_ids = {i.id for i in items if i.status in planning.FINISHED}
    this_week = (
        current
        if current is not None
        else _entries_json(_week_of(upcoming, start), inputs.hours_factor)
    )
    this_week_open = [e["item"] for e in current or () if not _is_finished(inputs, e["item"])]
    week_end = start + timedelta(days=6)
    finish = _finish(upcoming, week_end, bool(this_week_open), today)
    planned, done, past_weeks = _behind_figures(learner, snapshots, finished, now)
    deadline, deadline_finish = _binding_deadline(
        learner, inputs, upcoming, this_week_open, finish, week_end, today
    )
    target = _target(learner, inputs, deadline, deadline_finish, now, today)
    open_ids = {item.pk for item in inputs.items if not _is_finished(inputs, item.pk)}
    titles = {item.pk: item.title for item in inputs.items}
    due = [
        replace(d, title=titles[d.item_id]) for d in _milestones(inputs).due_by(week_end, open_ids)
    ]
    state = planning.plan_state(
        has_items=bool(items),
        open_items=len(items) - len(finished_ids),
        target_date=deadline.day if deadline else None,
        projected_finish=deadline_finish,
        today=today,
        shortfall=planned - done,
        weekly_hours=learner.weekly_hours,
    )
    recent_pace = planning.recent_pace(
        [(r.completed_at, r.hours) for r in finished if r.status == Status.DONE and r.completed_at],
        now=now,
    )
    position = Position(
        state=state,
        weekly_hours=learner.weekly_hours,
        pace=recent_pace,
        projected_finish=finish,
        target=target,
        target_passed=bool(deadline and deadline.day < today),
        remaining_hours=sum(item.remaining_hours for item in items),
        # The cohorts' items due this week come first, wherever the week's snapshot has them.
        next_up_ids=planning.next_up_order(
            [*(d.item_id for d in due), *this_week_open], upcoming.order, limit=NEXT_UP
        ),
        this_week=tuple(this_week),
        planned_hours=planned,
        done_hours=done,
        past_weeks=past_weeks,
        target_cohort=deadline.cohort if deadline else "",
        own_target=learner.target_date,
        target_finish=deadline_finish,
        milestones_due=tuple(due),
        pace_factor=inputs.pace_factor,
        pace_scaled=inputs.hours_factor is not None,
        reviews_this_week=review_weeks.get(start)
        or reviews.weekly_review_budget(learner.weekly_hours, []),
        reviews_due_today=_due_today(learner, inputs, now),
    )
    return position, upcoming


def _review_weeks(learner: User, inputs: PlanInputs, now: datetime) -> dict:
    """Each week's spaced-review budget by Monday (`reviews.review_weeks`)."""
    return reviews.review_weeks(
        inputs.review_due,
        weekly_hours=learner.weekly_hours,
        time_zone=learner.time_zone,
        now=now,
    )


def _review_hours(learner: User, inputs: PlanInputs, now: datetime) -> dict[date, int]:
    """The hours each week reserves for spaced review, for `planning.make_plan`."""
    weeks = _review_weeks(learner, inputs, now)
    return {monday: budget.reserved_hours for monday, budget in weeks.items()}


def _due_today(learner: User, inputs: PlanInputs, now: datetime) -> int:
    end = reviews.end_of_today(now, learner.time_zone)
    return sum(1 for due, _hours in inputs.review_due if due <= end)


def _is_finished(inputs: PlanInputs, item_id: int) -> bool:
    row = inputs.progress.get(item_id)
    return bool(row and row.status in planning.FINISHED)


def _week_of(plan: planning.Plan, monday: date) -> planning.Week | None:
    return plan.weeks[0] if plan.weeks and plan.weeks[0].start == monday else None


def _finished_rows(learners: Q) -> dict[int, list[_Finished]]:
    rows = defaultdict(list)
    for learner_id, item_id, status, completed_at, hours, topic in (
        Progress.objects.filter(learners)
        .finished()
        .values_list(
            "learner_id", "item_id", "status", "completed_at", "item__effort_hours", "item__topic"
        )
    ):
        rows[learner_id].append((_Finished(item_id, status, completed_at, hours), topic))
    return {learner_id: _topics_once(group) for learner_id, group in rows.items()}


def _topics_once(rows: list[tuple[_Finished, str]]) -> list[_Finished]:
    """A shared topic's hours count once, at its largest estimate, as the plan schedules it;
    its other rows stay (with no hours) so that a skip still names every twin."""
    result = [row for row, topic in rows if not topic]
    twins: dict[str, list[_Finished]] = defaultdict(list)
    for row, topic in rows:
        if topic:
            twins[topic].append(row)
    for group in twins.values():
        largest = max(group, key=lambda row: row.hours)
        result += [row if row is largest else replace(row, hours=0) for row in group]
    return result


def plan_statuses(learners: Iterable[User], *, now: datetime | None = None) -> dict[int, Position]:
    """Each learner's Position by user id, for mentors' tables, in a fixed number of queries.

    Queries: `load_plan_inputs_for` (6), the learners' snapshots, their done and skipped
    progress joined to item hours. The learners need `weekly_hours`, `time_zone`,
    `target_date` and `use_pace_factor` loaded.
    """
    now = now or timezone.now()
    learners = list(learners)
    if not learners:
        return {}
    ids = [learner.pk for learner in learners]
    inputs = load_plan_inputs_for(learners)
    snapshots = defaultdict(list)
    for learner_id, start, entries in WeekPlan.objects.filter(learner_id__in=ids).values_list(
        "learner_id", "week_start", "entries"
    ):
        snapshots[learner_id].append((start, entries))
    finished = _finished_rows(Q(learner_id__in=ids))
    return {
        learner.pk: _position(
            learner, inputs[learner.pk], snapshots[learner.pk], finished.get(learner.pk, []), now
        )[0]
        for learner in learners
    }


def plan_states(learners: Iterable[User], *, now: datetime) -> dict[int, PlanState]:
    """Each learner's `Position.state` by user id, as `plan_statuses` works it out, for tables
    that show nothing else (the cohort dashboard and its CSV). The same queries, but only a
    learner with a deadline needs the planner and snapshots (for "behind"): without one the
    state follows from their progress alone. A learner measured against only their own target
    needs just the projected finish (`_state_with_target`); one whose cohort sets a finish for
    some of their items (cohort_pace), or whose weeks reserve review time (spaced review),
    needs the weeks laid out, as `_position` does.
    """
    learners = list(learners)
    if not learners:
        return {}
    inputs = load_plan_inputs_for(learners)
    states, needs_weeks = {}, set()
    for learner in learners:
        learner_inputs = inputs[learner.pk]
        if not learner_inputs.items:
            states[learner.pk] = PlanState.NO_PLAN
            continue
        if not _open_items(learner_inputs):
            states[learner.pk] = PlanState.FINISHED
            continue
        today = planning.local_date(now, learner.time_zone)
        found = cohort_pace.deadlines(
            learner.target_date, learner_inputs.schedules, _roadmap_item_ids(learner_inputs), today
        )
        if not found:
            states[learner.pk] = PlanState.NO_TARGET
        elif learner_inputs.review_due or any(d.item_ids is not None for d in found):
            # Review time and a cohort's own finish both need the weeks laid out.
            needs_weeks.add(learner.pk)
    planned = [learner for learner in learners if learner.pk not in states]
    # Both queries run even for no one (an empty IN would skip the query), so that the page's
    # query count stays the same.
    with_deadline = Q(learner_id__in=[learner.pk for learner in planned] or [0])
    snapshots = defaultdict(list)
    for learner_id, start, entries in WeekPlan.objects.filter(with_deadline).values_list(
        "learner_id", "week_start", "entries"
    ):
        snapshots[learner_id].append((start, entries))
    finished = _finished_rows(with_deadline)
    for learner in planned:
        args = (learner, inputs[learner.pk], snapshots[learner.pk], finished.get(learner.pk, []))
        if learner.pk in needs_weeks:
            states[learner.pk] = _position(*args, now)[0].state
        else:
            states[learner.pk] = _state_with_target(*args, now)
    return states


def _state_with_target(
    learner: User,
    inputs: PlanInputs,
    snapshots: list[tuple[date, list]],
    finished: list[_Finished],
    now: datetime,
) -> PlanState:
    """`_position(...).state` for a learner with a target and open items, from the projected
    finish and the hours behind only (no weeks laid out, no hours needed worked out)."""
    tz = learner.time_zone
    today = planning.local_date(now, tz)
    start = planning.week_start(now, tz)
    current = next((entries for monday, entries in snapshots if monday == start), None)
    already = _already_planned(current)
    finish = planning.projected_finish(
        plan_items(inputs, already),
        weekly_hours=learner.weekly_hours,
        time_zone=tz,
        today=_upcoming_from(current, now, start),
    )
    if finish is None and any(not _is_finished(inputs, e["item"]) for e in current or ()):
        finish = max(start + timedelta(days=6), today)  # as `_finish`
    planned, done, _ = _behind_figures(learner, snapshots, finished, now)
    return planning.plan_state(
        has_items=True,
        open_items=_open_items(inputs),
        target_date=learner.target_date,
        projected_finish=finish,
        today=today,
        shortfall=planned - done,
        weekly_hours=learner.weekly_hours,
    )


def _open_items(inputs: PlanInputs) -> int:
    """How many of `plan_items(inputs, {})` are neither done nor skipped, without building
    them: a shared topic counts once, with the status of its first item (`one_per_topic`)."""
    topics, count = set(), 0
    for item in inputs.items:
        if item.topic:
            if item.topic in topics:
                continue
            topics.add(item.topic)
        count += not _is_finished(inputs, item.pk)
    return count


def plan_status(learner: User, *, now: datetime | None = None) -> Position:
    return where_am_i(learner, now=now or timezone.now())


def where_am_i(learner: User, *, now: datetime) -> Position:
    """The learner's Position, with `plan_view`'s queries (it never writes)."""
    return plan_view(learner=learner, now=now).position


# ---- planning from the database ---------------------------------------------------------------


@dataclass
class PlanInputs:
    roadmaps: list
    items: list[Item]  # active items of followed roadmaps, in study-list order
    prerequisites: dict[int, tuple[int, ...]]
    progress: dict[int, Progress]  # by item id, every row of the learner
    schedules: list[cohort_pace.Schedule] = field(default_factory=list)  # of their cohorts
    # The learner's measured pace factor, and whether their plan is scaled by it.
    pace_factor: float | None = None
    use_pace_factor: bool = False

    @property
    def hours_factor(self) -> float | None:
        """What the plan's item hours are multiplied by (None: the estimates as they are)."""
        return self.pace_factor if self.use_pace_factor else None

    # Spaced review cards' next due times and their items' estimated hours (none when the
    # learner turned spaced review off): the plan reserves review time from them.
    review_due: list[tuple[datetime, int]] = field(default_factory=list)


def load_plan_inputs(learner: User) -> PlanInputs:
    """What a plan is made from: followed roadmaps' items in their order, the schedules of the
    learner's cohorts, and the learner's pace.

    Queries: follows, items, prerequisite links, the learner's progress, their cohorts'
    schedules, their events, their review cards (with spaced review on)."""
    roadmaps = followed_roadmaps(learner)
    position = {roadmap.pk: index for index, roadmap in enumerate(roadmaps)}
    items = sorted(
        Item.objects.active()
        .filter(roadmap__in=roadmaps)
        .select_related("roadmap")
        # Long text the plan never shows stays in the database.
        .defer("imported_values", "description", "effort_note", "roadmap__imported_values")
        .defer("roadmap__intro", "roadmap__tagline"),
        key=lambda item: (position[item.roadmap_id], item.order, item.pk),
    )
    links = defaultdict(list)
    through = Item.prerequisites.through
    for from_id, to_id in through.objects.filter(from_item__in=[i.pk for i in items]).values_list(
        "from_item_id", "to_item_id"
    ):
        links[from_id].append(to_id)
    # Item hours ride along so plan status can count work done on any roadmap.
    progress = {
        row.item_id: row
        for row in Progress.objects.for_learner(learner).annotate(
            item_hours=F("item__effort_hours"), item_topic=F("item__topic")
        )
    }
    review_due = []
    if learner.spaced_review:
        review_due = list(
            ReviewCard.objects.for_learner(learner)
            .active()
            .values_list("due", "item__effort_hours")
        )
    return PlanInputs(
        roadmaps=roadmaps,
        items=items,
        prerequisites={key: tuple(value) for key, value in links.items()},
        progress=progress,
        schedules=cohort_schedules_of([learner.pk])[learner.pk],
        pace_factor=pace_reads.pace_factor(learner),
        use_pace_factor=learner.use_pace_factor,
        review_due=review_due,
    )


def load_plan_inputs_for(learners: list[User]) -> dict[int, PlanInputs]:
    """`load_plan_inputs` for many learners at once, by user id, for the weekly rollover.

    Content is loaded once and shared by all; progress rows carry their status and item hours
    only. Queries, whatever the number of learners: active roadmaps, follows, progress, items,
    prerequisite links, cohort schedules, progress events (for the pace factors), review
    cards (of learners with spaced review on). The learners need `weekly_hours` and
    `use_pace_factor` loaded.
    """
    ids = [learner.pk for learner in learners]
    active = {roadmap.pk: roadmap for roadmap in Roadmap.objects.active()}  # a small table
    chosen = defaultdict(list)
    for learner_id, roadmap_id in (
        RoadmapFollow.objects.filter(learner_id__in=ids, roadmap_id__in=active)
        .order_by("learner_id", "position", "created_at")
        .values_list("learner_id", "roadmap_id")
    ):
        chosen[learner_id].append(roadmap_id)
    progress = defaultdict(dict)
    for row in (
        Progress.objects.filter(learner_id__in=ids)
        # Planning needs the status only; parsing every row's dates would double the cost.
        .only("learner_id", "item_id", "status")
        .annotate(item_hours=F("item__effort_hours"))
    ):
        progress[row.learner_id][row.item_id] = row
    roadmap_items, prerequisites = _active_items_of(
        {pk for picked in chosen.values() for pk in picked}
    )
    schedules = cohort_schedules_of(ids)
    factors = pace_reads.pace_factors(learners)
    review_due = defaultdict(list)
    for learner_id, due, hours in (
        ReviewCard.objects.active()
        .filter(
            # The join reads the switch, whatever fields the callers' learners were loaded with.
            learner_id__in=ids,
            learner__spaced_review=True,
        )
        .values_list("learner_id", "due", "item__effort_hours")
    ):
        review_due[learner_id].append((due, hours))
    return {
        learner.pk: PlanInputs(
            roadmaps=[active[pk] for pk in chosen[learner.pk]],
            items=[item for pk in chosen[learner.pk] for item in roadmap_items[pk]],
            prerequisites=prerequisites,
            progress=progress[learner.pk],
            schedules=schedules[learner.pk],
            pace_factor=factors[learner.pk],
            use_pace_factor=learner.use_pace_factor,
            review_due=review_due[learner.pk],
        )
        for learner in learners
    }


def cohort_schedules_of(learner_ids: list[int]) -> dict[int, list[cohort_pace.Schedule]]:
    """The schedules of the learners' cohorts, by learner id (one query, whatever the number
    of learners: a row per membership and milestone)."""
    rows = (
        Membership.objects.filter(learner_id__in=learner_ids)
        .order_by("learner_id", "cohort_id", "cohort__milestones__week_number")
        .values_list(
            "learner_id",
            "cohort_id",
            "cohort__name",
            "cohort__roadmap_id",
            "cohort__starts_on",
            "cohort__ends_on",
            "cohort__milestones__week_number",
            "cohort__milestones__item_id",
        )
    )
    found: dict[tuple[int, int], dict] = {}
    for learner_id, cohort_id, name, roadmap_id, starts, ends, week, item_id in rows:
        entry = found.setdefault(
            (learner_id, cohort_id),
            {"fields": (cohort_id, name, roadmap_id, starts, ends), "milestones": []},
        )
        if item_id is not None:
            entry["milestones"].append(cohort_pace.Milestone(week, item_id))
    result: dict[int, list[cohort_pace.Schedule]] = {pk: [] for pk in learner_ids}
    for (learner_id, _), entry in found.items():
        cohort_id, name, roadmap_id, starts, ends = entry["fields"]
        result[learner_id].append(
            cohort_pace.Schedule(
                cohort_id=cohort_id,
                name=name,
                roadmap_id=roadmap_id,
                starts_on=starts,
                ends_on=ends,
                milestones=tuple(entry["milestones"]),
            )
        )
    return result


def _active_items_of(roadmap_ids: set[int]) -> tuple[dict[int, list[Item]], dict]:
    """Active items by roadmap in study-list order, and every item's prerequisite ids."""
    items = defaultdict(list)
    for item in (
        Item.objects.active()
        .filter(roadmap_id__in=roadmap_ids)
        .select_related("roadmap")
        .defer("imported_values", "description", "effort_note", "roadmap__imported_values")
        .defer("roadmap__intro", "roadmap__tagline")
        .order_by("order", "pk")
    ):
        items[item.roadmap_id].append(item)
    links = defaultdict(list)
    through = Item.prerequisites.through
    for from_id, to_id in through.objects.filter(
        from_item__roadmap_id__in=roadmap_ids, from_item__archived_at__isnull=True
    ).values_list("from_item_id", "to_item_id"):
        links[from_id].append(to_id)
    return items, {key: tuple(value) for key, value in links.items()}


def plan_items(inputs: PlanInputs, already_planned: dict[int, int]) -> list[planning.PlanItem]:
    """The plan's items, a shared topic once (see `planning.one_per_topic`), the learner's
    cohorts' milestone items first by due day (`cohort_pace.milestones_first`), each estimate
    scaled by the learner's pace factor when their plan uses it."""
    items = [
        planning.PlanItem(
            id=item.pk,
            title=item.title,
            hours=pace.scaled_hours(item.effort_hours, inputs.hours_factor),
            prerequisites=inputs.prerequisites.get(item.pk, ()),
            status=row.status if (row := inputs.progress.get(item.pk)) else Status.NOT_STARTED,
            already_planned=already_planned.get(item.pk, 0),
            topic=item.topic,
        )
        for item in inputs.items
    ]
    due = {item_id: d.due_on for item_id, d in _milestones(inputs).due.items()}
    if due:
        by_id = {item.id: item for item in items}
        order = cohort_pace.milestones_first(list(by_id), inputs.prerequisites, due)
        items = [by_id[item_id] for item_id in order]
    return planning.one_per_topic(items)


def _entries_json(week: planning.Week | None, factor: float | None = None) -> list[dict]:
    """A week's entries as a snapshot stores them. Scaled by a pace `factor`, each entry also
    keeps its hours in the roadmap's estimates, so "behind" compares like with like."""
    if week is None:
        return []
    return [
        {
            "item": entry.item_id,
            "title": entry.title,
            "hours": entry.hours,
            "continues_from_previous": entry.continues_from_previous,
            "continues_next": entry.continues_next,
        }
        | ({"estimate": round(entry.hours / factor)} if factor else {})
        for entry in week.entries
    ]


def this_week_plan(learner: User, inputs: PlanInputs, now: datetime) -> dict:
    """What a snapshot of the learner's current week stores, planned from `now`: the budget,
    the review hours the week reserves (what /plan/ says is reserved; kept so that reviews
    coming due later stand out) and the entries."""
    review_hours = _review_hours(learner, inputs, now)
    plan = planning.make_plan(
        plan_items(inputs, {}),
        weekly_hours=learner.weekly_hours,
        time_zone=learner.time_zone,
        today=now,
        review_hours=review_hours,
    )
    current = planning.week_start(now, learner.time_zone)
    week = plan.weeks[0] if plan.weeks and plan.weeks[0].start == current else None
    return {
        "weekly_hours": learner.weekly_hours,
        "review_hours": review_hours.get(current, 0),
        "entries": _entries_json(week, inputs.hours_factor),
    }


def more_work_entries(learner: User, inputs: PlanInputs, current: list[dict], now: datetime):
    """The entries "pull in more work" adds to this week: the plan's next week's worth."""
    start = planning.week_start(now, learner.time_zone)
    upcoming = _upcoming(learner, inputs, current, now, start)
    return _entries_json(upcoming.weeks[0] if upcoming.weeks else None, inputs.hours_factor)


def is_worked_through(inputs: PlanInputs, entries: list[dict]) -> bool:
    """Every entry of a week's list is done or skipped (an empty list is not worked through)."""
    return bool(entries) and all(_is_finished(inputs, entry["item"]) for entry in entries)


# ---- the plan page ----------------------------------------------------------------------------


@dataclass
class EntryRow:
    item_id: int
    title: str
    hours: int
    continues_from_previous: bool
    continues_next: bool
    item: Item | None = None  # None when the item has since been removed from the roadmap
    status: str = Status.NOT_STARTED
    done: bool = False


@dataclass
class PastWeek:
    start: date
    rows: list[EntryRow]
    planned_hours: int
    done_hours: int

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    @property
    def adherence(self) -> int | None:
        if not self.planned_hours:
            return None
        return round(100 * self.done_hours / self.planned_hours)


@dataclass
class UpcomingWeek:
    start: date
    end: date
    hours: int
    rows: list[EntryRow]


@dataclass
class PlanView:
    learner: User
    week_start: date
    this_week: list[EntryRow]
    this_week_snapshot: WeekPlan | None
    upcoming: planning.Plan
    past: list[PastWeek]
    position: Position
    has_roadmaps: bool
    has_items: bool
    items: dict[int, Item] = field(default_factory=dict, repr=False)
    roadmaps: list = field(default_factory=list, repr=False)  # followed, in the plan's order
    progress: dict[int, Progress] = field(default_factory=dict, repr=False)  # by item id

    @property
    def status(self) -> Position:
        return self.position

    @property
    def projected_finish(self) -> date | None:
        return self.position.projected_finish

    @property
    def target(self) -> planning.TargetStatus | None:
        return self.position.target

    @property
    def remaining_hours(self) -> int:
        return self.position.remaining_hours

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    @property
    def this_week_hours(self) -> int:
        return sum(row.hours for row in self.this_week)

    @property
    def reviews_over_hours(self) -> int:
        """By how many hours reviews that came due after this week's list was made take the list
        and its reviews past the weekly hours (concepts done since bring reviews due within
        days), until the week is re-planned. Only the reviews' growth counts: work the learner
        pulled in is theirs. 0 once the list is worked through (re-planning would not help)
        or when the snapshot predates the record of its review hours."""
        snapshot, reviews = self.this_week_snapshot, self.position.reviews_this_week
        if snapshot is None or snapshot.review_hours is None or reviews is None:
            return 0
        if self.week_done or self.all_done:
            return 0
        grown = reviews.reserved_hours - snapshot.review_hours
        over = self.this_week_hours + reviews.reserved_hours - self.learner.weekly_hours
        return max(0, min(grown, over))

    @property
    def this_week_done_hours(self) -> int:
        return sum(row.hours for row in self.this_week if row.done)

    @property
    def all_done(self) -> bool:
        return self.position.state == PlanState.FINISHED

    @property
    def week_done(self) -> bool:
        """This week's list is worked through (done or skipped) while work is left."""
        return bool(self.this_week) and not any(_still_open(row) for row in self.this_week)

    @property
    def next_up(self) -> list[Item]:
        """The position's next-up items, in the plan's order, with the learner's progress."""
        return [self.items[i] for i in self.position.next_up_ids if i in self.items]

    @property
    def milestone_rows(self) -> list[tuple[cohort_pace.DueItem, Item | None]]:
        """The cohorts' items due by the end of this week, each with its item for a link."""
        return [(due, self.items.get(due.item_id)) for due in self.position.milestones_due]

    @property
    def upcoming_weeks(self) -> list[UpcomingWeek]:
        """Every week after this one, each entry with its item for a link."""
        return [
            UpcomingWeek(
                start=week.start,
                end=week.end,
                hours=week.hours,
                rows=[
                    EntryRow(
                        item_id=e.item_id,
                        title=e.title,
                        hours=e.hours,
                        continues_from_previous=e.continues_from_previous,
                        continues_next=e.continues_next,
                        item=self.items.get(e.item_id),
                    )
                    for e in week.entries
                ],
            )
            for week in self.upcoming.weeks
        ]


def _entry_done(entry: dict, progress: Progress | None, week_ends_at: datetime) -> bool:
    """Did the learner do this entry's share of work during (or before the end of) its week?

    The item completed before the week ended counts; so does the share of an item that
    continues next week, once the item was started in time (the week asked for part of it).
    """
    if progress is None:
        return False
    completed = progress.completed_at
    if progress.status == Status.DONE and completed and completed < week_ends_at:
        return True
    return bool(
        entry.get("continues_next")
        and progress.status in (Status.IN_PROGRESS, Status.DONE)
        and progress.started_at
        and progress.started_at < week_ends_at
    )


def _rows(entries: list[dict], items: dict[int, Item], progress: dict[int, Progress]):
    rows = []
    for entry in entries:
        row = progress.get(entry["item"])
        rows.append(
            EntryRow(
                item_id=entry["item"],
                title=entry["title"],
                hours=entry["hours"],
                continues_from_previous=entry.get("continues_from_previous", False),
                # A finished item continues nowhere, whatever the snapshot planned for it.
                continues_next=entry.get("continues_next", False)
                and not (row and row.status in planning.FINISHED),
                item=items.get(entry["item"]),
                status=row.status if row else Status.NOT_STARTED,
                done=bool(row and row.status == Status.DONE),
            )
        )
    return rows


def _still_open(row: EntryRow) -> bool:
    return not row.done and row.status != Status.SKIPPED


def finish_of_items(view: PlanView, item_ids: Iterable[int], *, today: date) -> date | None:
    """When the learner's plan is due to finish `item_ids` (one roadmap of several, say): as
    `projected_finish` is worked out for the whole plan, but for these items only."""
    item_ids = set(item_ids)
    finish = planning.finish_of(view.upcoming, item_ids, today=today)
    if finish is None and any(_still_open(r) for r in view.this_week if r.item_id in item_ids):
        # Only this week's unfinished items are left: they are planned to be done by Sunday.
        finish = max(view.week_start + timedelta(days=6), today)
    return finish


def _finish(upcoming: planning.Plan, week_end: date, this_week_open: bool, today: date):
    if not upcoming.is_empty or not this_week_open:
        return upcoming.projected_finish
    # Only this week's unfinished items are left: they are planned to be done by Sunday.
    return max(week_end, today)


def _milestones(inputs: PlanInputs) -> cohort_pace.MilestonePlan:
    return cohort_pace.milestone_plan(inputs.schedules, {item.pk for item in inputs.items})


def _roadmap_item_ids(inputs: PlanInputs) -> dict[int, set[int]]:
    """The plan's item ids by followed roadmap, with their shared-topic twins (the plan
    schedules a topic once, under whichever of its items comes first)."""
    by_roadmap, by_topic = defaultdict(set), defaultdict(set)
    for item in inputs.items:
        by_roadmap[item.roadmap_id].add(item.pk)
        if item.topic:
            by_topic[item.topic].add(item.pk)
    for item in inputs.items:
        if item.topic:
            by_roadmap[item.roadmap_id] |= by_topic[item.topic]
    return by_roadmap


def _binding_deadline(
    learner: User,
    inputs: PlanInputs,
    upcoming: planning.Plan,
    this_week_open: list[int],
    finish: date | None,
    week_end: date,
    today: date,
) -> tuple[cohort_pace.Deadline | None, date | None]:
    """The target the status is measured against (the learner's own or a cohort's finish,
    `cohort_pace.binding`) and the day its items are due to finish (the whole plan's
    `finish` when none)."""
    found = []
    for deadline in cohort_pace.deadlines(
        learner.target_date, inputs.schedules, _roadmap_item_ids(inputs), today
    ):
        if deadline.item_ids is None:
            found.append((deadline, finish))
            continue
        end = planning.finish_of(upcoming, deadline.item_ids, today=today)
        if end is None and deadline.item_ids.intersection(this_week_open):
            end = max(week_end, today)  # only this week's items are left: done by Sunday
        found.append((deadline, end))
    chosen = cohort_pace.binding(found, today)
    return chosen if chosen else (None, finish)


def _target(
    learner: User,
    inputs: PlanInputs,
    deadline: cohort_pace.Deadline | None,
    finish: date | None,
    now: datetime,
    today: date,
) -> planning.TargetStatus | None:
    """Met or not by the finish shown; the hours needed come from re-planning from this week.

    The hours needed assume this week is re-planned at the new budget too, which is what a
    learner who raises their hours and presses "re-plan this week" gets. When re-planning
    alone would meet the target, `hours_needed` equals the current weekly hours. A cohort's
    finish date counts the cohort's items only.
    """
    if deadline is None:
        return None
    target = deadline.day
    if finish is None or finish <= target:
        return planning.TargetStatus(
            target_date=target, met=True, spare_days=max(0, (target - (finish or today)).days)
        )
    if target < today:
        return planning.TargetStatus(target_date=target, met=False, hours_needed=None)
    items = plan_items(inputs, {})
    if deadline.item_ids is None:
        fresh = planning.make_plan(
            items,
            weekly_hours=learner.weekly_hours,
            time_zone=learner.time_zone,
            today=now,
            target_date=target,
            review_hours=_review_hours(learner, inputs, now),
        ).target
        needed = learner.weekly_hours if fresh.met else fresh.hours_needed
    else:
        reserved = _review_hours(learner, inputs, now)
        needed = _hours_for_items(learner, items, deadline.item_ids, target, now, today, reserved)
    return planning.TargetStatus(target_date=target, met=False, hours_needed=needed)


def _hours_for_items(
    learner: User,
    items: list,
    item_ids: frozenset[int],
    target: date,
    now: datetime,
    today: date,
    review_hours: dict[date, int],
) -> int | None:
    """The fewest weekly hours that finish `item_ids` by `target`, re-planning from this week
    (None: no budget can), with the weeks' review time reserved as it is now. More hours never
    finish later, so a binary search."""

    def met(hours: int) -> bool:
        plan = planning.make_plan(
            items,
            weekly_hours=hours,
            time_zone=learner.time_zone,
            today=now,
            review_hours=review_hours,
        )
        return (planning.finish_of(plan, item_ids, today=today) or today) <= target

    if met(learner.weekly_hours):
        return learner.weekly_hours
    low, high = learner.weekly_hours + 1, max(7 * sum(i.hours for i in items), 1)
    while low < high:
        middle = (low + high) // 2
        if met(middle):
            high = middle
        else:
            low = middle + 1
    return low if met(low) else None


def _items_with_progress(inputs: PlanInputs, snapshots: list[WeekPlan]) -> dict[int, Item]:
    """Every item the page links to by id, each with the learner's progress attached."""
    items = {item.pk: item for item in inputs.items}
    named = {entry["item"] for snapshot in snapshots for entry in snapshot.entries}
    missing = named - items.keys()
    if missing:
        # Past weeks may name items of a roadmap no longer followed: still show their links.
        items.update(
            (item.pk, item)
            for item in Item.objects.filter(pk__in=missing).select_related("roadmap")
        )
    for item in items.values():
        item.my_progress = inputs.progress.get(item.pk)
    return items


def _upcoming(
    learner: User, inputs: PlanInputs, current: list[dict] | None, now: datetime, start: date
) -> planning.Plan:
    """The weeks after this one, planned from today's progress; the hours of this week's
    snapshot (`current`, its entries) come off, so a split item continues where it leaves it.
    Without a snapshot the plan starts this week."""
    return planning.make_plan(
        plan_items(inputs, _already_planned(current)),
        weekly_hours=learner.weekly_hours,
        time_zone=learner.time_zone,
        today=_upcoming_from(current, now, start),
        review_hours=_review_hours(learner, inputs, now),
    )


def _already_planned(current: list[dict] | None) -> dict[int, int]:
    already = defaultdict(int)
    for entry in current or ():
        already[entry["item"]] += entry["hours"]
    return already


def _upcoming_from(current: list[dict] | None, now: datetime, start: date) -> date | datetime:
    return start + timedelta(days=7) if current is not None else now


def _past_weeks(
    snapshots: list[WeekPlan], items: dict[int, Item], progress: dict[int, Progress], *, start, tz
) -> list[PastWeek]:
    """The snapshots of weeks before `start`, most recent first, each entry marked done or not."""
    past = []
    for snapshot in snapshots:
        if snapshot.week_start >= start:
            continue
        ends_at = planning.week_starts_at(snapshot.week_start + timedelta(days=7), tz)
        rows = _rows(snapshot.entries, items, progress)
        for row, entry in zip(rows, snapshot.entries, strict=True):
            row.done = _entry_done(entry, progress.get(row.item_id), ends_at)
        past.append(
            PastWeek(
                start=snapshot.week_start,
                rows=rows,
                planned_hours=sum(r.hours for r in rows),
                done_hours=sum(r.hours for r in rows if r.done),
            )
        )
    past.reverse()
    return past


def _finished_of(inputs: PlanInputs) -> list[_Finished]:
    """The done and skipped rows `_finished_rows` reads, from rows the page has loaded already."""
    return _topics_once(
        [
            (_Finished(p.item_id, p.status, p.completed_at, p.item_hours), p.item_topic)
            for p in inputs.progress.values()
            if p.status in planning.FINISHED
        ]
    )


def plan_view(
    *, learner: User, now: datetime | None = None, snapshots: list[WeekPlan] | None = None
) -> PlanView:
    """Everything /plan/ shows (the calendar feed, the digest and the mentor's view reuse it).

    Reads only: a current week without a snapshot is planned on the fly (GET /plan/ saves it
    first with `services.plans.ensure_week_snapshot`, which passes the learner's `snapshots`).
    Queries: follows, items, prerequisite links, progress, cohort schedules, events (the pace
    factor), snapshots (unless passed); +1 if a snapshot names an item no longer followed.
    """
    now = now or timezone.now()
    tz = learner.time_zone
    start = planning.week_start(now, tz)
    inputs = load_plan_inputs(learner)
    if snapshots is None:
        snapshots = list(WeekPlan.objects.for_learner(learner).order_by("week_start"))
    current = next((s for s in snapshots if s.week_start == start), None)
    items = _items_with_progress(inputs, snapshots)
    position, upcoming = _position(
        learner, inputs, [(s.week_start, s.entries) for s in snapshots], _finished_of(inputs), now
    )
    return PlanView(
        learner=learner,
        week_start=start,
        this_week=_rows(current.entries, items, inputs.progress) if current else [],
        this_week_snapshot=current,
        upcoming=upcoming,
        past=_past_weeks(snapshots, items, inputs.progress, start=start, tz=tz),
        position=position,
        has_roadmaps=bool(inputs.roadmaps),
        has_items=bool(inputs.items),
        items=items,
        roadmaps=inputs.roadmaps,
        progress=inputs.progress,
    )


# ---- weekly digest ----------------------------------------------------------------------------


@dataclass
class Digest:
    view: PlanView
    last_week: PastWeek | None
    carried_over: list[EntryRow]

    @property
    def is_empty(self) -> bool:
        return not self.view.this_week and self.last_week is None


def weekly_digest(*, learner: User, now: datetime | None = None) -> Digest:
    """Last week's planned vs done, this week's items and what carried over from last week.

    Reads only: the sender saves this week's snapshot first (`ensure_week_snapshot`)."""
    view = plan_view(learner=learner, now=now)
    last_monday = view.week_start - timedelta(days=7)
    last_week = view.past[0] if view.past and view.past[0].start == last_monday else None
    missed = {row.item_id for row in last_week.rows if not row.done} if last_week else set()
    carried = [row for row in view.this_week if row.item_id in missed]
    return Digest(view=view, last_week=last_week, carried_over=carried)


# ---- calendar feed ----------------------------------------------------------------------------


def calendar_weeks(*, learner: User, now: datetime | None = None) -> list[CalendarWeek]:
    """Every planned week, past, current (once snapshotted) and projected, for the iCal feed."""
    view = plan_view(learner=learner, now=now)
    weeks = [
        CalendarWeek(past.start, [_calendar_row(row) for row in past.rows])
        for past in reversed(view.past)
    ]
    if view.this_week_snapshot is not None:
        weeks.append(CalendarWeek(view.week_start, [_calendar_row(r) for r in view.this_week]))
    weeks.extend(
        CalendarWeek(week.start, [_calendar_row(entry) for entry in week.entries])
        for week in view.upcoming.weeks
    )
    return weeks


def _calendar_row(row: EntryRow | planning.PlanEntry) -> CalendarRow:
    return CalendarRow(row.title, row.hours, row.continues_from_previous, row.continues_next)
