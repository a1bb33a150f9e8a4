"""The study plan as an iCalendar feed: one all-week event per planned week.

Rendering only, from plain data; `selectors.plans.calendar_weeks` reads the weeks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event


@dataclass(frozen=True)
class CalendarRow:
    title: str
    hours: int
    continues_from_previous: bool
    continues_next: bool


@dataclass(frozen=True)
class CalendarWeek:
    start: date  # the Monday
    rows: list[CalendarRow]


def _event_lines(rows: Iterable[CalendarRow]) -> list[str]:
    lines = []
    for row in rows:
        notes = [f"{row.hours} h"]
        if row.continues_from_previous:
            notes.append("continued from last week")
        if row.continues_next:
            notes.append("continues next week")
        lines.append(f"- {row.title} ({', '.join(notes)})")
    return lines


def _week_event(week: CalendarWeek, *, learner_id: int, now: datetime, plan_url: str) -> Event:
    hours = sum(row.hours for row in week.rows)
    count = len(week.rows)
    event = Event()
    event.add("uid", f"study-week-{week.start:%Y%m%d}-{learner_id}@roadmap-tracker")
    event.add("dtstamp", now)
    event.add("dtstart", week.start)
    event.add("dtend", week.start + timedelta(days=7))
    event.add("summary", f"Study plan: {hours} h, {count} item{'s' if count != 1 else ''}")
    event.add("description", "\n".join([*_event_lines(week.rows), "", plan_url]))
    event.add("url", plan_url)
    event.add("transp", "TRANSPARENT")
    return event


def study_plan_calendar(
    weeks: Iterable[CalendarWeek], *, learner_id: int, now: datetime, plan_url: str
) -> bytes:
    """The feed's bytes: weeks with nothing planned get no event."""
    calendar = Calendar()
    calendar.add("prodid", "-//Roadmap Tracker//Study plan//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Study plan")
    for week in weeks:
        if week.rows:
            calendar.add_component(
                _week_event(week, learner_id=learner_id, now=now, plan_url=plan_url)
            )
    return calendar.to_ical()
