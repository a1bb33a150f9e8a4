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

"Behind" (`PlanStatus`; its states are `planning.PlanState`), precisely: with `planned` the
hours of all past weeks' snapshots (weeks before the learner's current local week), minus
entries for items since skipped, and `done` the estimated hours of the items completed since
the first of those weeks began (work ahead of plan counts, including this week's), a learner
is behind when `planned - done > weekly_hours`, i.e. more than one week's budget short. A
learner with no snapshot at all has no plan yet; one whose only snapshot is this week's is on
track.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import F
from django.utils import timezone

from tracker import planning
from tracker.ical import CalendarRow, CalendarWeek
from tracker.models import Item, Progress, Status, User, WeekPlan
from tracker.planning import PlanState
from tracker.selectors.roadmaps import followed_roadmaps

# ---- plan status ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanStatus:
    state: PlanState
    planned_hours: int = 0
    done_hours: int = 0
    weekly_hours: int = 0
    past_weeks: int = 0

    @property
    def behind_by(self) -> int:
        return max(0, self.planned_hours - self.done_hours)

    @property
    def is_behind(self) -> bool:
        return self.state == PlanState.BEHIND

    @property
    def is_on_track(self) -> bool:
        return self.state == PlanState.ON_TRACK

    @property
    def has_plan(self) -> bool:
        return self.state != PlanState.NO_PLAN

    @property
    def label(self) -> str:
        return self.state.label


@dataclass(frozen=True)
class _Finished:
    item_id: int
    status: str
    completed_at: datetime | None
    hours: int


def _status_from(
    learner: User, snapshots: list[tuple[date, list]], finished: list[_Finished], now: datetime
) -> PlanStatus:
    if not snapshots:
        return PlanStatus(state=PlanState.NO_PLAN, weekly_hours=learner.weekly_hours)
    current = planning.week_start(now, learner.time_zone)
    past = sorted((start, entries) for start, entries in snapshots if start < current)
    if not past:
        return PlanStatus(state=PlanState.ON_TRACK, weekly_hours=learner.weekly_hours)
    skipped = {row.item_id for row in finished if row.status == Status.SKIPPED}
    planned = sum(
        entry["hours"] for _, entries in past for entry in entries if entry["item"] not in skipped
    )
    since = planning.week_starts_at(past[0][0], learner.time_zone)
    done = sum(
        row.hours
        for row in finished
        if row.status == Status.DONE and row.completed_at and row.completed_at >= since
    )
    state = PlanState.BEHIND if planned - done > learner.weekly_hours else PlanState.ON_TRACK
    return PlanStatus(
        state=state,
        planned_hours=planned,
        done_hours=done,
        weekly_hours=learner.weekly_hours,
        past_weeks=len(past),
    )


def _finished_rows(learner_ids: list[int]) -> dict[int, list[_Finished]]:
    rows = defaultdict(list)
    for learner_id, item_id, status, completed_at, hours in (
        Progress.objects.filter(learner_id__in=learner_ids)
        .finished()
        .values_list("learner_id", "item_id", "status", "completed_at", "item__effort_hours")
    ):
        rows[learner_id].append(_Finished(item_id, status, completed_at, hours))
    return rows


def plan_statuses(
    learners: Iterable[User], *, now: datetime | None = None
) -> dict[int, PlanStatus]:
    """Each learner's PlanStatus by user id, in two queries whatever the number of learners.

    Queries: the learners' snapshots; their done and skipped progress joined to item hours.
    """
    now = now or timezone.now()
    learners = list(learners)
    ids = [learner.pk for learner in learners]
    snapshots = defaultdict(list)
    for learner_id, start, entries in WeekPlan.objects.filter(learner_id__in=ids).values_list(
        "learner_id", "week_start", "entries"
    ):
        snapshots[learner_id].append((start, entries))
    finished = _finished_rows(ids)
    return {
        learner.pk: _status_from(learner, snapshots[learner.pk], finished[learner.pk], now)
        for learner in learners
    }


def plan_status(learner: User, *, now: datetime | None = None) -> PlanStatus:
    return plan_statuses([learner], now=now)[learner.pk]


# ---- planning from the database ---------------------------------------------------------------


@dataclass
class PlanInputs:
    roadmaps: list
    items: list[Item]  # active items of followed roadmaps, in study-list order
    prerequisites: dict[int, tuple[int, ...]]
    progress: dict[int, Progress]  # by item id, every row of the learner


def load_plan_inputs(learner: User) -> PlanInputs:
    """What a plan is made from: followed roadmaps' items in their order.

    Queries: follows (+1 fallback), items, prerequisite links, the learner's progress."""
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
            item_hours=F("item__effort_hours")
        )
    }
    return PlanInputs(
        roadmaps=roadmaps,
        items=items,
        prerequisites={key: tuple(value) for key, value in links.items()},
        progress=progress,
    )


def plan_items(inputs: PlanInputs, already_planned: dict[int, int]) -> list[planning.PlanItem]:
    return [
        planning.PlanItem(
            id=item.pk,
            title=item.title,
            hours=item.effort_hours,
            prerequisites=inputs.prerequisites.get(item.pk, ()),
            status=row.status if (row := inputs.progress.get(item.pk)) else Status.NOT_STARTED,
            already_planned=already_planned.get(item.pk, 0),
        )
        for item in inputs.items
    ]


def _entries_json(week: planning.Week | None) -> list[dict]:
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
        for entry in week.entries
    ]


def this_week_entries(learner: User, inputs: PlanInputs, now: datetime) -> list[dict]:
    """The entries a snapshot of the learner's current week stores, planned from `now`."""
    plan = planning.make_plan(
        plan_items(inputs, {}),
        weekly_hours=learner.weekly_hours,
        time_zone=learner.time_zone,
        today=now,
    )
    current = planning.week_start(now, learner.time_zone)
    return _entries_json(plan.weeks[0] if plan.weeks and plan.weeks[0].start == current else None)


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
class PlanView:
    learner: User
    week_start: date
    this_week: list[EntryRow]
    this_week_snapshot: WeekPlan | None
    upcoming: planning.Plan
    past: list[PastWeek]
    status: PlanStatus
    projected_finish: date | None
    target: planning.TargetStatus | None
    has_roadmaps: bool
    has_items: bool
    remaining_hours: int
    titles: dict[int, str] = field(default_factory=dict)

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    @property
    def this_week_hours(self) -> int:
        return sum(row.hours for row in self.this_week)

    @property
    def this_week_done_hours(self) -> int:
        return sum(row.hours for row in self.this_week if row.done)

    @property
    def all_done(self) -> bool:
        return self.has_items and self.remaining_hours == 0


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
                continues_next=entry.get("continues_next", False),
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


def _target(
    learner: User, inputs: PlanInputs, finish: date | None, now: datetime, today: date
) -> planning.TargetStatus | None:
    """Met or not by the finish shown; the hours needed come from re-planning from this week.

    The hours needed assume this week is re-planned at the new budget too, which is what a
    learner who raises their hours and presses "re-plan this week" gets. When re-planning
    alone would meet the target, `hours_needed` equals the current weekly hours.
    """
    target = learner.target_date
    if target is None:
        return None
    if finish is None or finish <= target:
        return planning.TargetStatus(
            target_date=target, met=True, spare_days=max(0, (target - (finish or today)).days)
        )
    fresh = planning.make_plan(
        plan_items(inputs, {}),
        weekly_hours=learner.weekly_hours,
        time_zone=learner.time_zone,
        today=now,
        target_date=target,
    ).target
    needed = learner.weekly_hours if fresh.met else fresh.hours_needed
    return planning.TargetStatus(target_date=target, met=False, hours_needed=needed)


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
    learner: User, inputs: PlanInputs, current: WeekPlan | None, now: datetime, start: date
) -> planning.Plan:
    """The weeks after this one, planned from today's progress; this week's snapshot's hours
    come off, so a split item continues where this week leaves it."""
    already = defaultdict(int)
    if current:
        for entry in current.entries:
            already[entry["item"]] += entry["hours"]
    return planning.make_plan(
        plan_items(inputs, already),
        weekly_hours=learner.weekly_hours,
        time_zone=learner.time_zone,
        today=start + timedelta(days=7) if current else now,
    )


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


def _status_of_view(
    learner: User, inputs: PlanInputs, snapshots: list[WeekPlan], now: datetime
) -> PlanStatus:
    """The same PlanStatus as `plan_status`, from rows the page has loaded already."""
    finished = [
        _Finished(p.item_id, p.status, p.completed_at, p.item_hours)
        for p in inputs.progress.values()
        if p.status in (Status.DONE, Status.SKIPPED)
    ]
    return _status_from(learner, [(s.week_start, s.entries) for s in snapshots], finished, now)


def plan_view(
    *, learner: User, now: datetime | None = None, snapshots: list[WeekPlan] | None = None
) -> PlanView:
    """Everything /plan/ shows (the calendar feed, the digest and the mentor's view reuse it).

    Reads only: a current week without a snapshot is planned on the fly (GET /plan/ saves it
    first with `services.plans.ensure_week_snapshot`, which passes the learner's `snapshots`).
    Queries: follows, items, prerequisite links, progress, snapshots (unless passed); +1 if a
    snapshot names an item no longer followed.
    """
    now = now or timezone.now()
    tz = learner.time_zone
    today = planning.local_date(now, tz)
    start = planning.week_start(now, tz)
    inputs = load_plan_inputs(learner)
    if snapshots is None:
        snapshots = list(WeekPlan.objects.for_learner(learner).order_by("week_start"))
    current = next((s for s in snapshots if s.week_start == start), None)
    items = _items_with_progress(inputs, snapshots)
    upcoming = _upcoming(learner, inputs, current, now, start)
    this_week = _rows(current.entries, items, inputs.progress) if current else []
    this_week_open = any(_still_open(row) for row in this_week)
    finish = _finish(upcoming, start + timedelta(days=6), this_week_open, today)
    return PlanView(
        learner=learner,
        week_start=start,
        this_week=this_week,
        this_week_snapshot=current,
        upcoming=upcoming,
        past=_past_weeks(snapshots, items, inputs.progress, start=start, tz=tz),
        status=_status_of_view(learner, inputs, snapshots, now),
        projected_finish=finish,
        target=_target(learner, inputs, finish, now, today),
        has_roadmaps=bool(inputs.roadmaps),
        has_items=bool(inputs.items),
        remaining_hours=sum(pi.remaining_hours for pi in plan_items(inputs, {})),
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
