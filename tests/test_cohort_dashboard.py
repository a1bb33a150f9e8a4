"""The mentor's views of a cohort: figures checked by hand, at-risk reasons, sorting, heatmap,
per-item and per-learner pages, the CSV export, and the dashboard's query budget."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client

from tests.builders import client_for
from tests.factories import (
    ItemFactory,
    RoadmapFactory,
    SectionFactory,
    UserFactory,
)
from tracker import at_risk
from tracker.models import (
    Cohort,
    Membership,
    Progress,
    ProgressEvent,
    RoadmapFollow,
    Status,
    User,
    WeekPlan,
)
from tracker.planning import PlanState
from tracker.selectors import cohort_dashboard
from tracker.selectors import cohorts as cohort_reads
from tracker.services.follows import follow_roadmap
from tracker.services.progress import set_status

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)  # a Wednesday


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def mentor_client(mentor):
    client = Client()
    client.force_login(mentor)
    return client


def ago(**delta) -> datetime:
    return NOW - timedelta(**delta)


def record(learner, item, status, *, at, started_at=None, note="") -> Progress:
    """A progress row plus its event, as set_status would leave them at `at`."""
    progress, _ = Progress.objects.update_or_create(
        learner=learner,
        item=item,
        defaults={
            "status": status,
            "started_at": started_at or at,
            "completed_at": at if status == Status.DONE else None,
            "note": note,
        },
    )
    ProgressEvent.objects.create(
        learner=learner, item=item, status=status, previous_status=Status.NOT_STARTED, at=at
    )
    return progress


@pytest.fixture
def small_cohort(frozen, mentor):
    """Three learners on a roadmap of two sections (3 + 2 items), checked by hand below.

    - Ann: done a1 (2 days ago) and a2 (10 days ago), b1 in progress since yesterday,
      b2 skipped. 2/5 = 40 %, Basics 2/3 = 66 %, Projects 0 %, 1 done in 7 days.
    - Ben: done all five in the last 3 days, plus an archived item and another roadmap's
      item that must not count. 100 %, 5 done in 7 days.
    - Cat: joined 20 days ago and never did anything: 0 %, stalled.
    """
    roadmap = RoadmapFactory(slug="small", title="Small roadmap")
    basics = SectionFactory(roadmap=roadmap, title="Basics", order=1)
    projects = SectionFactory(roadmap=roadmap, title="Projects", order=2)
    SectionFactory(roadmap=roadmap, title="Careers", order=3)  # no items: no column
    items = {
        slug: ItemFactory(section=section, slug=slug, title=slug.upper(), order=n)
        for n, (slug, section) in enumerate(
            [("a1", basics), ("a2", basics), ("a3", basics), ("b1", projects), ("b2", projects)]
        )
    }
    archived = ItemFactory(section=basics, slug="old", archived_at=ago(days=30), order=9)
    elsewhere = ItemFactory(slug="elsewhere")

    cohort = Cohort.objects.create(name="Small cohort", roadmap=roadmap)
    cohort.mentors.add(mentor)
    ann = UserFactory(email="ann@example.com", display_name="Ann", weekly_hours=10)
    ben = UserFactory(email="ben@example.com", display_name="Ben", weekly_hours=10)
    cat = UserFactory(email="cat@example.com", display_name="Cat", weekly_hours=10)
    for learner in (ann, ben, cat):
        Membership.objects.create(cohort=cohort, learner=learner, joined_at=ago(days=20))
        follow_roadmap(learner=learner, roadmap=roadmap)  # as joining does

    record(ann, items["a1"], Status.DONE, at=ago(days=2))
    record(ann, items["a2"], Status.DONE, at=ago(days=10))
    record(ann, items["b1"], Status.IN_PROGRESS, at=ago(days=1))
    record(ann, items["b2"], Status.SKIPPED, at=ago(days=3))
    for n, item in enumerate(items.values()):
        record(ben, item, Status.DONE, at=ago(days=3, hours=-n))
    record(ben, archived, Status.DONE, at=ago(hours=5))
    record(ben, elsewhere, Status.DONE, at=ago(hours=1))
    return {"cohort": cohort, "items": items, "ann": ann, "ben": ben, "cat": cat}


def rows_by_name(cohort) -> dict[str, at_risk.LearnerRow]:
    sections = cohort_reads.section_columns(cohort)
    return {row.name: row for row in cohort_reads.learner_rows(cohort, sections, now=NOW)}


# ---- aggregates, by hand ----------------------------------------------------------------------


def test_aggregates_match_a_hand_count(small_cohort):
    cohort = small_cohort["cohort"]
    sections = cohort_reads.section_columns(cohort)
    assert [(s.title, s.item_count) for s in sections] == [("Basics", 3), ("Projects", 2)]

    rows = rows_by_name(cohort)
    ann, ben, cat = rows["Ann"], rows["Ben"], rows["Cat"]
    assert (ann.done, ann.skipped, ann.in_progress, ann.total) == (2, 1, 1, 5)
    assert ann.overall_pct == 40
    assert ann.section_pcts == [66, 0]
    assert ann.done_recent == 1
    assert ann.last_active == ago(days=1)

    assert (ben.done, ben.skipped, ben.overall_pct, ben.section_pcts) == (5, 0, 100, [100, 100])
    assert ben.done_recent == 5
    # Ben's latest change on this roadmap, not the archived item's or another roadmap's.
    assert ben.last_active == ago(days=3, hours=-4)

    assert (cat.done, cat.overall_pct, cat.section_pcts, cat.done_recent) == (0, 0, [0, 0], 0)
    assert cat.last_active is None


def test_dashboard_shows_the_figures(small_cohort, mentor_client):
    cohort = small_cohort["cohort"]
    page = mentor_client.get(f"/cohorts/{cohort.pk}/?sort=name&dir=asc").content.decode()
    assert page.index("Ann") < page.index("Ben") < page.index("Cat")
    # One cell of bars per learner instead of a column per section, each bar with its text.
    assert page.count('<th scope="col"') == 8 and ">Basics</th>" not in page
    assert "Careers" not in page
    assert "<title>Basics: 66% (2 of 3)</title>" in page
    assert '<span class="section-figure-title">Basics</span> <span class="pct">66%</span>' in page
    assert "40%" in page and "100%" in page
    assert "2/5, 1 skipped" in page
    assert "1 learner at risk" in page  # Cat, stalled
    assert "No activity for 14 days" in page


# ---- at-risk reasons --------------------------------------------------------------------------


def _one_learner_cohort(mentor, *, joined_days_ago=30, weekly_hours=4):
    section = SectionFactory(title="Only")
    item = ItemFactory(section=section, slug="eight-hours", title="Eight hours", effort_hours=8)
    cohort = Cohort.objects.create(name="Solo", roadmap=section.roadmap)
    cohort.mentors.add(mentor)
    learner = UserFactory(display_name="Solo", weekly_hours=weekly_hours)
    Membership.objects.create(cohort=cohort, learner=learner, joined_at=ago(days=joined_days_ago))
    follow_roadmap(learner=learner, roadmap=cohort.roadmap)  # as joining does
    return cohort, learner, item


@pytest.mark.parametrize(("days", "stalled"), [(13, False), (15, True)])
def test_no_activity_for_14_days_is_a_risk(frozen, mentor, days, stalled):
    cohort, learner, item = _one_learner_cohort(mentor)
    record(learner, item, Status.DONE, at=ago(days=days))
    row = rows_by_name(cohort)["Solo"]
    assert ("No activity for 14 days" in row.reasons) is stalled
    assert row.at_risk is stalled


def test_a_learner_who_just_joined_is_not_stalled(frozen, mentor):
    cohort, _, _ = _one_learner_cohort(mentor, joined_days_ago=2)
    assert rows_by_name(cohort)["Solo"].reasons == []


@pytest.mark.parametrize(
    ("started", "stuck"),
    [
        # 8 h at 4 h a week = 2 weeks' estimate; 3x = 6 weeks.
        (timedelta(weeks=6, hours=1), True),
        (timedelta(weeks=5, days=6), False),
    ],
)
def test_an_item_in_progress_beyond_three_times_its_estimate_is_a_risk(
    frozen, mentor, started, stuck
):
    cohort, learner, item = _one_learner_cohort(mentor)
    # Recent activity elsewhere on the roadmap, so only the stuck rule can fire.
    other = ItemFactory(section=item.section, slug="other")
    record(learner, other, Status.DONE, at=ago(days=1))
    record(learner, item, Status.IN_PROGRESS, at=ago(days=1), started_at=NOW - started)
    row = rows_by_name(cohort)["Solo"]
    expected = ["“Eight hours” in progress for over 3 times its estimate"] if stuck else []
    assert row.reasons == expected
    assert (
        at_risk.is_stuck(started_at=NOW - started, effort_hours=8, weekly_hours=4, now=NOW) is stuck
    )


def test_estimated_weeks_follow_the_learners_weekly_hours(frozen, mentor):
    # 8 h at 1 h a week = 8 weeks' estimate: 7 weeks in progress is fine.
    cohort, learner, item = _one_learner_cohort(mentor, weekly_hours=1)
    record(learner, item, Status.IN_PROGRESS, at=ago(days=1), started_at=ago(weeks=7))
    assert rows_by_name(cohort)["Solo"].reasons == []


def test_behind_plan_is_a_risk(frozen, mentor, monkeypatch):
    from tracker.selectors import plans

    cohort, learner, item = _one_learner_cohort(mentor)
    record(learner, item, Status.DONE, at=ago(days=1))
    monkeypatch.setattr(
        plans,
        "plan_statuses",
        lambda learners, now: {
            u.pk: plans.Position(
                state=PlanState.BEHIND, weekly_hours=5, planned_hours=12, done_hours=4
            )
            for u in learners
        },
    )
    row = rows_by_name(cohort)["Solo"]
    assert row.plan_label == "Behind"
    assert row.reasons == ["Behind weekly plan"]


def test_plan_status_comes_from_the_plans_area(frozen, mentor):
    cohort, learner, item = _one_learner_cohort(mentor)
    record(learner, item, Status.DONE, at=ago(days=1))
    # The roadmap's one item is done: the plans area says "finished", which is not a risk.
    row = rows_by_name(cohort)["Solo"]
    assert row.plan_status == PlanState.FINISHED
    assert row.reasons == []


def test_a_mentor_sees_one_plan_label_and_creates_no_snapshot(frozen, mentor, mentor_client):
    cohort, learner, item = _one_learner_cohort(mentor)
    record(learner, item, Status.DONE, at=ago(days=1))
    dashboard = mentor_client.get(f"/cohorts/{cohort.pk}/").content.decode()
    page = mentor_client.get(f"/cohorts/{cohort.pk}/learners/{learner.pk}/").content.decode()
    assert '<span class="plan plan-finished">Finished</span>' in dashboard
    assert "Plan status: <strong" in page and ">Finished</strong>" in page
    # Looking is read-only: the learner's week is snapshotted when they (or the rollover) do.
    assert not WeekPlan.objects.filter(learner=learner).exists()


def test_at_risk_reasons_combine():
    reasons = at_risk.at_risk_reasons(
        last_active=ago(days=40),
        joined_at=ago(days=60),
        stuck_item="RLHF",
        behind_weekly_plan=True,
        now=NOW,
    )
    assert reasons == [
        "No activity for 14 days",
        "“RLHF” in progress for over 3 times its estimate",
        "Behind weekly plan",
    ]


# ---- sorting ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "order"),
    [
        ("sort=name&dir=asc", ["Ann", "Ben", "Cat"]),
        ("sort=name&dir=desc", ["Cat", "Ben", "Ann"]),
        ("sort=overall&dir=desc", ["Ben", "Ann", "Cat"]),
        ("sort=overall&dir=asc", ["Cat", "Ann", "Ben"]),
        ("sort=recent&dir=desc", ["Ben", "Ann", "Cat"]),
        ("sort=last_active&dir=desc", ["Ann", "Ben", "Cat"]),
        ("sort=status&dir=desc", ["Cat", "Ann", "Ben"]),
        ("", ["Cat", "Ann", "Ben"]),  # default: at risk first, then by name
        ("sort=nonsense&dir=sideways", ["Cat", "Ann", "Ben"]),
    ],
)
def test_dashboard_sorts_by_each_column(small_cohort, mentor_client, query, order):
    cohort = small_cohort["cohort"]
    response = mentor_client.get(f"/cohorts/{cohort.pk}/?{query}")
    assert response.status_code == 200
    names = [row.name for row in response.context["rows"]]
    assert names == order


def test_sort_links_work_without_javascript(small_cohort, mentor_client):
    cohort = small_cohort["cohort"]
    page = mentor_client.get(f"/cohorts/{cohort.pk}/?sort=overall&dir=desc").content.decode()
    # The current column's link flips the direction; the others start at their default.
    assert 'href="?sort=overall&amp;dir=asc"' in page
    assert 'aria-sort="descending"' in page
    assert 'href="?sort=name&amp;dir=asc"' in page


def test_sorting_with_htmx_returns_only_the_table(small_cohort, mentor_client):
    cohort = small_cohort["cohort"]
    response = mentor_client.get(
        f"/cohorts/{cohort.pk}/?sort=name&dir=asc", headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="learner-table">')
    assert "<html" not in page and "Ann" in page


# ---- heatmap, item and learner pages -------------------------------------------------------


def test_heatmap_never_relies_on_colour_alone(small_cohort, mentor_client):
    cohort = small_cohort["cohort"]
    page = mentor_client.get(f"/cohorts/{cohort.pk}/heatmap/").content.decode()
    # Legend: symbol and word for each status.
    for symbol, label in [
        ("○", "Not started"),
        ("◐", "In progress"),
        ("●", "Done"),
        ("⤼", "Skipped"),
    ]:
        assert f'aria-hidden="true">{symbol}</span> {label}</li>' in page
    # A cell: class for colour and pattern, a symbol, a hidden label and a title.
    assert (
        '<td class="hm hm-in_progress" title="Ann · B1: In progress"><span aria-hidden="true">◐'
        '</span><span class="visually-hidden">In progress</span></td>'
    ) in page
    assert 'title="Cat · A1: Not started"' in page
    assert page.count('<td class="hm ') == 3 * 5


def test_item_page_shows_who_did_it_who_is_on_it_and_who_is_stuck(small_cohort, mentor_client):
    cohort, items, cat = small_cohort["cohort"], small_cohort["items"], small_cohort["cat"]
    # Cat has been on b1 for 10 weeks: 4 h at 10 h a week, 3x = 1.2 weeks.
    record(cat, items["b1"], Status.IN_PROGRESS, at=ago(days=1), started_at=ago(weeks=10))
    response = mentor_client.get(f"/cohorts/{cohort.pk}/items/b1/")
    who = response.context["who"]
    assert [e["learner"].name for e in who.done] == ["Ben"]
    assert [e["learner"].name for e in who.in_progress] == ["Ann"]
    assert [e["learner"].name for e in who.stuck] == ["Cat"]
    assert who.not_started == [] and who.member_count == 3
    assert "Stuck (1)" in response.content.decode()


def test_learner_page_shows_statuses_and_plan(small_cohort, mentor_client):
    cohort, ann = small_cohort["cohort"], small_cohort["ann"]
    page = mentor_client.get(f"/cohorts/{cohort.pk}/learners/{ann.pk}/").content.decode()
    assert "40%" in page and "(2 of 5 items)" in page
    assert '<span class="status status-skipped">Skipped</span>' in page
    assert "Plan status:" in page


def test_learner_page_projects_the_finish_of_the_cohorts_roadmap_not_the_whole_plan(
    frozen, mentor, mentor_client
):
    # Dee follows the cohort's small roadmap (6 h) first and a big one (60 h) after it, at
    # 10 h a week from Wednesday 18 Nov: the small one is due Friday 20 Nov, the whole plan
    # only on 1 Jan.
    small = RoadmapFactory(slug="small", title="Small roadmap")
    ItemFactory(section=SectionFactory(roadmap=small), effort_hours=6)
    big = RoadmapFactory(slug="big", title="Big roadmap")
    ItemFactory.create_batch(6, section=SectionFactory(roadmap=big), effort_hours=10)
    dee = UserFactory(display_name="Dee", weekly_hours=10)
    follow_roadmap(learner=dee, roadmap=small)
    follow_roadmap(learner=dee, roadmap=big)
    cohort = Cohort.objects.create(name="Small cohort", roadmap=small)
    cohort.mentors.add(mentor)
    Membership.objects.create(cohort=cohort, learner=dee, joined_at=ago(days=1))

    page = mentor_client.get(f"/cohorts/{cohort.pk}/learners/{dee.pk}/").content.decode()

    assert "Small roadmap projected to be finished by 20 Nov 2026" in page
    assert "1 Jan 2027" not in page
    # Dee's own plan still runs to the end of everything she follows.
    dee_client = Client()
    dee_client.force_login(dee)
    assert "1 January 2027" in dee_client.get("/plan/").content.decode()


# ---- CSV export ------------------------------------------------------------------------------


def test_csv_export_has_one_row_per_learner_and_one_column_per_item(small_cohort, mentor_client):
    cohort = small_cohort["cohort"]
    response = mentor_client.get(f"/cohorts/{cohort.pk}/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert [row["learner"] for row in rows] == ["Ann", "Ben", "Cat"]
    ann, ben, cat = rows
    assert list(ann)[-5:] == ["a1", "a2", "a3", "b1", "b2"]
    assert [ann[s] for s in ["a1", "a2", "a3", "b1", "b2"]] == [
        "done",
        "done",
        "not_started",
        "in_progress",
        "skipped",
    ]
    assert ann["overall_percent"] == "40"
    assert ann["section_percent:Basics"] == "66"
    assert ann["section_percent:Projects"] == "0"
    assert ann["done_last_7_days"] == "1"
    assert ann["last_active"] == ago(days=1).isoformat()
    assert ann["at_risk"] == "no"
    assert ben["overall_percent"] == "100" and ben["done"] == "5"
    assert cat["at_risk"] == "yes" and cat["at_risk_reasons"] == "No activity for 14 days"
    assert cat["last_active"] == ""
    assert "old" not in ann and "elsewhere" not in ann


def test_csv_export_defuses_spreadsheet_formulas(small_cohort, mentor_client):
    User.objects.filter(pk=small_cohort["ann"].pk).update(display_name="=HYPERLINK(1)")
    response = mentor_client.get(f"/cohorts/{small_cohort['cohort'].pk}/export.csv")
    names = [row["learner"] for row in csv.DictReader(io.StringIO(response.getvalue().decode()))]
    assert "'=HYPERLINK(1)" in names


# ---- query budget ----------------------------------------------------------------------------


def _big_cohort(mentor, learners: int) -> Cohort:
    """`learners` members with a few statuses and events each, made with bulk_create."""
    roadmap = RoadmapFactory(slug=f"big-{learners}")
    sections = [SectionFactory(roadmap=roadmap, order=n) for n in range(4)]
    items = [ItemFactory(section=sections[n % 4], order=n) for n in range(12)]
    cohort = Cohort.objects.create(name="Big", roadmap=roadmap)
    cohort.mentors.add(mentor)
    users = User.objects.bulk_create(
        User(email=f"big{n}@example.com", display_name=f"Big {n}", password="!")
        for n in range(learners)
    )
    Membership.objects.bulk_create(Membership(cohort=cohort, learner=u) for u in users)
    # Joining follows the cohort's roadmap.
    RoadmapFollow.objects.bulk_create(RoadmapFollow(learner=u, roadmap=roadmap) for u in users)
    statuses = [Status.DONE, Status.IN_PROGRESS, Status.SKIPPED]
    Progress.objects.bulk_create(
        Progress(
            learner=u,
            item=items[k],
            status=statuses[(n + k) % 3],
            started_at=ago(days=60),
            completed_at=ago(days=k) if statuses[(n + k) % 3] == Status.DONE else None,
        )
        for n, u in enumerate(users)
        for k in range(n % 5)
    )
    ProgressEvent.objects.bulk_create(
        ProgressEvent(
            learner=u,
            item=items[0],
            status=Status.DONE,
            previous_status=Status.NOT_STARTED,
            at=ago(days=n % 30),
        )
        for n, u in enumerate(users)
    )
    return cohort


@pytest.mark.parametrize("learners", [5, 120])
@pytest.mark.parametrize("query", ["", "?sort=overall&dir=asc&filter=at-risk&page=1"])
def test_dashboard_query_count_is_the_same_at_any_size(
    frozen, mentor, mentor_client, django_assert_num_queries, learners, query
):
    cohort = _big_cohort(mentor, learners)
    # 1 session, 2 user, 3 cohort (scoped to the mentor, with its roadmap), 4 active items
    # with their sections, (on PostgreSQL: SET LOCAL jit = off), 5 one statement: the counts
    # of every filter over the whole cohort and this page of members, filtered and sorted,
    # with every figure; 6 the cohort's milestones (its pace); then the page's plan statuses
    # (where_am_i): 7 the page's users, 8-15 their plan inputs (active roadmaps, follows,
    # progress, items, prerequisite links, cohort schedules, progress events for the pace
    # factors, review cards), 16 snapshots, 17 finished progress (both of the learners with a
    # deadline); 18 the menu's "Reviews (n)" count (mentors only). (A page number past the
    # last page costs one more.) Numbered without the PostgreSQL-only SET.
    with django_assert_num_queries(19 if connection.vendor == "postgresql" else 18):
        response = mentor_client.get(f"/cohorts/{cohort.pk}/{query}")
    assert response.status_code == 200
    assert 0 < len(response.context["rows"]) <= 50


@pytest.mark.parametrize("learners", [5, 500])
def test_export_and_heatmap_query_counts_do_not_grow_with_learners(
    frozen, mentor, mentor_client, django_assert_max_num_queries, learners
):
    cohort = _big_cohort(mentor, learners)
    # Export: session, user, cohort, items with sections, the cohort's milestones, (SET LOCAL
    # jit = off), the members read by a cursor, then per 1,000 learners their item statuses
    # and their plan statuses (users, eight plan inputs, snapshots, finished progress).
    with django_assert_max_num_queries(19):
        b"".join(mentor_client.get(f"/cohorts/{cohort.pk}/export.csv").streaming_content)
    # Heatmap: session, user, cohort, items, member count, a page of members with their
    # accounts, that page's statuses, the menu's "Reviews (n)" count (mentors only).
    with django_assert_max_num_queries(8):
        response = mentor_client.get(f"/cohorts/{cohort.pk}/heatmap/")
    assert len(response.context["rows"]) == min(learners, 100)


def test_heatmap_pages_through_large_cohorts(frozen, mentor, mentor_client):
    cohort = _big_cohort(mentor, 150)
    first = mentor_client.get(f"/cohorts/{cohort.pk}/heatmap/")
    assert "Learners 1–100 of 150" in first.content.decode()
    assert 'href="?page=2" rel="next"' in first.content.decode()
    second = mentor_client.get(f"/cohorts/{cohort.pk}/heatmap/?page=2")
    assert len(second.context["rows"]) == 50
    assert second.content.decode().count('<td class="hm ') == 50 * 12
    # A nonsense page number shows the first page rather than an error.
    assert mentor_client.get(f"/cohorts/{cohort.pk}/heatmap/?page=x").status_code == 200


@pytest.mark.parametrize("week", ["this week (snapshot saved)", "next planned week"])
def test_a_mentor_sees_no_item_of_the_learners_other_roadmaps_in_their_plan(
    mentor, learner, cohort, week
):
    # The join page promises mentors never see "your other roadmaps' progress"; the study
    # plan on the mentor's page of the learner covers every roadmap the learner follows.
    private = SectionFactory(title="Private studies")
    secret = ItemFactory(section=private, slug="secret-item", title="Secret side project")
    follow_roadmap(learner=learner, roadmap=private.roadmap)
    follow_roadmap(learner=learner, roadmap=cohort.roadmap)
    set_status(learner=learner, item=secret, status="in_progress")
    if week.startswith("this week"):
        assert client_for(learner).get("/plan/").status_code == 200  # saves this week's plan

    page = client_for(mentor).get(f"/cohorts/{cohort.pk}/learners/{learner.pk}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Cohort item 0" in html  # the cohort's own roadmap still shows in the plan
    assert ("This week (from" in html) == week.startswith("this week")
    assert "Secret side project" not in html


# ---- cohorts of thousands: pages, filters and sorting in SQL ----------------------------------


def test_dashboard_pages_keep_the_sort_and_filter_and_mark_the_current_page(
    frozen, mentor, mentor_client
):
    cohort = _big_cohort(mentor, 120)
    response = mentor_client.get(f"/cohorts/{cohort.pk}/?sort=name&dir=desc&page=2")
    page = response.content.decode()
    assert len(response.context["rows"]) == 50
    assert '<nav class="pager" aria-label="Pages">' in page
    assert '<a href="?sort=name&amp;dir=desc&amp;page=2"' in page
    assert 'aria-current="page" aria-label="Page 2">2</a>' in page
    assert 'href="?sort=name&amp;dir=desc&amp;page=3"' in page and 'rel="next"' in page
    assert 'href="?sort=name&amp;dir=desc"' in page and 'rel="prev"' in page  # page 1
    # The summary counts the whole cohort, not the page.
    assert "120 learners" in page
    last = mentor_client.get(f"/cohorts/{cohort.pk}/?sort=name&dir=desc&page=3")
    assert len(last.context["rows"]) == 20
    # A page past the end shows the last one; nonsense shows the first.
    assert mentor_client.get(f"/cohorts/{cohort.pk}/?page=99").context["page"].number == 3
    assert mentor_client.get(f"/cohorts/{cohort.pk}/?page=x").context["page"].number == 1


def test_filter_tabs_count_the_whole_cohort_and_show_only_their_learners(
    small_cohort, mentor_client
):
    cohort = small_cohort["cohort"]
    page = mentor_client.get(f"/cohorts/{cohort.pk}/").content.decode()
    assert 'aria-current="page">All (3)</a>' in page
    assert ">At risk (1)</a>" in page and ">Behind weekly plan (0)</a>" in page
    assert ">Inactive (1)</a>" in page
    assert 'href="?sort=status&amp;dir=desc&amp;filter=inactive"' in page

    response = mentor_client.get(f"/cohorts/{cohort.pk}/?filter=inactive&sort=name&dir=asc")
    assert [row.name for row in response.context["rows"]] == ["Cat"]
    html = response.content.decode()
    assert 'aria-current="page">Inactive (1)</a>' in html
    assert "3 learners" in html and "1 learner at risk" in html
    # Sorting keeps the filter.
    assert 'href="?sort=overall&amp;dir=desc&amp;filter=inactive"' in html
    behind = mentor_client.get(f"/cohorts/{cohort.pk}/?filter=behind").content.decode()
    assert "no learner matches this filter" in behind
    # An unknown filter shows everyone.
    nonsense = mentor_client.get(f"/cohorts/{cohort.pk}/?filter=%3Cscript%3E")
    assert len(nonsense.context["rows"]) == 3


def test_filtering_with_htmx_returns_only_the_table(small_cohort, mentor_client):
    cohort = small_cohort["cohort"]
    response = mentor_client.get(
        f"/cohorts/{cohort.pk}/?filter=at-risk", headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="learner-table">')
    assert "<html" not in page and "Cat" in page and "Ann" not in page


def _plan_cohort(mentor, now: datetime) -> tuple[Cohort, dict[str, User]]:
    """Learners whose plan status turns on each part of the rule, in three time zones.

    Every past week plans 30 h against a budget of 10 h, so a learner is behind unless
    enough was done since their first past week began, at local midnight.
    """
    section = SectionFactory(title="Plans")
    big = ItemFactory(section=section, slug="big", effort_hours=25)
    other = ItemFactory(section=section, slug="other", effort_hours=30)
    cohort = Cohort.objects.create(name="Plans", roadmap=section.roadmap)
    cohort.mentors.add(mentor)
    from tracker import planning

    learners = {}
    for zone in ("UTC", "Pacific/Auckland", "America/Los_Angeles"):
        this_week = planning.week_start(now, zone)
        first_past = this_week - timedelta(weeks=2)
        local_midnight = planning.week_starts_at(first_past, zone)
        cases = {
            "no snapshot": ([], None),
            "only this week": ([this_week], None),
            "nothing done": ([first_past], None),
            "done in time": ([first_past, this_week], local_midnight + timedelta(minutes=1)),
            "done just before": ([first_past], local_midnight - timedelta(minutes=1)),
            "planned item skipped": ([first_past], "skip"),
        }
        for label, (weeks, done_at) in cases.items():
            learner = UserFactory(display_name=f"{zone} {label}", time_zone=zone, weekly_hours=10)
            Membership.objects.create(cohort=cohort, learner=learner, joined_at=now)
            for week in weeks:
                entries = [{"item": other.id, "hours": 30, "title": "Other"}]
                WeekPlan.objects.create(
                    learner=learner, week_start=week, weekly_hours=10, entries=entries
                )
            if done_at == "skip":
                Progress.objects.create(learner=learner, item=other, status=Status.SKIPPED)
            elif done_at:
                Progress.objects.create(
                    learner=learner, item=big, status=Status.DONE, completed_at=done_at
                )
            learners[learner.name] = learner
    return cohort, learners


# Monday 16 November 2026, 01:00 in Auckland: still Sunday in UTC and Los Angeles, so the
# learners' "current week" differs by zone.
AUCKLAND_MONDAY = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("now", [NOW, AUCKLAND_MONDAY], ids=["wednesday", "auckland-monday"])
def test_behind_weekly_plan_in_sql_agrees_with_the_plans_area(mentor, now):
    from tracker.selectors.plans import plan_statuses

    cohort, learners = _plan_cohort(mentor, now)
    rows = _all_rows(cohort, now=now)
    positions = dict(zip(learners, plan_statuses(learners.values(), now=now).values(), strict=True))
    # The filter and the at-risk reason come from SQL, over the whole cohort ...
    in_sql = {row.name: "Behind weekly plan" in row.reasons for row in rows}
    assert in_sql == {name: position.behind_weekly_plan for name, position in positions.items()}
    assert in_sql["Pacific/Auckland nothing done"]
    assert in_sql["America/Los_Angeles done just before"]
    assert not in_sql["UTC no snapshot"]
    assert not in_sql["America/Los_Angeles done in time"]
    assert not in_sql["UTC planned item skipped"]
    # ... and the status shown is where_am_i's, as on every other page.
    assert {row.name: row.plan_status for row in rows} == {
        name: position.state for name, position in positions.items()
    }


def _all_rows(cohort, *, now=NOW, sort="name", direction="asc", show="all") -> list:
    """Every member the dashboard shows for one sort and filter, page after page."""
    sections = cohort_reads.section_columns(cohort)
    rows, number = [], 1
    while True:
        board = cohort_dashboard.dashboard(
            cohort, sections, now=now, sort=sort, direction=direction, show=show, number=number
        )
        rows += board.rows
        if not board.page.has_next():
            return rows
        number += 1


@pytest.fixture
def seeded_cohort(frozen, mentor):
    """seed_demo's mix (stalled, stuck, behind, never started, in several time zones), plus
    learners whose names tie but for case, to check the tie-breaks."""
    from django.core.management import call_command

    sections = [SectionFactory(roadmap__slug="seeded", order=n) for n in range(3)]
    for n in range(15):
        ItemFactory(section=sections[n // 5], order=n, effort_hours=[2, 4, 8, 12][n % 4])
    call_command("seed_demo", learners=60, cohorts=1, seed=5, stdout=io.StringIO())
    cohort = Cohort.objects.get()
    for name in ("zed", "Zed", "zed"):
        learner = UserFactory(display_name=name)
        Membership.objects.create(cohort=cohort, learner=learner, joined_at=ago(days=1))
    return cohort


PYTHON_FILTERS = {
    "all": lambda row: True,
    "at-risk": lambda row: row.at_risk,
    "behind": lambda row: "Behind weekly plan" in row.reasons,
    "inactive": lambda row: at_risk.is_stalled(
        last_active=row.last_active, joined_at=row.joined_at, now=NOW
    ),
}


def test_each_sort_and_filter_in_sql_matches_the_python_rules(seeded_cohort):
    cohort = seeded_cohort
    sections = cohort_reads.section_columns(cohort)
    reference = cohort_reads.learner_rows(cohort, sections, now=NOW)
    counts = cohort_dashboard.dashboard(
        cohort, sections, now=NOW, sort="name", direction="asc", show="all", number=1
    ).counts
    for show, keep in PYTHON_FILTERS.items():
        kept = [row for row in reference if keep(row)]
        assert counts[show] == len(kept), show
        # Every filter has members, so the comparison below means something.
        assert 0 < len(kept) < len(reference) or show == "all", show
        for sort in at_risk.SORT_KEYS:
            for direction in ("asc", "desc"):
                expected = at_risk.sort_rows(kept, sort=sort, direction=direction)
                got = _all_rows(cohort, sort=sort, direction=direction, show=show)
                assert [(r.learner_id, r.reasons, r.done) for r in got] == [
                    (r.learner_id, r.reasons, r.done) for r in expected
                ], (
                    show,
                    sort,
                    direction,
                )


def test_the_dashboard_shows_where_am_is_status_with_and_without_a_target(seeded_cohort):
    # The dashboard plans only learners with a target date; the others' states follow from
    # their progress. Targets from past to far ahead give every state a learner.
    from tracker.selectors.plans import plan_statuses

    members = list(User.objects.filter(memberships__cohort=seeded_cohort).order_by("pk"))
    for n, learner in enumerate(members):
        if n % 4:
            learner.target_date = (NOW + timedelta(weeks=[-1, 1, 3, 8, 30, 200][n % 6])).date()
            learner.save(update_fields=["target_date"])
    finished = members[-1]  # every item done: finished, whatever the target says
    for item in seeded_cohort.roadmap.items.all():
        Progress.objects.update_or_create(
            learner=finished, item=item, defaults={"status": Status.DONE, "completed_at": NOW}
        )
    expected = {pk: p.state for pk, p in plan_statuses(members, now=NOW).items()}
    rows = _all_rows(seeded_cohort)
    assert {row.learner_id: row.plan_status for row in rows} == expected
    assert set(expected.values()) >= {
        PlanState.NO_TARGET,
        PlanState.ON_TRACK,
        PlanState.BEHIND,
        PlanState.UNREACHABLE,
        PlanState.FINISHED,
    }


# The export, checked by hand: the plan status is where_am_i's, as on every page.
EXPORT_OF_SMALL_COHORT = (
    "learner,email,overall_percent,done,skipped,in_progress,section_percent:Basics,"
    "section_percent:Projects,done_last_7_days,last_active,plan_status,"
    "items_ahead_of_cohort_pace,cohort_pace,at_risk,at_risk_reasons,"
    "a1,a2,a3,b1,b2\r\n"
    "'=cmd|' /C calc'!A0,cat@example.com,0,0,0,0,0,0,0,,no_target,,,yes,"
    "No activity for 14 days,"
    "not_started,not_started,not_started,not_started,not_started\r\n"
    "Ann,ann@example.com,40,2,1,1,66,0,1,2026-11-17T12:00:00+00:00,no_target,,,yes,"
    "Behind weekly plan,"
    "done,done,not_started,in_progress,skipped\r\n"
    "Ben,ben@example.com,100,5,0,0,100,100,5,2026-11-15T16:00:00+00:00,finished,,,no,,"
    "done,done,done,done,done\r\n"
)


def test_csv_export_streams_every_learners_row_with_the_plan_status_of_every_page(
    small_cohort, mentor_client
):
    User.objects.filter(pk=small_cohort["cat"].pk).update(display_name="=cmd|' /C calc'!A0")
    WeekPlan.objects.create(
        learner=small_cohort["ann"],
        week_start=datetime(2026, 11, 9).date(),
        weekly_hours=10,
        entries=[{"item": small_cohort["items"]["a3"].id, "hours": 30}],
    )
    response = mentor_client.get(f"/cohorts/{small_cohort['cohort'].pk}/export.csv")
    assert response.streaming is True
    assert b"".join(response.streaming_content).decode() == EXPORT_OF_SMALL_COHORT


def test_csv_export_of_an_empty_cohort_is_just_the_header(frozen, mentor, mentor_client):
    cohort, learner, _ = _one_learner_cohort(mentor)
    Membership.objects.filter(learner=learner).delete()
    response = mentor_client.get(f"/cohorts/{cohort.pk}/export.csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines == [
        "learner,email,overall_percent,done,skipped,in_progress,section_percent:Only,"
        "done_last_7_days,last_active,plan_status,items_ahead_of_cohort_pace,cohort_pace,"
        "at_risk,at_risk_reasons,eight-hours"
    ]


@pytest.mark.needs_postgres
@pytest.mark.parametrize("sort", at_risk.SORT_KEYS)
def test_the_dashboard_statement_reads_each_table_set_by_set_not_once_per_member(
    seeded_cohort, sort
):
    # A correlated subquery per member (a SubPlan) costs about 0.1 ms a member per use:
    # seconds at 5,000 members. Hash joins and GROUP BY over the cohort's rows stay flat.
    sections = cohort_reads.section_columns(seeded_cohort)
    sql, params = cohort_dashboard.statement(
        seeded_cohort, sections, now=NOW, sort=sort, direction="desc", show="at-risk", number=1
    )
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = json.dumps(cursor.fetchone()[0])
    # CTEs are listed as "CTE members" and so on; a correlated subquery as "SubPlan 1".
    assert '"Subplan Name": "CTE members"' in plan
    assert '"Subplan Name": "SubPlan' not in plan
    assert "jsonb_to_recordset" in plan  # the plan status is in the statement


@pytest.mark.needs_postgres
def test_the_hours_done_since_each_members_first_planned_week_come_from_an_index_alone(
    seeded_cohort,
):
    # In a real database the cohort is a small share of the progress table: scanning it all
    # is out (here, seq scans are priced out to say so), and the learner's done items since a
    # date are read from progress_learner_status_at alone, without visiting the table.
    sections = cohort_reads.section_columns(seeded_cohort)
    sql, params = cohort_dashboard.statement(
        seeded_cohort, sections, now=NOW, sort="status", direction="desc", show="all", number=1
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = json.dumps(cursor.fetchone()[0])
    assert '"Index Name": "progress_learner_status_at"' in plan
