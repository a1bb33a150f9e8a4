"""The dashboard at / and the numbers behind it (progress_math.py, selectors/progress.py)."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from tests.factories import ItemFactory, RoadmapFactory, SectionFactory
from tracker.models import Item, ProgressEvent, Roadmap, RoadmapFollow, Status
from tracker.progress_math import (
    NextItem,
    WeekPoint,
    chart,
    next_up,
    streak_weeks,
    week_start,
    weekly_totals,
)
from tracker.selectors.progress import load_dashboard
from tracker.services.follows import follow_roadmap
from tracker.services.progress import set_status

AUCKLAND = ZoneInfo("Pacific/Auckland")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- pure functions -----------------------------------------------------------------------


def test_weeks_start_on_monday():
    assert week_start(date(2026, 12, 2)) == date(2026, 11, 30)  # a Wednesday
    assert week_start(date(2026, 11, 30)) == date(2026, 11, 30)
    assert week_start(date(2026, 11, 29)) == date(2026, 11, 23)  # a Sunday


def test_streak_counts_consecutive_weeks_back_from_this_week():
    now = utc(2026, 12, 2, 12)
    done = [utc(2026, 12, 1, 9), utc(2026, 11, 25, 9), utc(2026, 11, 24, 9), utc(2026, 11, 17)]
    assert streak_weeks(done, tz=ZoneInfo("UTC"), now=now) == 3


def test_a_week_without_anything_done_ends_the_streak():
    now = utc(2026, 12, 2, 12)
    done = [utc(2026, 12, 1), utc(2026, 11, 17), utc(2026, 11, 10)]
    assert streak_weeks(done, tz=ZoneInfo("UTC"), now=now) == 1


def test_this_week_with_nothing_done_yet_counts_from_last_week():
    now = utc(2026, 12, 2, 12)
    done = [utc(2026, 11, 25), utc(2026, 11, 18)]
    assert streak_weeks(done, tz=ZoneInfo("UTC"), now=now) == 2
    assert streak_weeks([utc(2026, 11, 11)], tz=ZoneInfo("UTC"), now=now) == 0
    assert streak_weeks([], tz=ZoneInfo("UTC"), now=now) == 0


def test_the_streak_follows_the_learners_time_zone_across_the_week_boundary():
    # Sunday 22 Nov 20:00 UTC is already Monday 23 Nov 09:00 in Auckland (UTC+13), and
    # Monday 30 Nov 10:00 UTC is Monday 30 Nov 23:00 there.
    done = [utc(2026, 11, 22, 20), utc(2026, 11, 30, 10)]
    now = utc(2026, 12, 1, 0)
    # In UTC the first falls in the week of 16 Nov: the week of 23 Nov is empty.
    assert streak_weeks(done, tz=ZoneInfo("UTC"), now=now) == 1
    # In Auckland they are the weeks of 23 and 30 Nov: two in a row.
    assert streak_weeks(done, tz=AUCKLAND, now=now) == 2


def test_now_is_read_in_the_learners_zone_too():
    # Sunday 29 Nov 12:00 UTC is Monday 30 Nov 01:00 in Auckland: a new week has begun there,
    # with nothing done yet, so the streak counts from the week before.
    done = [utc(2026, 11, 25)]
    now = utc(2026, 11, 29, 12)
    assert streak_weeks(done, tz=AUCKLAND, now=now) == 1
    assert streak_weeks(done, tz=ZoneInfo("UTC"), now=now) == 1


def test_weekly_totals_replay_the_history_and_count_undoing():
    tz = ZoneInfo("UTC")
    events = [
        (1, Status.DONE, utc(2026, 11, 10)),
        (2, Status.SKIPPED, utc(2026, 11, 11)),
        (3, Status.DONE, utc(2026, 11, 18)),
        (1, Status.IN_PROGRESS, utc(2026, 11, 25)),  # undone
    ]
    points = weekly_totals(events, tz=tz, now=utc(2026, 12, 2))
    assert points == [
        WeekPoint(date(2026, 11, 9), done=1, skipped=1),
        WeekPoint(date(2026, 11, 16), done=2, skipped=1),
        WeekPoint(date(2026, 11, 23), done=1, skipped=1),
        WeekPoint(date(2026, 11, 30), done=1, skipped=1),
    ]


def test_weekly_totals_show_at_most_twelve_weeks_and_at_least_two():
    tz = ZoneInfo("UTC")
    now = utc(2026, 12, 2)
    long_ago = [(1, Status.DONE, utc(2025, 1, 6))]
    points = weekly_totals(long_ago, tz=tz, now=now)
    assert len(points) == 12
    assert points[0].done == 1  # the earlier history still counts
    assert [p.week for p in weekly_totals([], tz=tz, now=now)] == [
        date(2026, 11, 23),
        date(2026, 11, 30),
    ]


def test_chart_scales_points_into_the_plot_in_percent():
    points = [WeekPoint(date(2026, 11, 23), 0, 0), WeekPoint(date(2026, 11, 30), 3, 1)]
    drawn = chart(points)
    # x: the middles of two columns; y: 100 (zero) up to 0 (the axis top, 4)
    assert drawn.done_points == "25.0,100.0 75.0,25.0"
    assert drawn.finished_points == "25.0,100.0 75.0,0.0"
    assert [value for value, _ in drawn.y_ticks] == [0, 1, 2, 3, 4]
    assert drawn.x_labels == [("23 Nov", True), ("30 Nov", True)]
    assert not drawn.empty


def test_a_phone_shows_half_the_week_labels_and_always_the_latest():
    weeks = [WeekPoint(date(2026, 9, 7) + timedelta(weeks=n), n, 0) for n in range(12)]
    labels = chart(weeks).x_labels
    assert [label for label, _ in labels if label] == [
        "14 Sep",
        "28 Sep",
        "12 Oct",
        "26 Oct",
        "9 Nov",
        "23 Nov",
    ]
    assert [label for label, on_phone in labels if on_phone] == ["28 Sep", "26 Oct", "23 Nov"]
    assert len(labels) == 12  # one column per week


def test_a_chart_with_nothing_finished_is_empty():
    assert chart([WeekPoint(date(2026, 11, 23), 0, 0), WeekPoint(date(2026, 11, 30), 0, 0)]).empty


def test_chart_axis_top_is_a_round_number_above_the_highest_point():
    points = [WeekPoint(date(2026, 11, 30), 37, 0)]
    assert chart(points).y_ticks[-1][0] == 40
    assert chart([WeekPoint(date(2026, 11, 30), 0, 0)]).y_ticks[-1][0] == 4


def test_next_up_skips_finished_items_and_items_waiting_on_prerequisites():
    items = [NextItem(1), NextItem(2, (1,)), NextItem(3), NextItem(4, (2, 3))]
    assert next_up(items, {}) == [1, 3]
    assert next_up(items, {1: Status.SKIPPED}) == [2, 3]
    assert next_up(items, {1: Status.DONE, 2: Status.DONE, 3: Status.IN_PROGRESS}) == [3]
    assert next_up(items, {1: "done", 2: "done", 3: "done"}) == [4]
    assert next_up(items, {}, limit=1) == [1]


# --- the page -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def roadmap(db):
    roadmap = RoadmapFactory(slug="llm", title="LLM Roadmap")
    basics = SectionFactory(roadmap=roadmap, title="Basics", order=1)
    projects = SectionFactory(roadmap=roadmap, title="Projects", order=2)
    a = ItemFactory(section=basics, slug="a", title="Alpha", order=1)
    b = ItemFactory(section=basics, slug="b", title="Beta", order=2)
    b.prerequisites.add(a)
    c = ItemFactory(section=basics, slug="c", title="Gamma", order=3)
    d = ItemFactory(section=projects, slug="d", title="Delta", order=4, kind=Item.Kind.PROJECT)
    d.prerequisites.add(b, c)
    return roadmap


def items_of(roadmap):
    return {item.slug: item for item in roadmap.items.all()}


def test_visitors_get_the_landing_page(client, roadmap):
    page = client.get("/").content.decode()
    assert "Start learning" in page
    assert "Next up" not in page


def test_new_learner_sees_next_up_in_the_plans_order(learner_client, learner, roadmap):
    follow_roadmap(learner=learner, roadmap=roadmap)  # chosen in the first-run step
    page = learner_client.get("/").content.decode()
    next_up_list = page.split('id="next-heading"')[1].split("</ol>")[0]
    # The plan's order: roadmap order, a prerequisite (Alpha for Beta) always first.
    assert re.findall(r">(Alpha|Beta|Gamma|Delta)</a>", next_up_list) == [
        "Alpha",
        "Beta",
        "Gamma",
        "Delta",
    ]
    assert "0 done · 4 in all" in page
    assert "No streak yet" in page


def test_dashboard_shows_progress_next_up_activity_and_streak(learner_client, learner, roadmap):
    items = items_of(roadmap)
    set_status(learner=learner, item=items["a"], status=Status.DONE)
    set_status(learner=learner, item=items["c"], status=Status.SKIPPED, skip_reason="known")
    set_status(learner=learner, item=items["b"], status=Status.IN_PROGRESS)

    page = learner_client.get("/").content.decode()

    overall = page.split('id="overall-heading"')[1].split("</section>")[0]
    assert "1 done · 1 skipped · 4 in all" in overall
    by_section = page.split('id="sections-heading"')[1].split("</section>")[0]
    assert "Basics" in by_section and "1 done · 1 skipped · 3 in all" in by_section
    assert "Projects" in by_section and "0 done · 1 in all" in by_section
    next_up_list = page.split('id="next-heading"')[1].split("</ol>")[0]
    assert re.findall(r">(Alpha|Beta|Gamma|Delta)</a>", next_up_list) == ["Beta", "Delta"]
    assert "In progress" in next_up_list
    activity = page.split('id="activity-heading"')[1].split("</section>")[0]
    assert activity.index("Beta") < activity.index("Gamma") < activity.index("Alpha")
    assert "1-week streak" in page
    assert "Your dashboard" in page


def test_next_up_follows_the_followed_roadmaps_in_their_order(learner_client, learner, roadmap):
    other = RoadmapFactory(slug="mlops", title="MLOps")
    ItemFactory(section=SectionFactory(roadmap=other), title="Docker first", order=1)
    RoadmapFollow.objects.create(learner=learner, roadmap=other, position=0)
    RoadmapFollow.objects.create(learner=learner, roadmap=roadmap, position=1)
    page = learner_client.get("/").content.decode()
    next_up_list = page.split('id="next-heading"')[1].split("</ol>")[0]
    assert re.findall(r">(Docker first|Alpha|Gamma)</a>", next_up_list) == [
        "Docker first",
        "Alpha",
        "Gamma",
    ]


def test_chart_is_svg_without_inline_styles_and_has_a_table_alternative(
    learner_client, learner, roadmap
):
    items = items_of(roadmap)
    set_status(learner=learner, item=items["a"], status=Status.DONE)
    page = learner_client.get("/").content.decode()
    svg = page.split('<svg class="chart-svg"')[1].split("<figcaption")[0]
    assert "<polyline" in svg and "<title" in svg and "<desc" in svg
    assert "style=" not in page
    assert "<script>" not in page and "onclick" not in page
    table = page.split('<table class="chart-table">')[1].split("</table>")[0]
    this_monday = week_start(timezone.localdate())
    assert f'<th scope="row">{this_monday:%-d %b %Y}</th><td>1</td><td>0</td>' in table


def test_archived_items_leave_the_bars_but_stay_in_the_history(learner_client, learner, roadmap):
    items = items_of(roadmap)
    set_status(learner=learner, item=items["a"], status=Status.DONE)
    Item.objects.filter(pk=items["a"].pk).update(archived_at=timezone.now())
    page = learner_client.get("/").content.decode()
    assert "0 done · 3 in all" in page
    activity = page.split('id="activity-heading"')[1].split("</section>")[0]
    assert "Alpha" in activity and "Archived" in activity
    assert "1-week streak" in page


def test_times_in_recent_activity_are_in_the_learners_zone(learner_client, learner, roadmap):
    learner.time_zone = "Pacific/Auckland"
    learner.save()
    with time_machine.travel(utc(2026, 11, 29, 12), tick=False):
        set_status(learner=learner, item=items_of(roadmap)["a"], status=Status.DONE)
        page = learner_client.get("/").content.decode()
    assert "Mon 30 Nov, 01:00" in page


def test_plan_indicator_shows_a_learner_without_a_target_their_projected_finish(
    learner_client, learner, roadmap
):
    follow_roadmap(learner=learner, roadmap=roadmap)
    page = learner_client.get("/").content.decode()
    assert "plan-indicator" in page and "No target" in page and "you'd finish around" in page
    assert 'href="/me/">Set a target date' in page


def _content_and_history(learner, *, sections: int, items: int, history: int):
    roadmap = RoadmapFactory(slug="big")
    made = []
    for s in range(sections):
        section = SectionFactory(roadmap=roadmap, order=s)
        for n in range(items):
            item = ItemFactory(section=section, order=s * 100 + n)
            if made:
                item.prerequisites.add(made[-1])
            made.append(item)
    start = timezone.now() - timedelta(weeks=20)
    for n in range(history):
        item = made[n % len(made)]
        status = [Status.IN_PROGRESS, Status.DONE, Status.SKIPPED][n % 3]
        with time_machine.travel(start + timedelta(days=n), tick=False):
            set_status(learner=learner, item=item, status=status)


@pytest.mark.parametrize(
    ("sections", "items", "history"), [(1, 2, 0), (1, 2, 60), (6, 10, 0), (6, 10, 60)]
)
def test_dashboard_runs_a_fixed_number_of_queries(
    learner_client, learner, sections, items, history, django_assert_max_num_queries
):
    _content_and_history(learner, sections=sections, items=items, history=history)
    # (set_status followed it already when there is history)
    RoadmapFollow.objects.get_or_create(learner=learner, roadmap=Roadmap.objects.get(slug="big"))
    # A cold cache: session (django_session), user; the plan (where_am_i): follows, items
    # with roadmaps, prerequisite links, progress rows with item hours, cohort schedules,
    # progress events (the pace factor), review cards, week plan snapshots; the dashboard:
    # items (with sections and roadmaps), the weeks with something done, the chart's events,
    # the latest events with their items; the nudges not dismissed.
    with django_assert_max_num_queries(15):
        response = learner_client.get("/")
    assert response.status_code == 200
    assert ProgressEvent.objects.filter(learner=learner).count() == history


def test_load_dashboard_works_without_http(learner, roadmap):
    set_status(learner=learner, item=items_of(roadmap)["a"], status=Status.DONE)
    ids = [item.pk for item in roadmap.items.order_by("order")]
    dashboard = load_dashboard(learner, [roadmap], now=timezone.now(), next_up_ids=ids[1:3])
    assert dashboard.counts.done == 1
    assert [item.slug for item in dashboard.next_up] == ["b", "c"]
    assert dashboard.streak == 1
    assert dashboard.weeks[-1].done == 1
