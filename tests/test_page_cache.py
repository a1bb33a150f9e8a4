"""Cached learner pages: the signed-in roadmap page and the dashboard are served from the cache
until something they show changes, for that learner only, and a page from the cache works
exactly like a freshly rendered one (statuses, CSRF, messages, the date)."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.builders import make_roadmap, row_of
from tests.factories import RoadmapFactory, SectionFactory
from tests.html_forms import form_data
from tracker import learner_roadmap, roadmap_layout
from tracker.content_cache import CSRF_SENTINEL, PATH_SENTINEL, bump_content_version
from tracker.models import Item, Progress, RoadmapFollow, Status
from tracker.selectors.roadmaps import attach_progress, item_for_page, roadmap_for_page
from tracker.services.follows import follow_roadmap
from tracker.services.progress import save_note, set_status
from tracker.views.roadmaps import _page_context

ROADMAP = "/roadmaps/llm/"
DASHBOARD = "/"
# A page served from the cache reads only the session (from django_session) and its user; a
# rebuilt one reads the learner's data too.
SESSION_AND_USER = re.compile(r'\bFROM "(django_session|tracker_user)"')


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def items(db):
    _, made = make_roadmap(8)
    return made


@pytest.fixture
def alice(learner, items):
    client = Client()
    client.force_login(learner)
    return client


@pytest.fixture
def charlie(outsider, items):
    client = Client()
    client.force_login(outsider)
    return client


def queries(client: Client, url: str) -> tuple[list[str], str]:
    """The SQL a page view ran, and the page."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in captured], response.content.decode()


def from_cache(sql: list[str]) -> bool:
    return all(SESSION_AND_USER.search(query) for query in sql)


def served_from_cache(client: Client, url: str) -> bool:
    return from_cache(queries(client, url)[0])


def pressed(html: str, item) -> str:
    """The status whose button is pressed on the item's row."""
    return re.search(r'value="(\w+)" aria-pressed="true"', row_of(html, item)).group(1)


def warm(*clients: Client) -> None:
    for client in clients:
        for url in (ROADMAP, DASHBOARD):
            client.get(url)
            assert served_from_cache(client, url)


# --- what invalidates a learner's pages, and whose -----------------------------------------


def test_a_status_change_shows_on_the_learners_pages_and_leaves_others_cached(
    alice, charlie, learner, items, django_capture_on_commit_callbacks
):
    warm(alice, charlie)

    with django_capture_on_commit_callbacks(execute=True):
        set_status(learner=learner, item=items[0], status=Status.DONE)

    sql, html = queries(alice, ROADMAP)
    assert not from_cache(sql)
    assert pressed(html, items[0]) == Status.DONE
    assert "1 done" in html
    assert "1 done" in alice.get(DASHBOARD).content.decode()
    assert served_from_cache(charlie, ROADMAP)
    assert served_from_cache(charlie, DASHBOARD)


def test_no_status_change_is_visible_before_it_commits(alice, learner, items):
    warm(alice)
    # Inside the test's transaction nothing commits, so no version is bumped yet.
    set_status(learner=learner, item=items[0], status=Status.DONE)
    assert served_from_cache(alice, ROADMAP)


@pytest.mark.parametrize("change", ["note", "follow"])
def test_a_note_or_a_follow_invalidates_only_that_learners_pages(
    alice, charlie, learner, items, change, django_capture_on_commit_callbacks
):
    other = RoadmapFactory(slug="mlops", title="MLOps Roadmap")
    SectionFactory(roadmap=other)
    warm(alice, charlie)

    with django_capture_on_commit_callbacks(execute=True):
        if change == "note":
            save_note(learner=learner, item=items[0], note="Read chapter 2 again")
        else:
            follow_roadmap(learner=learner, roadmap=other)

    assert not served_from_cache(alice, ROADMAP)
    sql, dashboard = queries(alice, DASHBOARD)
    assert not from_cache(sql)
    if change == "follow":
        assert "MLOps Roadmap" in dashboard
    assert served_from_cache(charlie, ROADMAP)
    assert served_from_cache(charlie, DASHBOARD)


def test_a_follow_deleted_in_the_admin_leaves_the_dashboard(
    alice, learner, items, admin_client, django_capture_on_commit_callbacks
):
    other = RoadmapFactory(slug="mlops", title="MLOps Roadmap")
    SectionFactory(roadmap=other)
    # With nothing followed the dashboard offers every roadmap to follow, MLOps included.
    follow_roadmap(learner=learner, roadmap=items[0].roadmap)
    follow_roadmap(learner=learner, roadmap=other)
    assert "MLOps Roadmap" in alice.get(DASHBOARD).content.decode()
    follow = RoadmapFollow.objects.get(learner=learner, roadmap=other)
    delete = reverse("admin:tracker_roadmapfollow_delete", args=[follow.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(delete, {"post": "yes"})

    assert response.status_code == 302
    assert "MLOps Roadmap" not in alice.get(DASHBOARD).content.decode()


def test_a_profile_change_shows_at_once_on_the_learners_pages(alice, charlie, learner, items):
    warm(alice, charlie)
    page = alice.get(reverse("me")).content.decode()
    data = form_data(re.search(r'<form method="post" action="/me/".*?</form>', page, re.S)[0])

    response = alice.post(reverse("me"), {**data, "display_name": "Alicia"})

    assert response.status_code == 302
    assert "Hello, Alicia" in alice.get(DASHBOARD).content.decode()
    assert ">Alicia</a>" in alice.get(ROADMAP).content.decode()  # the menu
    assert served_from_cache(charlie, DASHBOARD)
    assert served_from_cache(charlie, ROADMAP)


def test_a_content_change_reaches_every_learners_cached_page(
    alice, charlie, items, admin_client, django_capture_on_commit_callbacks
):
    warm(alice, charlie)
    change = reverse("admin:tracker_item_change", args=[items[0].pk])
    data = form_data(admin_client.get(change).content.decode(), "item_form")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(change, {**data, "title": "Renamed In The Admin"})

    assert response.status_code == 302
    for client in (alice, charlie):
        assert "Renamed In The Admin" in client.get(ROADMAP).content.decode()


def test_an_archived_item_leaves_the_cached_page_and_its_status_url(
    alice, learner, items, django_capture_on_commit_callbacks
):
    warm(alice)
    Item.objects.filter(pk=items[0].pk).update(archived_at="2026-01-01T00:00:00Z")
    bump_content_version()

    assert f'id="item-{items[0].id}"' not in alice.get(ROADMAP).content.decode()
    url = reverse("set_item_status", args=["llm", items[0].slug])
    assert alice.post(url, {"status": "done"}).status_code == 404


# --- a page from the cache works like a fresh one -----------------------------------------


def test_the_cached_page_shows_the_status_after_an_htmx_toggle(
    alice, learner, items, django_capture_on_commit_callbacks
):
    warm(alice)
    url = reverse("set_item_status", args=["llm", items[1].slug])

    with django_capture_on_commit_callbacks(execute=True):
        response = alice.post(url, {"status": "in_progress"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert pressed(response.content.decode(), items[1]) == Status.IN_PROGRESS
    html = alice.get(ROADMAP).content.decode()
    assert pressed(html, items[1]) == Status.IN_PROGRESS
    assert served_from_cache(alice, ROADMAP)


def test_a_form_on_a_page_from_the_cache_posts_without_javascript(
    learner, items, django_capture_on_commit_callbacks
):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(learner)
    browser.get(ROADMAP)
    sql, html = queries(browser, ROADMAP + "?from=menu")
    assert from_cache(sql)
    assert CSRF_SENTINEL not in html and PATH_SENTINEL not in html
    form = re.search(
        r'<form method="post" action="([^"]+)"[^>]*>(?:(?!</form>).)*?value="done"',
        row_of(html, items[2]),
        re.DOTALL,
    )
    action = form.group(1)
    data = form_data(form.group(0) + ">")
    assert data["next"] == ROADMAP + "?from=menu"  # the page's own address, query included

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(action, {**data, "status": "done"})

    assert response.status_code == 302
    assert response["Location"] == f"{ROADMAP}?from=menu#item-{items[2].id}"
    assert Progress.objects.get(learner=learner, item=items[2]).status == Status.DONE
    # The message of the redirect shows, although the page itself comes from the cache.
    page = browser.get(response["Location"]).content.decode()
    assert "is now marked done" in page
    assert pressed(page, items[2]) == Status.DONE
    assert "is now marked done" not in browser.get(ROADMAP).content.decode()


def test_another_browsers_token_is_refused(learner, items):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(learner)
    html = browser.get(ROADMAP).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    stranger = Client(enforce_csrf_checks=True)
    stranger.force_login(learner)
    stranger.get(ROADMAP)  # the same page from the cache, with the stranger's own cookie
    url = reverse("set_item_status", args=["llm", items[0].slug])

    response = stranger.post(url, {"csrfmiddlewaretoken": token, "status": "done"})

    assert response.status_code == 403


def test_the_assembled_page_equals_the_page_rendered_in_one_go(alice, learner, items, rf):
    set_status(learner=learner, item=items[0], status=Status.DONE)
    set_status(learner=learner, item=items[1], status=Status.IN_PROGRESS)
    set_status(learner=learner, item=items[2], status=Status.SKIPPED, skip_reason="know it")
    set_status(learner=learner, item=items[-1], status=Status.SKIPPED)  # a techniques row
    request = rf.get(ROADMAP)
    request.user = learner

    skeleton = learner_roadmap.skeleton(request, "llm", _page_context)
    assembled = learner_roadmap.learner_body(request, skeleton)

    roadmap = roadmap_for_page("llm")
    attach_progress(roadmap_layout.page_items(roadmap), learner)
    context = {
        **_page_context(roadmap),
        "csrf_token": CSRF_SENTINEL,
        "status_next": PATH_SENTINEL,
    }
    direct = render_to_string("tracker/roadmap_detail.html#roadmap-body", context, request=request)
    assert assembled == str(direct)
    assert "Skipped: know it" in assembled


# --- the dashboard and the learner's date -----------------------------------------------------


def test_the_dashboard_rolls_over_at_the_learners_local_midnight(learner, items):
    learner.time_zone = "Pacific/Auckland"
    learner.save()
    with time_machine.travel(datetime(2026, 11, 25, 9, 0, tzinfo=UTC), tick=False):
        set_status(learner=learner, item=items[0], status=Status.DONE)
    browser = Client()
    browser.force_login(learner)
    auckland = ZoneInfo("Pacific/Auckland")
    # Sunday 29 November 2026, late evening in Auckland; the new week starts on Monday.
    sunday_night = datetime(2026, 11, 29, 23, 58, tzinfo=auckland)
    monday = datetime(2026, 11, 30, 0, 2, tzinfo=auckland)

    with time_machine.travel(sunday_night.astimezone(UTC), tick=False):
        before = browser.get(DASHBOARD).content.decode()
        assert served_from_cache(browser, DASHBOARD)
    with time_machine.travel(monday.astimezone(UTC), tick=False):
        sql, after = queries(browser, DASHBOARD)

    assert "30 Nov 2026" not in before  # the chart's weeks end with the week of 23 Nov
    assert not from_cache(sql)
    assert "30 Nov 2026" in after


def test_recent_activity_shows_absolute_local_times_that_never_go_stale(
    alice, learner, items, django_capture_on_commit_callbacks
):
    learner.time_zone = "Europe/Paris"
    learner.save()
    with (
        time_machine.travel(datetime(2026, 11, 27, 8, 5, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        set_status(learner=learner, item=items[0], status=Status.DONE)
    with time_machine.travel(datetime(2026, 11, 27, 20, 0, tzinfo=UTC), tick=False):
        html = alice.get(DASHBOARD).content.decode()

    assert "Fri 27 Nov, 09:05" in html  # Paris time, not "12 hours ago"
    assert " ago" not in html


@pytest.mark.parametrize("which", [0, -1])  # a list entry and a techniques table row
def test_the_toggles_row_from_parts_equals_the_row_rendered_in_one_go(learner, items, rf, which):
    item = items[which]
    request = rf.post("/", {"next": ROADMAP})
    request.user = learner
    parts = learner_roadmap.row_parts(request, "llm", item.slug)

    for status, reason in [("done", ""), ("skipped", "seen it"), ("not_started", "")]:
        progress = set_status(learner=learner, item=item, status=status, skip_reason=reason)
        assembled = learner_roadmap.row_html(request, parts, progress)
        fresh = item_for_page("llm", item.slug)
        fresh.my_progress = progress
        context = {"item": fresh, "roadmap": fresh.roadmap, "csrf_token": CSRF_SENTINEL}
        direct = render_to_string(
            "tracker/partials/_item_row.html",
            {**context, "status_next": PATH_SENTINEL},
            request=request,
        )
        assert assembled == direct


def test_unknown_roadmap_slugs_are_not_cached(client, db):
    from django.core.cache import cache

    for n in range(5):
        assert client.get(f"/roadmaps/made-up-{n}/").status_code == 404
    # Keys come from URLs: a stored miss per made-up slug would let anyone fill the cache.
    assert not [key for n in range(5) if (key := f"roadmap-page:made-up-{n}") in cache]


def test_follows_deleted_in_bulk_in_the_admin_leave_the_dashboard(
    alice, learner, items, admin_client, django_capture_on_commit_callbacks
):
    other = RoadmapFactory(slug="mlops", title="MLOps Roadmap")
    SectionFactory(roadmap=other)
    # With nothing followed the dashboard offers every roadmap to follow, MLOps included.
    follow_roadmap(learner=learner, roadmap=items[0].roadmap)
    follow_roadmap(learner=learner, roadmap=other)
    assert "MLOps Roadmap" in alice.get(DASHBOARD).content.decode()
    follow = RoadmapFollow.objects.get(learner=learner, roadmap=other)
    changelist = reverse("admin:tracker_roadmapfollow_changelist")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            changelist,
            {"action": "delete_selected", "_selected_action": [follow.pk], "post": "yes"},
        )

    assert response.status_code == 302
    assert not RoadmapFollow.objects.filter(pk=follow.pk).exists()
    assert "MLOps Roadmap" not in alice.get(DASHBOARD).content.decode()
