"""Calibrated estimates (issue 19, point 2): a learner's pace factor from their start and done
events scales their remaining plan on every page, and admins see each item's measured hours."""

import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import ItemFactory, SectionFactory, UserFactory
from tracker import pace, planning
from tracker.models import Cohort, Item, Membership, ProgressEvent, RoadmapFollow, Status, User
from tracker.selectors import pace as pace_reads
from tracker.selectors import plans as plan_reads
from tracker.services.progress import set_status

MONDAY = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
MINI = Path(__file__).parent / "data/import/mini.yaml"


@pytest.fixture
def items(db):
    section = SectionFactory(title="Basics")
    return [
        ItemFactory(
            section=section, title=f"Topic {n}", slug=f"topic-{n}", effort_hours=10, order=n
        )
        for n in range(12)
    ]


def learner_of(roadmap, *, weekly_hours=10, **fields) -> User:
    person = UserFactory(display_name="Dana", weekly_hours=weekly_hours, **fields)
    RoadmapFollow.objects.create(learner=person, roadmap=roadmap)
    return person


def study(time_machine, learner, item, *, start: datetime, days: float) -> datetime:
    """Start `item` at `start`, mark it done `days` later, through the real write; the end."""
    time_machine.move_to(start, tick=False)
    set_status(learner=learner, item=item, status=Status.IN_PROGRESS)
    end = start + timedelta(days=days)
    time_machine.move_to(end, tick=False)
    set_status(learner=learner, item=item, status=Status.DONE)
    return end


def study_in_a_row(time_machine, learner, items, *, days: float, start=MONDAY) -> datetime:
    for item in items:
        start = study(time_machine, learner, item, start=start, days=days)
    return start


def page(client, person, url) -> str:
    client.force_login(person)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# ---- the factor from real events -----------------------------------------------------------


def test_a_week_between_start_and_done_at_10_hours_a_week_is_10_hours(items, time_machine):
    person = learner_of(items[0].roadmap)
    study(time_machine, person, items[0], start=MONDAY, days=7)
    intervals = pace_reads.intervals_for([person.pk])[person.pk]
    assert pace.study_hours(intervals, person.weekly_hours) == {items[0].pk: 10.0}


def test_no_factor_before_three_items_then_the_median_ratio(items, time_machine):
    person = learner_of(items[0].roadmap)
    end = study_in_a_row(time_machine, person, items[:2], days=14)  # 20 h against 10 h
    assert pace_reads.pace_factor(person) is None
    study(time_machine, person, items[2], start=end, days=14)
    assert pace_reads.pace_factor(person) == 2.0


def test_an_item_done_without_being_started_or_reopened_since_does_not_count(items, time_machine):
    person = learner_of(items[0].roadmap)
    end = study_in_a_row(time_machine, person, items[:3], days=14)
    set_status(learner=person, item=items[3], status=Status.DONE)  # never started
    set_status(learner=person, item=items[0], status=Status.IN_PROGRESS)  # reopened
    intervals = pace_reads.intervals_for([person.pk])[person.pk]
    assert {i.item_id for i in intervals} == {items[1].pk, items[2].pk}
    assert pace_reads.pace_factor(person) is None
    time_machine.move_to(end + timedelta(days=7), tick=False)
    set_status(learner=person, item=items[0], status=Status.DONE)  # a week after reopening
    assert pace_reads.pace_factor(person) == 2.0  # median of 2, 2 and 1


# ---- the plan, scaled -----------------------------------------------------------------------


def test_the_remaining_plan_is_scaled_and_turning_it_off_restores_the_estimates(
    client, items, time_machine
):
    person = learner_of(items[0].roadmap)
    end = study_in_a_row(time_machine, person, items[:3], days=14)
    position = plan_reads.where_am_i(person, now=end)
    assert position.pace_factor == 2.0 and position.pace_scaled
    assert position.remaining_hours == 9 * 20
    body = page(client, person, "/plan/")
    assert "180 h from now" in body
    assert "You take about 2.0× the estimates" in body
    assert "between starting and finishing" in body
    # Off from /plan/: an unticked box posts nothing.
    response = client.post("/plan/pace/", {}, follow=True)
    assert "uses the roadmap&#x27;s estimates as they are" in response.content.decode()
    person.refresh_from_db()
    assert person.use_pace_factor is False
    position = plan_reads.where_am_i(person, now=end)
    assert position.remaining_hours == 9 * 10 and not position.pace_scaled
    body = page(client, person, "/plan/")
    assert "Your plan uses the roadmap&#x27;s estimates, as you chose." in body
    assert "Adjust my plan to my pace" in body
    client.post("/plan/pace/", {"use_pace_factor": "on"})
    person.refresh_from_db()
    assert person.use_pace_factor is True
    assert client.get("/plan/pace/").status_code == 405


def test_me_offers_the_switch_too(client, items):
    person = learner_of(items[0].roadmap)
    body = page(client, person, "/me/")
    assert 'name="use_pace_factor"' in body and "Adjust my plan to my pace" in body


def test_before_three_items_plan_says_where_the_estimates_come_from(client, items):
    body = page(client, learner_of(items[0].roadmap), "/plan/")
    assert "Your plan uses the roadmap&#x27;s estimates. After 3 items" in body
    assert "the roadmap's estimate for a typical learner" in body
    assert "×" not in body.split('id="pace"')[1].split("</div>")[0]


def test_the_setting_is_the_learners_own(client, items, outsider):
    person = learner_of(items[0].roadmap)
    client.force_login(person)
    client.post("/plan/pace/", {})
    outsider.refresh_from_db()
    assert outsider.use_pace_factor is True


def test_dashboard_plan_mentor_view_and_digest_agree(client, items, mentor, time_machine):
    roadmap = items[0].roadmap
    cohort = Cohort.objects.create(name="Pace", roadmap=roadmap)
    cohort.mentors.add(mentor)
    person = learner_of(roadmap, target_date=date(2026, 12, 31))
    Membership.objects.create(cohort=cohort, learner=person)
    end = study_in_a_row(time_machine, person, items[:3], days=10.5)  # 1.5×
    position = plan_reads.where_am_i(person, now=end)
    assert position.pace_factor == pytest.approx(1.5)
    assert plan_reads.plan_statuses([person], now=end)[person.pk] == position
    note = "Plan hours are scaled to your pace: about 1.5× the estimates."
    for url in ("/", "/plan/"):
        assert note in page(client, person, url), url
    detail = page(client, mentor, f"/cohorts/{cohort.pk}/learners/{person.pk}/")
    assert "Hours are scaled to Dana's pace: about 1.5× the estimates" in detail
    finish = position.projected_finish
    assert f"projected to be finished by {finish:%-d %b %Y}" in detail
    assert f">{position.label}</strong>" in detail
    digest = plan_reads.weekly_digest(learner=person, now=end)
    text = render_to_string("email/weekly_digest.txt", {"digest": digest, "view": digest.view})
    assert note in text and f"Projected finish: {finish:%-d %B %Y}" in text
    assert digest.view.position == position


def test_a_paced_snapshot_keeps_behind_in_the_estimates(client, items, time_machine):
    # A 2× learner who does exactly their scaled plan is not behind, in Python or in SQL.
    from tracker.selectors import cohort_dashboard
    from tracker.selectors import cohorts as cohort_reads
    from tracker.services import plans

    person = learner_of(items[0].roadmap, target_date=date(2026, 12, 31))
    # No review time in the week, so that its hours are the paced items' alone.
    person.spaced_review = False
    person.save(update_fields=["spaced_review"])
    end = study_in_a_row(time_machine, person, items[:3], days=14)  # Monday 16 February
    plans.save_week_plan(learner=person, now=end)
    entries = person.week_plans.get().entries
    assert entries[0]["hours"] == 10 and entries[0]["estimate"] == 5
    study(time_machine, person, items[3], start=end, days=14)  # 20 h planned over two weeks
    later = end + timedelta(weeks=4)
    time_machine.move_to(later, tick=False)
    position = plan_reads.where_am_i(person, now=later)
    # The paced week planned 10 h, 5 h of estimates; items 2 and 3 were done since it began.
    assert position.planned_hours == 5 and position.done_hours == 20
    assert not position.behind_weekly_plan
    mentor = UserFactory(is_mentor=True)
    cohort = Cohort.objects.create(name="Pace", roadmap=items[0].roadmap)
    cohort.mentors.add(mentor)
    Membership.objects.create(cohort=cohort, learner=person)
    sections = cohort_reads.section_columns(cohort)
    board = cohort_dashboard.dashboard(
        cohort, sections, now=later, sort="name", direction="asc", show="all", number=1
    )
    assert "Behind weekly plan" not in board.rows[0].reasons


def test_a_learner_consistently_slower_sees_the_finish_move_out_with_them(items, time_machine):
    # Twelve 10 h items at 10 h a week: a learner who takes 1.5× on every item finishes in
    # 18 weeks, not 12. From the third item on, the projection says so, month after month.
    person = learner_of(items[0].roadmap)
    ends = []
    start = MONDAY
    for item in items:
        start = study(time_machine, person, item, start=start, days=10.5)
        ends.append(start)
    actual_finish = ends[-1].date()
    for done in (9, 6, 3):  # latest first: each replay forgets only what came after it
        now = ends[done - 1]
        # Replay the history up to that moment: the projection as it looked then.
        ProgressEvent.objects.filter(learner=person, at__gt=now).delete()
        _restore_statuses(person, items, done)
        person.use_pace_factor = True
        paced = plan_reads.where_am_i(person, now=now).projected_finish
        person.use_pace_factor = False
        estimated = plan_reads.where_am_i(person, now=now).projected_finish
        assert abs((paced - actual_finish).days) <= 7, (done, paced, actual_finish)
        assert (actual_finish - estimated).days >= 7 * (12 - done) // 3, (done, estimated)


def _restore_statuses(person, items, done):
    from tracker.models import Progress

    Progress.objects.filter(learner=person, item__in=items[done:]).delete()


@given(
    st.lists(st.integers(1, 40), min_size=1, max_size=15),
    st.floats(pace.LOWEST, pace.HIGHEST),
    st.integers(1, 60),
)
def test_a_scaled_plan_never_puts_more_than_the_weekly_hours_in_a_week(hours, factor, weekly):
    items = [
        planning.PlanItem(id=n, title=str(n), hours=pace.scaled_hours(h, factor))
        for n, h in enumerate(hours)
    ]
    plan = planning.make_plan(items, weekly_hours=weekly, today=MONDAY)
    assert all(week.hours <= weekly for week in plan.weeks)
    assert plan.total_hours == sum(pace.scaled_hours(h, factor) for h in hours)


# ---- query counts ---------------------------------------------------------------------------


def test_plan_statuses_cost_the_same_queries_with_a_long_history(items, time_machine):
    def learners_with_history(count, done):
        people = [learner_of(items[0].roadmap) for _ in range(count)]
        for person in people:
            study_in_a_row(time_machine, person, items[:done], days=7)
        return people

    counts = []
    for people in (learners_with_history(2, 1), learners_with_history(6, 5)):
        with CaptureQueriesContext(connection) as queries:
            plan_reads.plan_statuses(people)
        counts.append(len(queries))
    # plan inputs (8: cohort schedules, pace events and review cards included), snapshots,
    # finished progress
    assert counts == [10, 10]


# ---- admins: measured hours and "use this" ---------------------------------------------------


def finished_by(item, weekly_hours: list[int], *, days=7):
    """Learners who each started `item` and finished it `days` later, alone."""
    for hours in weekly_hours:
        person = UserFactory(weekly_hours=hours)
        start = MONDAY
        ProgressEvent.objects.create(
            learner=person,
            item=item,
            status=Status.IN_PROGRESS,
            previous_status=Status.NOT_STARTED,
            at=start,
        )
        ProgressEvent.objects.create(
            learner=person,
            item=item,
            status=Status.DONE,
            previous_status=Status.IN_PROGRESS,
            at=start + timedelta(days=days),
        )


def test_admins_see_the_median_only_from_five_learners(admin_client, items):
    measured, sparse = items[0], items[1]
    finished_by(measured, [4, 6, 8, 10, 12])
    finished_by(sparse, [4, 6, 8, 10])
    change = admin_client.get(f"/admin/tracker/item/{measured.pk}/change/").content.decode()
    assert "8.0 h, median of 5 learners" in change
    change = admin_client.get(f"/admin/tracker/item/{sparse.pk}/change/").content.decode()
    assert "not enough data (4 learners)" in change
    listing = admin_client.get("/admin/tracker/item/").content.decode()
    assert "8.0 h, median of 5 learners" in listing
    assert "not enough data (4 learners)" in listing
    assert "not enough data (0 learners)" in listing


def test_the_item_list_measures_its_page_in_a_constant_number_of_queries(admin_client, items):
    def listing_queries():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get("/admin/tracker/item/").status_code == 200
        return len(queries)

    finished_by(items[0], [5] * 5)
    few = listing_queries()
    for item in items[1:]:
        finished_by(item, [5] * 5)
    assert listing_queries() == few


def test_use_this_sets_the_estimate_and_export_carries_it_to_content(admin_client, tmp_path, items):
    call_command("import_roadmap", str(MINI), stdout=io.StringIO(), stderr=io.StringIO())
    attention = Item.objects.get(roadmap__slug="mini", slug="attention")
    embeddings = Item.objects.get(roadmap__slug="mini", slug="embeddings")
    assert attention.effort_hours == 6
    finished_by(attention, [4, 6, 9, 10, 12])  # median 9 h
    finished_by(embeddings, [4, 6])
    response = admin_client.post(
        "/admin/tracker/item/",
        {
            "action": "use_measured_estimate",
            "_selected_action": [attention.pk, embeddings.pk],
        },
        follow=True,
    )
    body = response.content.decode()
    assert f"{attention.title}: 6 h → 9 h" in body
    assert f"{embeddings.title} (2 learners)" in body
    attention.refresh_from_db()
    embeddings.refresh_from_db()
    assert (attention.effort_hours, embeddings.effort_hours) == (9, 4)
    path = tmp_path / "mini.yaml"
    call_command("export_roadmap", "mini", "-o", str(path), stderr=io.StringIO())
    exported = yaml.safe_load(path.read_text(encoding="utf-8"))
    hours = {
        item["slug"]: item["effort_hours"]
        for section in exported["sections"]
        for item in section.get("items", [])
    }
    assert hours["attention"] == 9 and hours["embeddings"] == 4
    # The admin's edit survives an import of the old file, and the exported file is a no-op.
    out = io.StringIO()
    call_command("import_roadmap", str(MINI), stdout=out, stderr=io.StringIO())
    attention.refresh_from_db()
    assert attention.effort_hours == 9
    out = io.StringIO()
    call_command("import_roadmap", str(path), stdout=out, stderr=io.StringIO())
    assert "up to date" in out.getvalue()
    assert re.search(r"attention", path.read_text(encoding="utf-8"))
