"""Cohort pace: a cohort's schedule, each learner ahead of or behind it, and plans that keep it.

Personas: `mentor` (Bob) mentors "Spring LLM"; Dana is in it; `outsider` (Charlie) is not.
"""

import csv
import html
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.template.loader import render_to_string
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import ItemFactory, ProgressFactory, SectionFactory, UserFactory
from tracker import cohort_pace
from tracker.cohort_pace import Deadline, Milestone, Schedule
from tracker.models import Cohort, CohortMilestone, Membership, RoadmapFollow, Status
from tracker.selectors import plans as plan_reads
from tracker.services import plans

START = date(2026, 3, 2)  # a Monday
FINISH = date(2026, 3, 30)  # four weeks later
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


# ---- the pure rules -------------------------------------------------------------------------


def finish_only() -> Schedule:
    return Schedule(cohort_id=1, name="Spring LLM", roadmap_id=1, starts_on=START, ends_on=FINISH)


@pytest.mark.parametrize(
    ("today", "due"),
    [
        (START - timedelta(days=3), 0),  # not started yet
        (START, 0),
        (START + timedelta(days=7), 2),  # a quarter of 8
        (START + timedelta(days=10), 2),  # 8 x 10/28 = 2.86, rounded down
        (START + timedelta(days=14), 4),
        (FINISH, 8),
        (FINISH + timedelta(days=30), 8),
    ],
)
def test_a_finish_date_spreads_the_items_evenly_from_start_to_finish(today, due):
    assert cohort_pace.due_by(finish_only(), total=8, active=(), today=today) == due


def test_week_targets_are_due_by_the_last_day_of_their_week():
    schedule = Schedule(
        cohort_id=1,
        name="Spring LLM",
        roadmap_id=1,
        starts_on=START,
        ends_on=FINISH,
        milestones=(Milestone(1, 10), Milestone(1, 11), Milestone(2, 12), Milestone(3, 99)),
    )
    assert schedule.due_on(1) == date(2026, 3, 8)
    active = {10, 11, 12}  # item 99 was archived: due no more
    counts = [
        cohort_pace.due_by(schedule, total=20, active=active, today=day)
        for day in (date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 15), date(2026, 3, 16))
    ]
    # Milestones replace the even pace: 20 items, but only the targets count.
    assert counts == [0, 2, 2, 3]


def test_no_start_date_or_no_finish_and_no_targets_is_no_pace():
    no_start = Schedule(cohort_id=1, name="x", roadmap_id=1, ends_on=FINISH)
    no_finish = Schedule(cohort_id=1, name="x", roadmap_id=1, starts_on=START)
    for schedule in (no_start, no_finish):
        assert cohort_pace.pace(schedule, done=3, total=8, active=(), today=FINISH) is None


@pytest.mark.parametrize(
    ("done", "due", "text", "state"),
    [
        (4, 2, "2 items ahead of the cohort's pace", "ahead"),
        (1, 2, "1 item behind the cohort's pace", "behind"),
        (0, 3, "3 items behind the cohort's pace", "behind"),
        (2, 2, "On the cohort's pace", "on-pace"),
    ],
)
def test_pace_says_how_many_items_ahead_or_behind_in_words(done, due, text, state):
    pace = cohort_pace.Pace(done=done, due=due)
    assert (pace.text, pace.state, pace.ahead) == (text, state, done - due)


@settings(max_examples=80, deadline=None)
@given(
    start=st.dates(date(2026, 1, 1), date(2026, 12, 31)),
    length=st.integers(0, 400),
    total=st.integers(0, 200),
    first=st.integers(-50, 500),
    later=st.integers(0, 100),
)
def test_items_due_never_fall_and_stay_between_none_and_all(start, length, total, first, later):
    schedule = Schedule(
        cohort_id=1, name="x", roadmap_id=1, starts_on=start, ends_on=start + timedelta(length)
    )
    day = start + timedelta(first)
    due = cohort_pace.due_by(schedule, total=total, active=(), today=day)
    after = cohort_pace.due_by(schedule, total=total, active=(), today=day + timedelta(later))
    assert 0 <= due <= after <= total


@settings(max_examples=80, deadline=None)
@given(
    st.integers(1, 12).flatmap(
        lambda n: st.tuples(
            st.just(list(range(1, n + 1))),
            st.dictionaries(st.integers(1, n), st.lists(st.integers(1, n), max_size=3)),
            st.dictionaries(st.integers(1, n), st.dates(date(2026, 1, 1), date(2026, 2, 1))),
        )
    )
)
def test_milestones_come_first_each_after_its_prerequisites_and_nothing_is_lost(case):
    order, links, due = case
    # Prerequisites point backwards only (content has no cycles worth honouring here).
    prerequisites = {k: tuple(p for p in v if p < k) for k, v in links.items()}
    result = cohort_pace.milestones_first(order, prerequisites, due)
    assert sorted(result) == order
    position = {item: index for index, item in enumerate(result)}
    for item in due:
        for needed in prerequisites.get(item, ()):
            assert position[needed] < position[item]
    # Every other item waits until the due items are placed, and keeps its order.
    last_due = max((position[i] for i in due), default=-1)
    needed, stack = set(), list(due)
    while stack:
        for p in prerequisites.get(stack.pop(), ()):
            if p not in needed:
                needed.add(p)
                stack.append(p)
    rest = [i for i in result if i not in due and i not in needed]
    assert all(position[i] > last_due for i in rest) and rest == sorted(rest)


def test_the_earlier_deadline_wins_unless_a_later_one_is_missed():
    own, cohort = Deadline(date(2026, 6, 1)), Deadline(date(2026, 5, 1), cohort="Spring LLM")
    today = date(2026, 3, 2)
    assert cohort_pace.binding([(cohort, date(2026, 4, 1)), (own, date(2026, 5, 20))], today)[
        0
    ] == (cohort)
    # The cohort's items finish in time, the whole plan does not: the own target is the news.
    assert cohort_pace.binding([(cohort, date(2026, 4, 1)), (own, date(2026, 7, 1))], today)[0] == (
        own
    )


def test_a_cohort_that_has_finished_sets_no_target_any_more():
    schedule = finish_only()
    found = cohort_pace.deadlines(None, [schedule], {1: {5, 6}}, FINISH + timedelta(days=1))
    assert found == []
    # Nor one whose roadmap the learner does not follow.
    assert cohort_pace.deadlines(None, [schedule], {2: {5}}, START) == []


def test_milestone_lines_are_parsed_with_a_message_per_bad_line():
    found, problems = cohort_pace.parse_milestones(
        "week 1: tokens\n\n# comment\nWeek 2 :  Attention \nweek two: x\ntokens\n"
    )
    assert found == [(1, 1, "tokens"), (4, 2, "attention")]
    assert [p.split(":")[0] for p in problems] == ["Line 5", "Line 6"]


# ---- the schedule form ----------------------------------------------------------------------


@pytest.fixture
def items(db):
    section = SectionFactory(title="Basics")
    return [
        ItemFactory(section=section, title=f"Topic {n}", slug=f"topic-{n}", effort_hours=4, order=n)
        for n in range(8)
    ]


@pytest.fixture
def spring(items, mentor):
    cohort = Cohort.objects.create(name="Spring LLM", roadmap=items[0].roadmap)
    cohort.mentors.add(mentor)
    return cohort


def member(cohort, *, name="Dana", target=None, weekly_hours=8):
    person = UserFactory(display_name=name, weekly_hours=weekly_hours, target_date=target)
    RoadmapFollow.objects.create(learner=person, roadmap=cohort.roadmap)
    Membership.objects.create(cohort=cohort, learner=person)
    return person


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_schedule(user, cohort, **data):
    return client_for(user).post(f"/cohorts/{cohort.pk}/schedule/", data)


@pytest.fixture
def before_start(time_machine):
    time_machine.move_to(at(START - timedelta(days=10)), tick=False)


def test_a_mentor_saves_dates_and_week_targets_and_sees_them_back(before_start, mentor, spring):
    response = post_schedule(
        mentor,
        spring,
        starts_on="2026-03-02",
        ends_on="2026-03-30",
        milestones="week 1: topic-0\nweek 1: topic-1\nweek 2: topic-2",
    )
    assert response.status_code == 302
    spring.refresh_from_db()
    assert (spring.starts_on, spring.ends_on) == (START, FINISH)
    stored = CohortMilestone.objects.filter(cohort=spring).values_list("week_number", "item__slug")
    assert list(stored) == [(1, "topic-0"), (1, "topic-1"), (2, "topic-2")]
    page = client_for(mentor).get(f"/cohorts/{spring.pk}/settings/").content.decode()
    assert "week 1: topic-0\nweek 1: topic-1\nweek 2: topic-2</textarea>" in page
    assert 'maxlength="10000"' in page and "Up to 10,000 characters." in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"starts_on": "2026-03-02", "ends_on": "2026-03-01"},
            "The finish date can&#x27;t be before the start date.",
        ),
        (
            {"starts_on": "2026-03-02", "milestones": "week 1: no-such-item"},
            "Line 1: “no-such-item” is not an item of",
        ),
        (
            {"starts_on": "2026-02-01", "ends_on": "2026-02-15"},
            "15 February 2026 has passed. Choose today or a later finish date.",
        ),
        ({"milestones": "week 1: topic-0"}, "Week targets count from the start date: set one."),
        (
            {"starts_on": "2026-03-02", "ends_on": "2026-03-30", "milestones": "week 6: topic-0"},
            "Line 1: week 6 is too late; the finish date falls in week 5.",
        ),
        (
            {"starts_on": "2026-03-02", "milestones": "week 1: topic-0\nweek 2: topic-0"},
            "Line 2: “topic-0” is already due in week 1.",
        ),
        (
            {"starts_on": "2026-03-02", "milestones": "topic-0 in week 1"},
            "Line 1: write “week N: item-slug”",
        ),
        ({"milestones": "x" * 10_001}, "The list can be up to 10,000 characters; this one has"),
    ],
)
def test_a_bad_schedule_says_what_is_wrong_and_changes_nothing(
    before_start, mentor, spring, data, message
):
    response = post_schedule(mentor, spring, **data)
    assert response.status_code == 200
    assert message in response.content.decode()
    spring.refresh_from_db()
    assert (spring.starts_on, spring.ends_on) == (None, None)
    assert not CohortMilestone.objects.filter(cohort=spring).exists()


def test_a_passed_finish_date_already_stored_can_be_kept(time_machine, mentor, spring):
    Cohort.objects.filter(pk=spring.pk).update(starts_on=START, ends_on=FINISH)
    spring.refresh_from_db()
    time_machine.move_to(at(FINISH + timedelta(days=5)), tick=False)
    response = post_schedule(
        mentor, spring, starts_on="2026-03-02", ends_on="2026-03-30", milestones="week 1: topic-0"
    )
    assert response.status_code == 302


def test_an_item_of_another_roadmap_is_not_a_target(before_start, mentor, spring):
    ItemFactory(slug="elsewhere")
    response = post_schedule(mentor, spring, starts_on="2026-03-02", milestones="week 1: elsewhere")
    assert "“elsewhere” is not an item of" in response.content.decode()


@pytest.mark.parametrize("persona", ["other_mentor", "member", "outsider"])
def test_only_the_cohorts_mentors_can_set_its_schedule(before_start, spring, persona, outsider):
    people = {
        "other_mentor": UserFactory(is_mentor=True),
        "member": member(spring),
        "outsider": outsider,
    }
    response = post_schedule(people[persona], spring, starts_on="2026-03-02")
    assert response.status_code == 404
    spring.refresh_from_db()
    assert spring.starts_on is None


def test_the_schedule_refuses_get_and_a_post_without_the_csrf_token(before_start, mentor, spring):
    assert client_for(mentor).get(f"/cohorts/{spring.pk}/schedule/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(mentor)
    response = strict.post(f"/cohorts/{spring.pk}/schedule/", {"starts_on": "2026-03-02"})
    assert response.status_code == 403


# ---- ahead and behind, on every mentor page ---------------------------------------------------


def shown_pace(mentor, cohort, person) -> dict:
    """The pace of `person` on the dashboard, the per-learner page and the CSV."""
    client = client_for(mentor)
    table = client.get(f"/cohorts/{cohort.pk}/").content.decode()
    row = table.split(f"/learners/{person.pk}/")[1].split("</tr>")[0]
    detail = client.get(f"/cohorts/{cohort.pk}/learners/{person.pk}/").content.decode()
    export = client.get(f"/cohorts/{cohort.pk}/export.csv")
    rows = csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode()))
    csv_row = next(r for r in rows if r["email"] == person.email)
    return {
        "dashboard": _pace_text(row),
        "learner page": _pace_text(detail.split("Cohort pace:")[1]),
        "csv": csv_row["cohort_pace"],
        "csv ahead": csv_row["items_ahead_of_cohort_pace"],
    }


def _pace_text(page: str) -> str:
    match = re.search(
        r'<span class="cohort-pace [^"]*">(?:<span aria-hidden="true">.</span> )?([^<]*)</span>',
        page,
    )
    return html.unescape(match.group(1)) if match else "No schedule"


@pytest.mark.parametrize(
    ("day", "done", "expected", "ahead"),
    [
        (START + timedelta(days=7), 3, "1 item ahead of the cohort's pace", "1"),  # 2 due
        (START + timedelta(days=14), 3, "1 item behind the cohort's pace", "-1"),  # 4 due
        (START + timedelta(days=14), 4, "On the cohort's pace", "0"),
        (FINISH, 3, "5 items behind the cohort's pace", "-5"),  # all 8 due
    ],
)
def test_the_dashboard_learner_page_and_csv_agree_on_each_learners_pace(
    time_machine, mentor, spring, items, day, done, expected, ahead
):
    Cohort.objects.filter(pk=spring.pk).update(starts_on=START, ends_on=FINISH)
    time_machine.move_to(at(START), tick=False)
    dana = member(spring)
    for item in items[:done]:
        ProgressFactory(learner=dana, item=item, status=Status.DONE, completed_at=MONDAY)
    time_machine.move_to(at(day, 12), tick=False)
    assert shown_pace(mentor, spring, dana) == {
        "dashboard": expected,
        "learner page": expected,
        "csv": expected,
        "csv ahead": ahead,
    }


def test_week_targets_set_the_pace_and_a_cohort_without_a_schedule_has_none(
    time_machine, mentor, spring, items
):
    time_machine.move_to(at(START), tick=False)
    dana = member(spring)
    assert shown_pace(mentor, spring, dana)["dashboard"] == "No schedule"
    post_schedule(
        mentor, spring, starts_on="2026-03-02", milestones="week 1: topic-0\nweek 1: topic-1"
    )
    time_machine.move_to(at(START + timedelta(days=7)), tick=False)  # week 1 has ended
    figures = shown_pace(mentor, spring, dana)
    assert figures["dashboard"] == figures["csv"] == "2 items behind the cohort's pace"
    table = client_for(mentor).get(f"/cohorts/{spring.pk}/").content.decode()
    assert 'class="plain-col">Cohort pace</th>' in table
    assert "(0 done, 2 due)" in table


# ---- the plan keeps the cohort's dates --------------------------------------------------------


def shown_state(page: str) -> str:
    return re.search(r'class="plan-state plan-(\w+)">', page).group(1)


def learner_pages(person) -> dict:
    client = client_for(person)
    return {url: client.get(url).content.decode() for url in ("/", "/plan/")}


@pytest.fixture
def running(time_machine, spring):
    """Spring LLM runs from START to FINISH; today is its first day."""
    Cohort.objects.filter(pk=spring.pk).update(starts_on=START, ends_on=FINISH)
    spring.refresh_from_db()
    time_machine.move_to(MONDAY, tick=False)
    return spring


def test_without_a_target_of_their_own_the_plan_aims_for_the_cohorts_finish(running):
    dana = member(running, weekly_hours=6)  # 8 items x 4 h at 6 h a week: into April
    for url, body in learner_pages(dana).items():
        assert shown_state(body) == "unreachable", url
        assert "Target: 30 March 2026, your cohort “Spring LLM” finishes then." in body, url
    plan = learner_pages(dana)["/plan/"]
    assert "when your cohort “Spring LLM” finishes, can't be met at 6 h a week" in plan
    assert "It needs 8 h a week" in plan  # 32 h in four weeks
    position = plan_reads.where_am_i(dana, now=MONDAY)
    assert position.target.target_date == FINISH and position.target_cohort == "Spring LLM"


def test_a_cohort_finish_in_reach_is_on_track_not_no_target(running):
    dana = member(running, weekly_hours=10)
    for body in learner_pages(dana).values():
        assert shown_state(body) == "on_track"
        assert "your cohort “Spring LLM” finishes then" in body


def test_an_earlier_target_of_their_own_wins_over_the_cohorts(running):
    dana = member(running, target=date(2026, 3, 20), weekly_hours=20)
    for body in learner_pages(dana).values():
        assert "your cohort “Spring LLM” finishes then" not in body
        assert "for your target of 20 March 2026" in body


def test_a_later_target_of_their_own_gives_way_to_the_cohorts_and_says_so(running):
    dana = member(running, target=date(2026, 6, 1), weekly_hours=10)
    for body in learner_pages(dana).values():
        assert (
            "Target: 30 March 2026, your cohort “Spring LLM” finishes then, before your own "
            "target of 1 June 2026." in body
        )


def test_the_cohorts_date_counts_its_own_roadmap_not_the_learners_others(running, items):
    dana = member(running, weekly_hours=10)
    later = SectionFactory(title="Later")
    for n in range(10):
        ItemFactory(section=later, effort_hours=8, order=n)
    # Followed after the cohort's roadmap: the plan runs into May, the cohort's items by March.
    RoadmapFollow.objects.create(learner=dana, roadmap=later.roadmap, position=5)
    position = plan_reads.where_am_i(dana, now=MONDAY)
    assert position.projected_finish > FINISH
    assert position.state == "on_track" and position.target_cohort == "Spring LLM"


def test_a_finished_cohort_no_longer_sets_the_target(running, time_machine):
    dana = member(running)
    time_machine.move_to(at(FINISH + timedelta(days=1)), tick=False)
    assert plan_reads.where_am_i(dana, now=at(FINISH + timedelta(days=1))).state == "no_target"


def test_week_targets_come_first_in_the_plan_and_the_plan_says_whose_they_are(
    running, mentor, items
):
    dana = member(running)
    post_schedule(mentor, running, starts_on="2026-03-02", milestones="week 1: topic-5")
    items[5].prerequisites.add(items[3])
    plan = client_for(dana).get("/plan/").content.decode()
    this_week = plan.split('id="this-week-list"')[1].split("</ul>")[0]
    assert list(dict.fromkeys(re.findall(r"Topic \d", this_week)))[:2] == ["Topic 3", "Topic 5"]
    due = plan.split('id="cohort-due"')[1].split("</section>")[0]
    assert "Topic 5" in due and "week 1 of “Spring LLM”, due by Sun 8 Mar" in due
    dashboard = client_for(dana).get("/").content.decode()
    next_up = dashboard.split('<ol class="next-up">')[1].split("</ol>")[0]
    assert re.findall(r"Topic \d", next_up)[0] == "Topic 5"
    assert "Due this week for your cohort: Topic 5 (week 1 of “Spring LLM”, by 8 Mar)" in (
        dashboard
    )


def test_saving_a_schedule_refreshes_the_learners_cached_dashboard(
    running, mentor, django_capture_on_commit_callbacks
):
    dana = member(running, weekly_hours=10)
    client = client_for(dana)
    assert "finishes then" in client.get("/").content.decode()  # cached now
    with django_capture_on_commit_callbacks(execute=True):
        post_schedule(mentor, running, starts_on="", ends_on="")
    assert "finishes then" not in client.get("/").content.decode()


def test_every_page_agrees_on_a_plan_the_cohort_sets(running, mentor):
    ontime, late = (
        member(running, name="Olga", weekly_hours=10),
        member(running, name="Luke", weekly_hours=6),
    )
    client = client_for(mentor)
    table = client.get(f"/cohorts/{running.pk}/").content.decode()
    export = b"".join(client.get(f"/cohorts/{running.pk}/export.csv").streaming_content).decode()
    rows = {r["learner"]: r for r in csv.DictReader(io.StringIO(export))}
    for person, state, label in (
        (ontime, "on_track", "On track"),
        (late, "unreachable", "Target unreachable"),
    ):
        for url, body in learner_pages(person).items():
            assert shown_state(body) == state, (person, url)
        plans.ensure_week_snapshot(learner=person)
        digest = plan_reads.weekly_digest(learner=person)
        text = render_to_string("email/weekly_digest.txt", {"digest": digest, "view": digest.view})
        assert f"Status: {label}" in text
        assert "Target: 30 March 2026, your cohort “Spring LLM” finishes then." in text
        row = table.split(f"/learners/{person.pk}/")[1].split("</tr>")[0]
        assert f'<span class="plan plan-{state}">{label}</span>' in row
        detail = client.get(f"/cohorts/{running.pk}/learners/{person.pk}/").content.decode()
        assert f">{label}</strong>" in detail
        assert "Target: 30 March 2026, when this cohort finishes." in detail
        assert rows[person.name]["plan_status"] == state
