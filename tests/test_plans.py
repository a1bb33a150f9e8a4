"""Plan snapshots, plan status, the /plan/ page, the calendar feed and its token."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from tests.builders import pressed_status
from tests.factories import (
    ItemFactory,
    ProgressFactory,
    RoadmapFactory,
    SectionFactory,
    UserFactory,
)
from tracker import ical
from tracker.models import Progress, RoadmapFollow, Status, WeekPlan
from tracker.planning import PlanState
from tracker.selectors import plans as plan_reads
from tracker.services import plans

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(MONDAY, tick=False)


@pytest.fixture
def roadmap(db):
    return RoadmapFactory(title="LLM roadmap")


def add_items(roadmap, count, hours=4, start=0):
    section = SectionFactory(roadmap=roadmap)
    return [
        ItemFactory(
            section=section, title=f"Topic {start + n}", effort_hours=hours, order=start + n + 1
        )
        for n in range(count)
    ]


@pytest.fixture
def items(roadmap):
    return add_items(roadmap, 6)


@pytest.fixture
def following(learner, outsider, roadmap, items):
    for person in (learner, outsider):
        RoadmapFollow.objects.create(learner=person, roadmap=roadmap)
    learner.weekly_hours = 8
    learner.save()
    return learner


def visit_plan(learner):
    """What GET /plan/ does: save this week's snapshot when due, then read the plan."""
    snapshots = plans.ensure_week_snapshot(learner=learner)
    return plan_reads.plan_view(learner=learner, snapshots=snapshots)


def done(learner, item, at=MONDAY):
    return ProgressFactory(
        learner=learner, item=item, status=Status.DONE, completed_at=at, started_at=at
    )


# ---- snapshots ------------------------------------------------------------------------------


def test_the_first_visit_saves_this_weeks_snapshot(following, learner_client, items):
    response = learner_client.get("/plan/")
    assert response.status_code == 200
    snapshot = WeekPlan.objects.get(learner=following)
    assert snapshot.week_start == date(2026, 3, 2)
    assert [e["item"] for e in snapshot.entries] == [items[0].pk, items[1].pk]
    assert [row.item_id for row in response.context["plan"].this_week] == [items[0].pk, items[1].pk]


def test_this_weeks_list_does_not_shift_while_the_learner_works(
    following, learner_client, roadmap, items
):
    learner_client.get("/plan/")
    done(following, items[0])
    # New content earlier in the roadmap does not reshuffle the current week either.
    ItemFactory(section=items[0].section, title="Brand new", effort_hours=1, order=0)
    body = learner_client.get("/plan/").content.decode()
    this_week = body.split('id="this-week"')[1].split("Upcoming weeks")[0]
    assert "Topic 0" in this_week and "Topic 1" in this_week and "Brand new" not in this_week
    assert "4 of 8 h done" in this_week
    # Topic 0 shows as done: its Done button is the pressed one.
    assert pressed_status(this_week, items[0]) == "done"
    # Upcoming weeks were recomputed and pick up the new item.
    assert "Brand new" in body.split("Upcoming weeks")[1]


def test_upcoming_weeks_continue_a_split_item_where_this_week_leaves_it(learner, roadmap):
    big = add_items(roadmap, 1, hours=10)[0]
    RoadmapFollow.objects.create(learner=learner, roadmap=roadmap)
    learner.weekly_hours = 4
    learner.save()
    view = visit_plan(learner)
    assert [(r.item_id, r.hours, r.continues_next) for r in view.this_week] == [(big.pk, 4, True)]
    assert [w.hours for w in view.upcoming.weeks] == [4, 2]
    assert view.upcoming.weeks[0].start == date(2026, 3, 9)
    assert view.upcoming.weeks[0].entries[0].continues_from_previous
    assert view.projected_finish == date(2026, 3, 9) + timedelta(days=7 + 3)


def test_items_left_undone_last_week_come_back_next_week(following, items, time_machine):
    plans.ensure_week_snapshot(learner=following)  # week of 2 March: Topic 0, Topic 1
    time_machine.move_to(MONDAY + timedelta(weeks=1), tick=False)
    view = visit_plan(following)
    assert [row.title for row in view.this_week] == ["Topic 0", "Topic 1"]
    assert view.past[0].planned_hours == 8 and view.past[0].done_hours == 0
    assert view.past[0].adherence == 0


def test_ensuring_this_weeks_snapshot_twice_saves_it_once(following, items):
    first = plans.ensure_week_snapshot(learner=following)
    done(following, items[0])
    again = plans.ensure_week_snapshot(learner=following)
    assert [s.pk for s in again] == [s.pk for s in first]
    # The second call kept the week as it was planned: progress does not reshuffle it.
    assert [e["item"] for e in again[0].entries] == [items[0].pk, items[1].pk]
    assert WeekPlan.objects.filter(learner=following).count() == 1


def test_replan_resets_only_the_signed_in_learners_week(
    following, outsider, learner_client, items, client
):
    plans.ensure_week_snapshot(learner=following)
    plans.ensure_week_snapshot(learner=outsider)
    outsider_entries = WeekPlan.objects.get(learner=outsider).entries
    done(following, items[0])
    done(following, items[1])

    response = learner_client.post("/plan/replan/")
    assert response.status_code == 302 and response["Location"] == "/plan/"
    assert [e["item"] for e in WeekPlan.objects.get(learner=following).entries] == [
        items[2].pk,
        items[3].pk,
    ]
    assert WeekPlan.objects.get(learner=outsider).entries == outsider_entries
    assert WeekPlan.objects.count() == 2


def test_replan_with_htmx_returns_only_the_plan_body(following, learner_client):
    response = learner_client.post("/plan/replan/", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="plan-body">')
    assert "<html" not in body and "re-planned" in body


def test_the_replan_button_keeps_its_id_so_focus_returns_to_it_after_the_swap(
    following, learner_client
):
    # htmx moves focus back only to an element with the id of the one pressed.
    page = learner_client.get("/plan/").content.decode()
    swapped = learner_client.post("/plan/replan/", headers={"HX-Request": "true"})
    assert 'id="replan-button"' in page
    assert 'id="replan-button"' in swapped.content.decode()


def test_replan_refuses_get_and_anonymous_visitors(following, learner_client, client):
    assert learner_client.get("/plan/replan/").status_code == 405
    client.logout()
    response = client.post("/plan/replan/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/plan/").status_code == 302


def test_the_plan_page_has_no_id_in_its_urls_to_reach_another_learners_plan(
    following, outsider, learner_client
):
    plans.ensure_week_snapshot(learner=outsider)
    assert learner_client.get(f"/plan/{outsider.pk}/").status_code == 404
    assert learner_client.post(f"/plan/replan/{outsider.pk}/").status_code == 404
    body = learner_client.get("/plan/").content.decode()
    assert outsider.email not in body and outsider.calendar_token not in body


# ---- plan status ----------------------------------------------------------------------------


def aim_for(learner, target=date(2026, 12, 31)):
    learner.target_date = target
    learner.save(update_fields=["target_date"])
    return learner


def test_plan_status_is_no_target_without_one_and_on_track_with_one_in_reach(following):
    assert plan_reads.plan_status(following).state == PlanState.NO_TARGET
    plans.ensure_week_snapshot(learner=following)
    assert plan_reads.plan_status(following).state == PlanState.NO_TARGET
    aim_for(following)
    assert plan_reads.plan_status(following).state == PlanState.ON_TRACK


def test_falling_more_than_a_week_short_is_behind(following, items, time_machine):
    aim_for(following)
    # Two past weeks planned 8 h each; 4 h done. 16 - 4 = 12 > 8: behind.
    for week in range(2):
        time_machine.move_to(MONDAY + timedelta(weeks=week), tick=False)
        plans.ensure_week_snapshot(learner=following)
    done(following, items[0], at=MONDAY + timedelta(days=1))
    time_machine.move_to(MONDAY + timedelta(weeks=2), tick=False)
    status = plan_reads.plan_status(following)
    assert (status.state, status.planned_hours, status.done_hours, status.behind_by) == (
        PlanState.BEHIND,
        16,
        4,
        12,
    )
    # Catching up this week counts: 8 more hours done leaves a 4 h gap, within a week's budget.
    done(following, items[1])
    done(following, items[2])
    assert plan_reads.plan_status(following).state == PlanState.ON_TRACK


def test_skipping_a_planned_item_does_not_count_against_the_learner(following, items, time_machine):
    aim_for(following)
    plans.ensure_week_snapshot(learner=following)
    time_machine.move_to(MONDAY + timedelta(weeks=1), tick=False)
    plans.ensure_week_snapshot(learner=following)
    time_machine.move_to(MONDAY + timedelta(weeks=2), tick=False)
    for item in items[:2]:
        ProgressFactory(learner=following, item=item, status=Status.SKIPPED)
    status = plan_reads.plan_status(following)
    # Week 1 planned Topics 0-1 (skipped), week 2 the same again: nothing left to count.
    assert status.planned_hours == 0 and status.state == PlanState.ON_TRACK


def test_plan_statuses_costs_eight_queries_for_five_or_fifty_learners(roadmap, items):
    def make(count):
        people = UserFactory.create_batch(count, target_date=date(2026, 12, 31))
        for person in people:
            RoadmapFollow.objects.create(learner=person, roadmap=roadmap)
            plans.save_week_plan(learner=person, now=MONDAY - timedelta(weeks=1))
            done(person, items[0])
        return people

    for people in (make(5), make(50)):
        with CaptureQueriesContext(connection) as queries:
            statuses = plan_reads.plan_statuses(people)
        # load_plan_inputs_for: active roadmaps, follows, progress, items, prerequisite
        # links, cohort schedules, progress events (pace factors), review cards; then the learners'
        # snapshots; their done/skipped progress with item hours.
        assert len(queries) == 10
        assert {s.state for s in statuses.values()} == {PlanState.ON_TRACK}
        assert set(statuses) == {p.pk for p in people}


# ---- the page -------------------------------------------------------------------------------


def test_the_plan_page_runs_the_same_queries_for_little_or_much_progress(
    following, learner_client, roadmap, django_assert_max_num_queries, time_machine
):
    plans.ensure_week_snapshot(learner=following)  # no insert in the measured request

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert learner_client.get("/plan/").status_code == 200
        return len(queries)

    small = count()
    more = add_items(roadmap, 40, hours=3, start=10)
    for item in more[:30]:
        done(following, item)
    large = count()
    assert small == large
    # session, user, follows, items, prerequisite links, progress (with item hours), cohort
    # schedules, progress events (the pace factor), review cards, snapshots.
    with django_assert_max_num_queries(10):
        learner_client.get("/plan/")


def test_the_plan_page_status_controls_post_back_to_the_plan(following, learner_client, items):
    body = learner_client.get("/plan/").content.decode()
    row = body.split(f'id="plan-row-{items[0].pk}"')[1].split("</li>")[0]
    assert (
        f'action="{reverse("set_item_status", args=[items[0].roadmap.slug, items[0].slug])}"' in row
    )
    assert 'name="place" value="item"' in row and 'name="next" value="/plan/"' in row
    # The endpoint answers htmx with the controls block the plan row targets.
    response = learner_client.post(
        reverse("set_item_status", args=[items[0].roadmap.slug, items[0].slug]),
        {"status": "done", "place": "item", "next": "/plan/"},
        headers={"HX-Request": "true"},
    )
    assert f'id="item-status-{items[0].pk}"' in response.content.decode()
    assert Progress.objects.get(learner=following, item=items[0]).status == Status.DONE


def test_the_page_shows_past_weeks_with_adherence(following, learner_client, items, time_machine):
    plans.ensure_week_snapshot(learner=following)
    done(following, items[0], at=MONDAY + timedelta(days=2))
    time_machine.move_to(MONDAY + timedelta(weeks=1), tick=False)
    body = learner_client.get("/plan/").content.decode()
    past = body.split("Past weeks")[1]
    assert "2 Mar – 8 Mar 2026" in past
    assert "<td>8 h</td>" in past and "<td>4 h</td>" in past and "50%" in past


def test_a_target_out_of_reach_says_the_weekly_hours_that_would_meet_it(following, learner_client):
    # 24 h at 8 h/week ends on 22 March; a target of 15 March needs 12 h a week.
    following.target_date = date(2026, 3, 15)
    following.save()
    body = learner_client.get("/plan/").content.decode()
    assert "can&#x27;t be met at 8 h a week" in body or "can't be met at 8 h a week" in body
    assert "It needs 12 h a week" in body


def test_the_plan_says_which_roadmaps_it_covers_and_links_to_their_order(following, learner_client):
    body = learner_client.get("/plan/").content.decode()
    assert "roadmaps you follow" in body
    assert f'href="{reverse("my_roadmaps")}"' in body


def test_a_learner_without_roadmap_items_is_told_how_to_start(learner, learner_client, db):
    body = learner_client.get("/plan/").content.decode()
    assert "Nothing to plan yet" in body and 'href="/roadmaps/"' in body
    assert not WeekPlan.objects.exists()


def test_a_learner_who_finished_everything_is_told_so(following, learner_client, items):
    for item in items:
        done(following, item)
    body = learner_client.get("/plan/").content.decode()
    assert "All done" in body and "Follow another roadmap" in body


# ---- calendar -------------------------------------------------------------------------------


def test_the_calendar_feed_parses_back_with_one_event_per_week(
    following, client, items, time_machine, settings
):
    settings.SITE_URL = "https://roadmap.example.org"
    plans.ensure_week_snapshot(learner=following)
    time_machine.move_to(MONDAY + timedelta(weeks=1), tick=False)
    plans.ensure_week_snapshot(learner=following)
    response = client.get(f"/plan/calendar/{following.calendar_token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    starts = [event.decoded("dtstart") for event in events]
    # Past week, this week, then the projected weeks for what is left (8 h/week).
    assert starts == [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16), date(2026, 3, 23)]
    first = events[0]
    assert first.decoded("dtend") == date(2026, 3, 9)
    assert "Topic 0 (4 h)" in str(first.get("description"))
    assert str(first.get("url")) == "https://roadmap.example.org/plan/"
    assert len({str(event.get("uid")) for event in events}) == len(events)


def test_reading_the_calendar_feed_never_saves_a_snapshot(following, client):
    response = client.get(f"/plan/calendar/{following.calendar_token}.ics")
    # This week is planned on the fly; only /plan/ and the rollover save it.
    assert "Topic 0 (4 h)" in response.content.decode()
    assert not WeekPlan.objects.exists()


def test_a_week_with_nothing_planned_gets_no_event_and_one_item_reads_singular():
    row = ical.CalendarRow("Tokenizers", 3, False, True)
    feed = ical.study_plan_calendar(
        [ical.CalendarWeek(date(2026, 3, 2), []), ical.CalendarWeek(date(2026, 3, 9), [row])],
        learner_id=7,
        now=MONDAY,
        plan_url="https://roadmap.example.org/plan/",
    )
    events = Calendar.from_ical(feed).walk("VEVENT")
    assert [event.decoded("dtstart") for event in events] == [date(2026, 3, 9)]
    assert str(events[0].get("summary")) == "Study plan: 3 h, 1 item"
    assert "- Tokenizers (3 h, continues next week)" in str(events[0].get("description"))


def test_a_regenerated_token_revokes_the_old_feed(following, learner_client, client):
    old = following.calendar_token
    assert client.get(f"/plan/calendar/{old}.ics").status_code == 200
    response = learner_client.post("/me/calendar-token/")
    assert response.status_code == 302
    following.refresh_from_db()
    assert following.calendar_token != old and len(following.calendar_token) >= 22
    assert client.get(f"/plan/calendar/{old}.ics").status_code == 404
    assert client.get(f"/plan/calendar/{following.calendar_token}.ics").status_code == 200


def test_regenerating_the_token_with_htmx_returns_the_new_address(following, learner_client):
    response = learner_client.post("/me/calendar-token/", headers={"HX-Request": "true"})
    following.refresh_from_db()
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="panel" id="calendar"')
    assert f"/plan/calendar/{following.calendar_token}.ics" in body


def test_the_calendar_token_endpoint_refuses_get_and_anonymous_visitors(following, client):
    old = following.calendar_token
    assert client.post("/me/calendar-token/").status_code == 302  # to the login page
    client.force_login(following)
    assert client.get("/me/calendar-token/").status_code == 405
    following.refresh_from_db()
    assert following.calendar_token == old


def test_an_unknown_calendar_token_is_a_404(db, client):
    assert client.get("/plan/calendar/not-a-real-token.ics").status_code == 404


def test_the_settings_page_offers_the_calendar_address(following, learner_client):
    body = learner_client.get("/me/").content.decode()
    assert f"/plan/calendar/{following.calendar_token}.ics" in body
    assert 'action="/me/calendar-token/"' in body


def test_the_weeks_done_count_refreshes_as_an_htmx_fragment(following, learner_client, items):
    body = learner_client.get("/plan/").content.decode()
    assert 'hx-trigger="htmx:afterRequest from:#this-week-list"' in body
    done(following, items[0])
    response = learner_client.get(
        "/plan/", {"part": "this-week-progress"}, headers={"HX-Request": "true"}
    )
    fragment = response.content.decode().strip()
    assert fragment.startswith('<p id="this-week-progress"') and fragment.endswith("</p>")
    assert "4 of 8 h done" in fragment


def test_the_dashboard_shows_the_plan_indicator(following, learner_client, items, time_machine):
    assert "No target" in learner_client.get("/").content.decode()
    aim_for(following)
    for week in range(3):  # two past weeks of 8 h planned, nothing done
        time_machine.move_to(MONDAY + timedelta(weeks=week), tick=False)
        plans.ensure_week_snapshot(learner=following)
    learner_client.force_login(following)  # two weeks on, the first session has expired
    body = learner_client.get("/").content.decode()
    assert " Behind</strong>: 16 h short of the 16 h planned" in body
    assert 'href="/plan/"' in body


def test_staff_can_view_but_not_edit_snapshots_in_the_admin(following, admin_client):
    snapshot = visit_plan(following).this_week_snapshot
    changelist = admin_client.get(reverse("admin:tracker_weekplan_changelist"))
    assert changelist.status_code == 200 and str(following) in changelist.content.decode()
    page = admin_client.get(reverse("admin:tracker_weekplan_change", args=[snapshot.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert admin_client.get(reverse("admin:tracker_weekplan_add")).status_code == 403


def test_the_page_shows_each_learners_own_local_week(following, outsider, client, time_machine):
    # Sunday 1 March 11:30 UTC is Monday 00:30 in Auckland, Sunday 03:30 in Los Angeles.
    time_machine.move_to(datetime(2026, 3, 1, 11, 30, tzinfo=UTC), tick=False)
    following.time_zone = "Pacific/Auckland"
    following.save()
    outsider.time_zone = "America/Los_Angeles"
    outsider.save()
    client.force_login(following)
    assert "Mon 2 Mar – Sun 8 Mar" in client.get("/plan/").content.decode()
    client.force_login(outsider)
    assert "Mon 23 Feb – Sun 1 Mar" in client.get("/plan/").content.decode()
    assert WeekPlan.objects.get(learner=following).week_start == date(2026, 3, 2)
    assert WeekPlan.objects.get(learner=outsider).week_start == date(2026, 2, 23)


def test_the_calendar_address_button_keeps_its_id_across_htmx_swaps(client, db):
    # htmx gives focus back only to an element with the id of the one pressed.
    client.force_login(UserFactory())

    token = client.post(reverse("calendar_token"), headers={"HX-Request": "true"})

    assert 'id="calendar-token-button"' in token.content.decode()
