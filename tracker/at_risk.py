"""Which learners of a cohort need a mentor's look, and how the mentor's table sorts.

Plain functions over plain data, tested without a database. The rules:

- Only active items of the cohort's roadmap count. Percentages are done items over all items,
  rounded down, so 100 % means everything is really done. Skipped items never count as done.
- "Done in the last 7 days" counts items whose current status is done and whose completion
  time falls in the last 7 x 24 hours.
- At risk, for any of these reasons: no activity for 14 days (counted from the last status
  change, or from joining the cohort when there is none); an item in progress for more than
  3x its estimated weeks (effort hours / the learner's weekly hours); behind their study plan;
  a target date that has passed or cannot be met.

tracker/selectors/cohort_dashboard.py applies the same rules and sort keys in SQL, so that a
cohort of thousands pages on the server; tests/test_cohort_dashboard.py compares the two.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tracker.cohort_pace import Pace
from tracker.planning import PlanState
from tracker.progress_math import percent

STALL_DAYS = 14
STUCK_FACTOR = 3
RECENT_DAYS = 7

SORT_KEYS = ("name", "overall", "recent", "last_active", "status")
DEFAULT_SORT = "status"
# The direction a column sorts in when first clicked: the interesting end on top.
DEFAULT_DIRECTION = {
    "name": "asc",
    "overall": "desc",
    "recent": "desc",
    "last_active": "desc",
    "status": "desc",
}


def estimated_weeks(effort_hours: int, weekly_hours: int) -> float:
    return effort_hours / max(weekly_hours, 1)


def is_stuck(
    *, started_at: datetime | None, effort_hours: int, weekly_hours: int, now: datetime
) -> bool:
    """In progress for more than STUCK_FACTOR x the item's estimated weeks."""
    if started_at is None:
        return False
    limit = timedelta(weeks=STUCK_FACTOR * estimated_weeks(effort_hours, weekly_hours))
    return now - started_at > limit


def days_ago(moment: datetime, now: datetime) -> str:
    """'today', 'yesterday', '12 days ago': cheap enough for 500 rows, unlike |timesince."""
    days = (now - moment).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"


def is_stalled(*, last_active: datetime | None, joined_at: datetime, now: datetime) -> bool:
    since = max(last_active, joined_at) if last_active else joined_at
    return now - since > timedelta(days=STALL_DAYS)


def at_risk_reasons(
    *,
    last_active: datetime | None,
    joined_at: datetime,
    stuck_item: str | None,
    behind_weekly_plan: bool,
    now: datetime,
) -> list[str]:
    """Why a learner is at risk. The plan's own status (no target, unreachable, …) is shown
    beside the reasons; "behind weekly plan" is the weekly snapshots' shortfall alone, with or
    without a target, so that a cohort's filters can count it in SQL."""
    reasons = []
    if is_stalled(last_active=last_active, joined_at=joined_at, now=now):
        reasons.append(f"No activity for {STALL_DAYS} days")
    if stuck_item:
        reasons.append(f"“{stuck_item}” in progress for over {STUCK_FACTOR} times its estimate")
    if behind_weekly_plan:
        reasons.append("Behind weekly plan")
    return reasons


@dataclass
class LearnerRow:
    learner_id: int
    name: str
    email: str
    joined_at: datetime
    share_notes: bool
    done: int
    skipped: int
    in_progress: int
    total: int
    section_done: list[int]
    section_totals: list[int]
    done_recent: int
    last_active: datetime | None
    stuck_item: str | None
    learner: object = None
    now: datetime | None = None
    plan_status: PlanState = PlanState.NO_PLAN
    reasons: list[str] = field(default_factory=list)
    pace: Pace | None = None  # against the cohort's schedule; None: the cohort has none

    @property
    def overall_pct(self) -> int:
        return percent(self.done, self.total)

    @property
    def section_pcts(self) -> list[int]:
        return [percent(d, t) for d, t in zip(self.section_done, self.section_totals, strict=True)]

    @property
    def at_risk(self) -> bool:
        return bool(self.reasons)

    @property
    def last_active_text(self) -> str:
        return days_ago(self.last_active, self.now) if self.last_active else "never"

    @property
    def plan_label(self) -> str:
        return PlanState(self.plan_status).label


def _sort_key(sort: str):
    if sort == "name":
        return lambda row: (row.name.casefold(), row.learner_id)
    if sort == "overall":
        return lambda row: (row.overall_pct, row.done)
    if sort == "recent":
        return lambda row: row.done_recent
    if sort == "last_active":
        # Never-active learners sort below anyone who was active.
        return lambda row: (row.last_active is not None, row.last_active or datetime.min)
    return lambda row: len(row.reasons)


def clean_sort(sort: str | None, direction: str | None) -> tuple[str, str]:
    """Bad or missing query parameters fall back to the defaults instead of erroring."""
    sort = sort if sort in SORT_KEYS else DEFAULT_SORT
    direction = direction if direction in {"asc", "desc"} else DEFAULT_DIRECTION[sort]
    return sort, direction


def sort_rows(rows: Iterable[LearnerRow], *, sort: str, direction: str) -> list[LearnerRow]:
    # Name first so that ties in any column read alphabetically; sorted() is stable.
    by_name = sorted(rows, key=_sort_key("name"))
    return sorted(by_name, key=_sort_key(sort), reverse=direction == "desc")
