"""The mentor's views of a cohort: figures checked by hand, at-risk reasons, sorting, heatmap,
per-item and per-learner pages, the CSV export, and the dashboard's query budget."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from tests.builders import client_for
from tests.factories import (
    ItemFactory,
    RoadmapFactory,
    SectionFactory,
    UserFactory,
)
from tracker import at_risk
from tracker.models import Cohort, Membership, Progress, ProgressEvent, Status, User, WeekPlan
from tracker.planning import PlanState
from tracker.selectors import cohorts as cohort_reads
from tracker.services.follows import follow_roadmap
from tracker.services.progress import set_status

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)  # a Wednesday


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
    assert ">Basics</th>" in page
    assert "Careers</th>" not in page
    assert "40%" in page and "66%" in page and "100%" in page
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
            u.pk: plans.Position(state=PlanState.BEHIND, weekly_hours=5) for u in learners
        },
    )
    row = rows_by_name(cohort)["Solo"]
    assert row.plan_label == "Behind"
    assert row.reasons == ["Behind plan"]


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
        plan_status=PlanState.BEHIND,
        now=NOW,
    )
    assert reasons == [
        "No activity for 14 days",
        "“RLHF” in progress for over 3 times its estimate",
        "Behind plan",
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
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
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
    names = [row["learner"] for row in csv.DictReader(io.StringIO(response.content.decode()))]
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


@pytest.mark.parametrize("learners", [5, 500])
def test_dashboard_query_count_does_not_grow_with_learners(
    frozen, mentor, mentor_client, django_assert_max_num_queries, learners
):
    cohort = _big_cohort(mentor, learners)
    # 1 session, 2 user, 3 cohort (scoped to the mentor, with its roadmap), 4 active items
    # with their sections, 5 memberships with every aggregate and subquery, 6-12 plan_statuses
    # (the plans' inputs: active roadmaps, follows, progress, items, prerequisite links;
    # snapshots; done and skipped progress). The budget is 12; at 500 learners any per-row
    # query would blow it.
    with django_assert_max_num_queries(12):
        response = mentor_client.get(f"/cohorts/{cohort.pk}/")
    assert response.status_code == 200
    assert len(response.context["rows"]) == learners


@pytest.mark.parametrize("learners", [5, 500])
def test_export_and_heatmap_query_counts_do_not_grow_with_learners(
    frozen, mentor, mentor_client, django_assert_max_num_queries, learners
):
    cohort = _big_cohort(mentor, learners)
    # Export: session, user, cohort, items with sections, memberships aggregate, 7 plan
    # status queries (as on the dashboard), the status grid.
    with django_assert_max_num_queries(13):
        mentor_client.get(f"/cohorts/{cohort.pk}/export.csv")
    # Heatmap: session, user, cohort, items, member count, a page of members with their
    # accounts, that page's statuses.
    with django_assert_max_num_queries(7):
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
