"""Weekly study plans: snapshots, the plan page's data, plan status, rollover and digest.

How the weeks fit together:

- The current week comes from its snapshot (`WeekPlan`), saved when the week begins (by the
  hourly rollover, or by the first visit to /plan/ if that comes first). Status changes never
  reshuffle it; "re-plan this week" replaces it.
- Future weeks are recomputed on every view from current progress, the weekly hours and the
  target date, starting next Monday. Hours of an item already in this week's snapshot come
  off it, so a split item continues where this week leaves it; items of past weeks that were
  not done come back in roadmap order.
- Past weeks are their snapshots, with each entry marked done or not (see `_entry_done`).

"Behind" (`PlanStatus`), precisely: with `planned` the hours of all past weeks' snapshots
(weeks before the learner's current local week), minus entries for items since skipped,
and `done` the estimated hours of the items completed since the first of those weeks began
(work ahead of plan counts, including this week's), a learner is behind when
`planned - done > weekly_hours`, i.e. more than one week's budget short. A learner with no
snapshot at all has no plan yet; one whose only snapshot is this week's is on track.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone

from tracker import planning
from tracker.models import Item, Progress, RoadmapFollow, Status, User, WeekPlan
from tracker.models.accounts import new_calendar_token
from tracker.selectors import followed_roadmaps

logger = logging.getLogger(__name__)

ON_TRACK = "on_track"
BEHIND = "behind"
NO_PLAN = "no_plan"

# A digest goes out only while the week is young, so opting in on a Thursday waits for Monday.
DIGEST_WINDOW = timedelta(hours=24)


# ---- plan status ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanStatus:
    state: str  # ON_TRACK, BEHIND or NO_PLAN
    planned_hours: int = 0
    done_hours: int = 0
    weekly_hours: int = 0
    past_weeks: int = 0

    @property
    def behind_by(self) -> int:
        return max(0, self.planned_hours - self.done_hours)

    @property
    def is_behind(self) -> bool:
        return self.state == BEHIND

    @property
    def is_on_track(self) -> bool:
        return self.state == ON_TRACK

    @property
    def has_plan(self) -> bool:
        return self.state != NO_PLAN

    @property
    def label(self) -> str:
        return {ON_TRACK: "On track", BEHIND: "Behind", NO_PLAN: "No plan yet"}[self.state]


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
        return PlanStatus(state=NO_PLAN, weekly_hours=learner.weekly_hours)
    current = planning.week_start(now, learner.time_zone)
    past = sorted((start, entries) for start, entries in snapshots if start < current)
    if not past:
        return PlanStatus(state=ON_TRACK, weekly_hours=learner.weekly_hours)
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
    state = BEHIND if planned - done > learner.weekly_hours else ON_TRACK
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
class _Inputs:
    roadmaps: list
    items: list[Item]  # active items of followed roadmaps, in study-list order
    prerequisites: dict[int, tuple[int, ...]]
    progress: dict[int, Progress]  # by item id, every row of the learner


def _load_inputs(learner: User) -> _Inputs:
    """Followed roadmaps' items in their order. Queries: follows (+1 fallback), items,
    prerequisite links, the learner's progress."""
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
    return _Inputs(
        roadmaps=roadmaps,
        items=items,
        prerequisites={key: tuple(value) for key, value in links.items()},
        progress=progress,
    )


def _plan_items(inputs: _Inputs, already_planned: dict[int, int]) -> list[planning.PlanItem]:
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


def _this_week_entries(learner: User, inputs: _Inputs, now: datetime) -> list[dict]:
    plan = planning.make_plan(
        _plan_items(inputs, {}),
        weekly_hours=learner.weekly_hours,
        time_zone=learner.time_zone,
        today=now,
    )
    current = planning.week_start(now, learner.time_zone)
    return _entries_json(plan.weeks[0] if plan.weeks and plan.weeks[0].start == current else None)


@transaction.atomic
def save_week_plan(
    *, learner: User, now: datetime | None = None, replace: bool = False, inputs=None
) -> tuple[WeekPlan, bool]:
    """Save the snapshot of the learner's current local week; return it and whether it is new.

    An existing snapshot is kept unless `replace` (the "re-plan this week" button). Two
    concurrent callers cannot both create one: the unique constraint decides.
    """
    now = now or timezone.now()
    start = planning.week_start(now, learner.time_zone)
    existing = WeekPlan.objects.filter(learner=learner, week_start=start).first()
    if existing and not replace:
        return existing, False
    entries = _this_week_entries(learner, inputs or _load_inputs(learner), now)
    if existing:
        existing.entries = entries
        existing.weekly_hours = learner.weekly_hours
        existing.save(update_fields=["entries", "weekly_hours"])
        return existing, False
    try:
        with transaction.atomic():
            snapshot = WeekPlan.objects.create(
                learner=learner,
                week_start=start,
                weekly_hours=learner.weekly_hours,
                entries=entries,
            )
    except IntegrityError:
        return WeekPlan.objects.get(learner=learner, week_start=start), False
    return snapshot, True


def replan_week(*, learner: User, now: datetime | None = None) -> WeekPlan:
    """Replace the learner's current week with a fresh plan from their progress today."""
    snapshot, _ = save_week_plan(learner=learner, now=now, replace=True)
    return snapshot


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
    snapshot_created: bool = False
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
    learner: User, inputs: _Inputs, finish: date | None, now: datetime, today: date
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
        _plan_items(inputs, {}),
        weekly_hours=learner.weekly_hours,
        time_zone=learner.time_zone,
        today=now,
        target_date=target,
    ).target
    needed = learner.weekly_hours if fresh.met else fresh.hours_needed
    return planning.TargetStatus(target_date=target, met=False, hours_needed=needed)


def plan_view(*, learner: User, now: datetime | None = None, save: bool = True) -> PlanView:
    """Everything /plan/ shows (and the calendar feed and the digest reuse).

    Saves this week's snapshot if it does not exist yet (`save=False` plans it on the fly).
    Queries: follows, items, prerequisite links, progress, snapshots; +1 to save this
    week's snapshot the first time; +1 if a snapshot names an item no longer followed.
    """
    now = now or timezone.now()
    tz = learner.time_zone
    today = planning.local_date(now, tz)
    start = planning.week_start(now, tz)
    inputs = _load_inputs(learner)
    items = {item.pk: item for item in inputs.items}
    snapshots = list(WeekPlan.objects.for_learner(learner).order_by("week_start"))
    current = next((s for s in snapshots if s.week_start == start), None)
    created = False
    if current is None and save and inputs.items:
        current, created = save_week_plan(learner=learner, now=now, inputs=inputs)
        snapshots.append(current)

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

    already = defaultdict(int)
    if current:
        for entry in current.entries:
            already[entry["item"]] += entry["hours"]
    upcoming = planning.make_plan(
        _plan_items(inputs, already),
        weekly_hours=learner.weekly_hours,
        time_zone=tz,
        today=start + timedelta(days=7) if current else now,
    )
    this_week = _rows(current.entries, items, inputs.progress) if current else []
    past = []
    for snapshot in snapshots:
        if snapshot.week_start >= start:
            continue
        ends_at = planning.week_starts_at(snapshot.week_start + timedelta(days=7), tz)
        rows = _rows(snapshot.entries, items, inputs.progress)
        for row, entry in zip(rows, snapshot.entries, strict=True):
            row.done = _entry_done(entry, inputs.progress.get(row.item_id), ends_at)
        past.append(
            PastWeek(
                start=snapshot.week_start,
                rows=rows,
                planned_hours=sum(r.hours for r in rows),
                done_hours=sum(r.hours for r in rows if r.done),
            )
        )
    past.reverse()  # most recent first

    this_week_open = any(_still_open(row) for row in this_week)
    finish = _finish(upcoming, start + timedelta(days=6), this_week_open, today)
    target = _target(learner, inputs, finish, now, today)
    finished = [
        _Finished(p.item_id, p.status, p.completed_at, p.item_hours)
        for p in inputs.progress.values()
        if p.status in (Status.DONE, Status.SKIPPED)
    ]
    status = _status_from(learner, [(s.week_start, s.entries) for s in snapshots], finished, now)
    remaining = sum(pi.remaining_hours for pi in _plan_items(inputs, {}))
    return PlanView(
        learner=learner,
        week_start=start,
        this_week=this_week,
        this_week_snapshot=current,
        upcoming=upcoming,
        past=past,
        status=status,
        projected_finish=finish,
        target=target,
        has_roadmaps=bool(inputs.roadmaps),
        has_items=bool(inputs.items),
        remaining_hours=remaining,
        snapshot_created=created,
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
    """Last week's planned vs done, this week's items and what carried over from last week."""
    view = plan_view(learner=learner, now=now)
    last_monday = view.week_start - timedelta(days=7)
    last_week = view.past[0] if view.past and view.past[0].start == last_monday else None
    missed = {row.item_id for row in last_week.rows if not row.done} if last_week else set()
    carried = [row for row in view.this_week if row.item_id in missed]
    return Digest(view=view, last_week=last_week, carried_over=carried)


def send_weekly_digest(*, learner: User, now: datetime | None = None) -> bool:
    """Email the digest (plain text and HTML); False when there is nothing to say."""
    digest = weekly_digest(learner=learner, now=now)
    if digest.is_empty:
        return False
    context = {
        "learner": learner,
        "digest": digest,
        "view": digest.view,
        "plan_url": f"{settings.SITE_URL}/plan/",
        "me_url": f"{settings.SITE_URL}/me/",
    }
    subject = f"Your study plan for the week of {digest.view.week_start:%-d %B}"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("email/weekly_digest.txt", context),
        to=[learner.email],
    )
    message.attach_alternative(render_to_string("email/weekly_digest.html", context), "text/html")
    message.send()
    return True


# ---- weekly rollover --------------------------------------------------------------------------


@dataclass
class RolloverResult:
    snapshots_created: int = 0
    digests_sent: int = 0
    digest_failures: int = 0
    due: list[str] = field(default_factory=list)  # dry run: learners whose week has begun


def _planning_learners():
    """Active learners with something to plan: a followed roadmap or any progress."""
    return User.objects.filter(is_active=True).filter(
        Exists(RoadmapFollow.objects.filter(learner=OuterRef("pk")))
        | Exists(Progress.objects.filter(learner=OuterRef("pk")))
    )


def _claim_and_send(learner: User, snapshot_id: int, now: datetime) -> str:
    """Send the week's digest at most once: the marker is claimed before sending."""
    claimed = WeekPlan.objects.filter(pk=snapshot_id, digest_sent_at__isnull=True).update(
        digest_sent_at=now
    )
    if not claimed:
        return "already"
    try:
        send_weekly_digest(learner=learner, now=now)
    except Exception:
        # Give the marker back so the next hourly run retries this learner.
        WeekPlan.objects.filter(pk=snapshot_id).update(digest_sent_at=None)
        logger.exception("weekly digest failed", extra={"learner_id": learner.pk})
        return "failed"
    return "sent"


def make_weekly_plans(*, now: datetime | None = None, dry_run: bool = False) -> RolloverResult:
    """For each learner whose local week has begun without a snapshot, save it, and send
    the weekly digest to those who opted in.

    Idempotent: the (learner, week_start) constraint stops a second snapshot and the
    snapshot's `digest_sent_at` marker stops a second email, so runs may overlap or repeat.
    """
    now = now or timezone.now()
    result = RolloverResult()
    # Every learner's current week starts within a day of today's UTC Monday.
    recent = {
        (learner_id, start): (pk, sent)
        for pk, learner_id, start, sent in WeekPlan.objects.filter(
            week_start__gte=now.date() - timedelta(days=8)
        ).values_list("pk", "learner_id", "week_start", "digest_sent_at")
    }
    for learner in _planning_learners().order_by("pk").iterator():
        start = planning.week_start(now, learner.time_zone)
        known = recent.get((learner.pk, start))
        if dry_run:
            if known is None:
                result.due.append(learner.email)
            continue
        if known is None:
            snapshot, created = save_week_plan(learner=learner, now=now)
            result.snapshots_created += int(created)
            known = (snapshot.pk, snapshot.digest_sent_at)
        week_age = now - planning.week_starts_at(start, learner.time_zone)
        if learner.digest_opt_in and known[1] is None and week_age < DIGEST_WINDOW:
            outcome = _claim_and_send(learner, known[0], now)
            result.digests_sent += outcome == "sent"
            result.digest_failures += outcome == "failed"
    return result


# ---- calendar feed ----------------------------------------------------------------------------


def _event_lines(rows: Iterable[tuple[str, int, bool, bool]]) -> list[str]:
    lines = []
    for title, hours, from_previous, next_week in rows:
        notes = [f"{hours} h"]
        if from_previous:
            notes.append("continued from last week")
        if next_week:
            notes.append("continues next week")
        lines.append(f"- {title} ({', '.join(notes)})")
    return lines


def calendar_feed(*, learner: User, now: datetime | None = None) -> bytes:
    """An iCalendar feed: one all-week event per planned week, past, current and projected."""
    from icalendar import Calendar, Event

    now = now or timezone.now()
    view = plan_view(learner=learner, now=now, save=False)
    plan_url = f"{settings.SITE_URL}/plan/"
    weeks: list[tuple[date, list[tuple[str, int, bool, bool]]]] = []
    for past in reversed(view.past):
        weeks.append(
            (
                past.start,
                [
                    (r.title, r.hours, r.continues_from_previous, r.continues_next)
                    for r in past.rows
                ],
            )
        )
    if view.this_week_snapshot is not None:
        weeks.append(
            (
                view.week_start,
                [
                    (r.title, r.hours, r.continues_from_previous, r.continues_next)
                    for r in view.this_week
                ],
            )
        )
    for week in view.upcoming.weeks:
        weeks.append(
            (
                week.start,
                [
                    (e.title, e.hours, e.continues_from_previous, e.continues_next)
                    for e in week.entries
                ],
            )
        )

    calendar = Calendar()
    calendar.add("prodid", "-//Roadmap Tracker//Study plan//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Study plan")
    for start, rows in weeks:
        if not rows:
            continue
        hours = sum(row[1] for row in rows)
        event = Event()
        event.add("uid", f"study-week-{start:%Y%m%d}-{learner.pk}@roadmap-tracker")
        event.add("dtstamp", now)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(days=7))
        event.add(
            "summary", f"Study plan: {hours} h, {len(rows)} item{'s' if len(rows) != 1 else ''}"
        )
        event.add("description", "\n".join([*_event_lines(rows), "", plan_url]))
        event.add("url", plan_url)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()


def regenerate_calendar_token(*, learner: User) -> str:
    """Give the learner a new calendar feed token; the old feed URL stops working at once."""
    learner.calendar_token = new_calendar_token()
    learner.save(update_fields=["calendar_token"])
    return learner.calendar_token
