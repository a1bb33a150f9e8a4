"""Where am I: one position (status, pace, next-up, finish, this week) on every page."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.template.loader import render_to_string
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import ItemFactory, ProgressFactory, SectionFactory, UserFactory
from tracker import at_risk, planning
from tracker.models import Cohort, Membership, RoadmapFollow, Status, WeekPlan
from tracker.planning import PlanState
from tracker.selectors import plans as plan_reads
from tracker.services import plans

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FAR_TARGET = date(2026, 12, 31)


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(MONDAY, tick=False)


@pytest.fixture
def items(db):
    section = SectionFactory(title="Basics")
    return [
        ItemFactory(section=section, title=f"Topic {n}", slug=f"topic-{n}", effort_hours=4, order=n)
        for n in range(6)
    ]


@pytest.fixture
def roadmap(items):
    return items[0].roadmap


@pytest.fixture
def study_cohort(roadmap, mentor):
    cohort = Cohort.objects.create(name="Study cohort", roadmap=roadmap)
    cohort.mentors.add(mentor)
    return cohort


def make_learner(roadmap, cohort=None, *, name="Dana", target=None, weekly_hours=8):
    person = UserFactory(display_name=name, weekly_hours=weekly_hours, target_date=target)
    RoadmapFollow.objects.create(learner=person, roadmap=roadmap)
    if cohort:
        Membership.objects.create(cohort=cohort, learner=person)
    return person


def done(learner, item, at=MONDAY):
    return ProgressFactory(
        learner=learner, item=item, status=Status.DONE, completed_at=at, started_at=at
    )


def shown_state(page: str) -> tuple[str, str]:
    """The state and label of the status line (dashboard and /plan/)."""
    state, label = re.search(r'class="plan-state plan-(\w+)">(.*?)</strong>', page, re.S).groups()
    return state, re.sub(r"<[^>]+>.*?</span>", "", label).strip()


def page(client, person, url):
    client.force_login(person)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# ---- the pure core ------------------------------------------------------------------------


states = st.fixed_dictionaries(
    {
        "has_items": st.booleans(),
        "open_items": st.integers(0, 5),
        "target_date": st.none() | st.dates(date(2026, 1, 1), date(2027, 1, 1)),
        "projected_finish": st.none() | st.dates(date(2026, 1, 1), date(2027, 1, 1)),
        "today": st.dates(date(2026, 1, 1), date(2027, 1, 1)),
        "shortfall": st.integers(-20, 40),
        "weekly_hours": st.integers(1, 60),
    }
)


@settings(max_examples=60, deadline=None)
@given(states)
def test_status_is_finished_exactly_when_nothing_is_left(facts):
    state = planning.plan_state(**facts)
    if facts["has_items"]:
        assert (state == PlanState.FINISHED) == (facts["open_items"] == 0)


@settings(max_examples=60, deadline=None)
@given(states)
def test_status_is_no_target_exactly_when_there_is_none_and_work_is_left(facts):
    state = planning.plan_state(**facts)
    if facts["has_items"] and facts["open_items"]:
        assert (state == PlanState.NO_TARGET) == (facts["target_date"] is None)


@settings(max_examples=60, deadline=None)
@given(states)
def test_on_track_never_goes_with_a_passed_or_missed_target(facts):
    if planning.plan_state(**facts) == PlanState.ON_TRACK:
        target = facts["target_date"]
        assert target is not None and target >= facts["today"]
        assert facts["projected_finish"] is None or facts["projected_finish"] <= target


def test_next_up_keeps_this_weeks_items_first_then_the_plans_order_each_once():
    assert planning.next_up_order([3, 1], (1, 2, 4, 5), limit=4) == (3, 1, 2, 4)


def test_pace_counts_the_last_four_weeks_of_done_hours():
    recent = [(MONDAY - timedelta(days=3), 10), (MONDAY - timedelta(days=20), 10)]
    assert planning.recent_pace([*recent, (MONDAY - timedelta(days=40), 100)], now=MONDAY) == 5


# ---- the problems of issue 13, one test each ----------------------------------------------


def test_on_track_never_shows_beside_a_passed_target(client, roadmap):
    # Saved before it passed (the form now refuses a past date).
    person = make_learner(roadmap, target=date(2026, 2, 20))
    for url in ("/plan/", "/"):
        body = page(client, person, url)
        assert "On track" not in body
        assert shown_state(body) == ("unreachable", "Target unreachable")
        assert "has passed" in body and 'href="/me/">Set a new target' in body


def test_on_track_never_shows_beside_an_unreachable_target(client, roadmap):
    person = make_learner(roadmap, target=date(2026, 3, 4))  # 24 h at 8 h a week: 3 weeks
    body = page(client, person, "/plan/")
    assert "can't be met" in body and "On track" not in body
    assert shown_state(body) == ("unreachable", "Target unreachable")


def test_nothing_done_and_no_target_is_not_on_track_for_learner_or_mentor(
    client, roadmap, study_cohort, mentor
):
    person = make_learner(roadmap, study_cohort)
    # /plan/ first: it saves the week's snapshot, which used to make this "On track".
    for url in ("/plan/", "/"):
        body = page(client, person, url)
        assert "On track" not in body
        assert shown_state(body) == ("no_target", "No target")
        assert "At 8 h a week you'd finish around <strong>22 March 2026</strong>" in body
    table = page(client, mentor, f"/cohorts/{study_cohort.pk}/")
    assert '<span class="muted">never</span>' in table
    assert '<span class="plan plan-no_target">No target</span>' in table
    assert "On track" not in table


def test_a_finished_item_never_says_continues_next_week(client, db):
    section = SectionFactory()
    big = ItemFactory(section=section, title="Big one", effort_hours=12, order=1)
    person = make_learner(section.roadmap)
    body = page(client, person, "/plan/")
    row = body.split(f'id="plan-row-{big.pk}"')[1].split("</li>")[0]
    assert "continues next week" in row  # 12 h over an 8 h week
    done(person, big)
    row = page(client, person, "/plan/").split(f'id="plan-row-{big.pk}"')[1].split("</li>")[0]
    assert "continues next week" not in row


def test_once_the_weeks_hours_are_done_plan_offers_the_next_items_not_a_no_op_replan(
    client, roadmap, items
):
    person = make_learner(roadmap, target=FAR_TARGET)
    page(client, person, "/plan/")  # this week: Topics 0 and 1
    done(person, items[0])
    done(person, items[1])
    body = page(client, person, "/plan/")
    more = body.split('id="more-work"')[1].split("</section>")[0]
    assert "pull in more work" in more
    assert re.findall(r'href="[^"]*/(topic-\d)/"', more) == [
        "topic-2",
        "topic-3",
        "topic-4",
        "topic-5",
    ]
    assert "Re-plan this week" not in body
    # Looking never changes the frozen week.
    entries = WeekPlan.objects.get(learner=person).entries
    assert [e["item"] for e in entries] == [items[0].pk, items[1].pk]


def test_every_upcoming_week_is_visible_with_links_to_its_items(client, roadmap, items):
    person = make_learner(roadmap, weekly_hours=1)  # 24 weeks of 1 h
    body = page(client, person, "/plan/")
    upcoming = body.split('id="upcoming-heading"')[1].split("</section>")[0]
    assert "more week" not in upcoming.split("<details")[0]
    assert '<details class="plan-more-weeks"' in upcoming
    assert len(re.findall(r"<h3>", upcoming)) == 23  # every week after this one
    for item in items[1:]:
        assert f'href="{item.get_absolute_url()}"' in upcoming


def test_the_dashboard_and_plan_agree_on_having_a_plan_and_on_next_up_order(client, db):
    section = SectionFactory()
    first = ItemFactory(section=section, title="Second in the list", order=2, effort_hours=4)
    needed = ItemFactory(section=section, title="Needed first", order=3, effort_hours=4)
    first.prerequisites.add(needed)
    ItemFactory(section=section, title="Last", order=4, effort_hours=4)
    person = make_learner(section.roadmap)
    # Before any visit to /plan/ (no snapshot yet) the dashboard already shows the plan.
    dashboard = page(client, person, "/")
    assert "No study plan yet" not in dashboard
    next_up = dashboard.split('<ol class="next-up">')[1].split("</ol>")[0]
    plan = page(client, person, "/plan/")
    plan_titles = re.findall(r'class="item-title" href="[^"]*">([^<]+)</a>', plan)
    plan_titles += re.findall(
        r'<li><a href="[^"]*">([^<]+)</a>', plan.split('id="upcoming-heading"')[1]
    )
    dashboard_titles = re.findall(r'<a href="[^"]*">([^<]+)</a>', next_up)
    assert dashboard_titles == plan_titles == ["Needed first", "Second in the list", "Last"]
    assert shown_state(dashboard) == shown_state(plan)


def test_the_digest_shows_the_same_status_as_the_plan(roadmap):
    person = make_learner(roadmap)
    plans.ensure_week_snapshot(learner=person)
    digest = plan_reads.weekly_digest(learner=person)
    text = render_to_string("email/weekly_digest.txt", {"digest": digest, "view": digest.view})
    assert "Status: No target" in text
    assert digest.view.position == plan_reads.where_am_i(person, now=MONDAY)


# ---- the cross-page story -----------------------------------------------------------------


def _learner_in_each_status(roadmap, cohort, items, time_machine):
    made = {
        PlanState.NO_TARGET: make_learner(roadmap, cohort, name="Nora"),
        PlanState.ON_TRACK: make_learner(roadmap, cohort, name="Olga", target=FAR_TARGET),
        PlanState.BEHIND: make_learner(roadmap, cohort, name="Ben", target=FAR_TARGET),
        PlanState.UNREACHABLE: make_learner(roadmap, cohort, name="Uma", target=date(2026, 3, 4)),
        PlanState.FINISHED: make_learner(roadmap, cohort, name="Finn"),
    }
    for week in (2, 1):  # two past weeks of 8 h planned, nothing done
        plans.save_week_plan(learner=made[PlanState.BEHIND], now=MONDAY - timedelta(weeks=week))
    for item in items:
        done(made[PlanState.FINISHED], item, at=MONDAY - timedelta(days=3))
    return made


def test_every_page_shows_the_same_status_for_each_learner(
    client, roadmap, items, study_cohort, mentor, time_machine
):
    made = _learner_in_each_status(roadmap, study_cohort, items, time_machine)
    for state, person in made.items():
        expected = (state.value, state.label)
        assert shown_state(page(client, person, "/")) == expected, person
        assert shown_state(page(client, person, "/plan/")) == expected, person
        digest = plan_reads.weekly_digest(learner=person)
        text = render_to_string("email/weekly_digest.txt", {"digest": digest, "view": digest.view})
        assert f"Status: {state.label}" in text
        detail = page(client, mentor, f"/cohorts/{study_cohort.pk}/learners/{person.pk}/")
        assert f">{state.label}</strong>" in detail
    table = page(client, mentor, f"/cohorts/{study_cohort.pk}/")
    for state, person in made.items():
        row = table.split(f"{study_cohort.pk}/learners/{person.pk}/")[1].split("</tr>")[0]
        assert f'<span class="plan plan-{state.value}">{state.label}</span>' in row


def test_pulling_in_more_work_adds_next_weeks_items_once_and_only_when_asked(
    client, roadmap, items
):
    person = make_learner(roadmap, target=FAR_TARGET)
    page(client, person, "/plan/")
    # Before the week's list is worked through the button adds nothing.
    client.post("/plan/pull-in/")
    assert len(WeekPlan.objects.get(learner=person).entries) == 2
    done(person, items[0])
    done(person, items[1])
    assert client.get("/plan/pull-in/").status_code == 405
    response = client.post("/plan/pull-in/", follow=True)
    assert "Added 2 items to this week." in response.content.decode()
    client.post("/plan/pull-in/")  # a second click: the new items are still open
    entries = WeekPlan.objects.get(learner=person).entries
    assert [e["item"] for e in entries] == [item.pk for item in items[:4]]
    body = page(client, person, "/plan/")
    this_week = body.split('id="this-week-list"')[1].split("</ul>")[0]
    assert "Topic 3" in this_week and 'id="more-work"' not in body
    assert "Re-plan this week" in body


def test_falling_behind_the_weekly_plan_is_a_reason_a_mentor_sees_target_or_not():
    # The status column says "No target" or "Target unreachable"; the reason says why to look.
    reasons = at_risk.at_risk_reasons(
        last_active=MONDAY,
        joined_at=MONDAY - timedelta(days=3),
        stuck_item=None,
        behind_weekly_plan=True,
        now=MONDAY,
    )
    assert reasons == ["Behind weekly plan"]


def test_every_page_agrees_when_the_cohorts_finish_date_is_the_target(
    client, roadmap, items, study_cohort, mentor
):
    # 24 h of items: 8 h a week finish on 22 March, 12 h a week on 15 March.
    Cohort.objects.filter(pk=study_cohort.pk).update(
        starts_on=MONDAY.date(), ends_on=date(2026, 3, 20)
    )
    made = {
        PlanState.UNREACHABLE: make_learner(roadmap, study_cohort, name="Nora"),
        PlanState.ON_TRACK: make_learner(roadmap, study_cohort, name="Olga", weekly_hours=12),
        # An earlier target of her own wins, and it is hers the pages name.
        PlanState.BEHIND: make_learner(
            roadmap, study_cohort, name="Ben", target=date(2026, 3, 18), weekly_hours=12
        ),
    }
    for week in (2, 1):
        plans.save_week_plan(learner=made[PlanState.BEHIND], now=MONDAY - timedelta(weeks=week))
    source = "Target: 20 March 2026, your cohort “Study cohort” finishes then."
    client.force_login(mentor)
    response = client.get(f"/cohorts/{study_cohort.pk}/export.csv")
    export = {
        row["email"]: row
        for row in csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    }
    table = page(client, mentor, f"/cohorts/{study_cohort.pk}/")
    for state, person in made.items():
        expected = (state.value, state.label)
        own = state == PlanState.BEHIND
        for url in ("/", "/plan/"):
            body = page(client, person, url)
            assert shown_state(body) == expected, (person, url)
            assert (source in body) != own, (person, url)
        digest = plan_reads.weekly_digest(learner=person)
        text = render_to_string("email/weekly_digest.txt", {"digest": digest, "view": digest.view})
        assert f"Status: {state.label}" in text and (source in text) != own
        detail = page(client, mentor, f"/cohorts/{study_cohort.pk}/learners/{person.pk}/")
        assert f">{state.label}</strong>" in detail
        assert ("when this cohort finishes" in detail) != own
        row = table.split(f"{study_cohort.pk}/learners/{person.pk}/")[1].split("</tr>")[0]
        assert f'<span class="plan plan-{state.value}">{state.label}</span>' in row
        assert export[person.email]["plan_status"] == state.value
