"""Learners' pages: the signed-in roadmap page and the dashboard are answered "304 Not Modified"
until something they show changes, for that learner only; the roadmap page is assembled from
shared parts and works exactly like one rendered in one go (statuses, CSRF, messages, the
date); and a learner's visits cost the cache almost nothing."""

import re
from datetime import UTC, datetime
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from tests.builders import make_roadmap, row_of, status_control
from tests.factories import RoadmapFactory, SectionFactory
from tests.html_forms import form_data
from tracker import page_cache, roadmap_layout
from tracker.models import Item, Progress, RoadmapFollow, Status
from tracker.page_cache import CSRF_SENTINEL, PATH_SENTINEL, UNFINISHED
from tracker.selectors import progress as progress_reads
from tracker.selectors import roadmaps as roadmap_reads
from tracker.services.follows import follow_roadmap
from tracker.services.progress import save_note, set_status
from tracker.views.roadmaps import _page_context

ROADMAP = "/roadmaps/llm/"
DASHBOARD = "/"


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


def visit(client: Client, url: str) -> str:
    """The page, as a browser keeps it: with its ETag for the next visit."""
    response = client.get(url)
    assert response.status_code == 200
    client.etags = {**getattr(client, "etags", {}), url: response["ETag"]}
    return response.content.decode()


def still_current(client: Client, url: str) -> bool:
    """Whether the browser's copy is still the page: the conditional GET answers 304."""
    response = client.get(url, headers={"If-None-Match": client.etags[url]})
    assert response.status_code in (200, 304)
    return response.status_code == 304


def pressed(html: str, item) -> str:
    """The status whose button is pressed on the item's row."""
    return re.search(r'value="(\w+)" aria-pressed="true"', row_of(html, item)).group(1)


def warm(*clients: Client) -> None:
    for client in clients:
        for url in (ROADMAP, DASHBOARD):
            visit(client, url)
            assert still_current(client, url)


# --- what invalidates a learner's pages, and whose -----------------------------------------


def test_a_status_change_shows_on_the_learners_pages_and_leaves_others_cached(
    alice, charlie, learner, items, django_capture_on_commit_callbacks
):
    warm(alice, charlie)

    with django_capture_on_commit_callbacks(execute=True):
        set_status(learner=learner, item=items[0], status=Status.DONE)

    assert not still_current(alice, ROADMAP)
    assert not still_current(alice, DASHBOARD)
    html = visit(alice, ROADMAP)
    assert pressed(html, items[0]) == Status.DONE
    assert "1 done" in html
    assert "1 done" in visit(alice, DASHBOARD)
    assert still_current(charlie, ROADMAP)
    assert still_current(charlie, DASHBOARD)


def test_no_status_change_is_visible_before_it_commits(alice, learner, items):
    warm(alice)
    # Inside the test's transaction nothing commits, so no version is bumped yet.
    set_status(learner=learner, item=items[0], status=Status.DONE)
    assert still_current(alice, ROADMAP)


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

    assert not still_current(alice, ROADMAP)
    assert not still_current(alice, DASHBOARD)
    if change == "follow":
        assert "MLOps Roadmap" in visit(alice, DASHBOARD)
    assert still_current(charlie, ROADMAP)
    assert still_current(charlie, DASHBOARD)


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


def test_a_profile_change_shows_on_the_learners_pages(
    alice, charlie, learner, items, django_capture_on_commit_callbacks
):
    warm(alice, charlie)
    page = alice.get(reverse("me")).content.decode()
    data = form_data(re.search(r'<form method="post" action="/me/".*?</form>', page, re.S)[0])

    with django_capture_on_commit_callbacks(execute=True):
        response = alice.post(reverse("me"), {**data, "display_name": "Alicia"})

    assert response.status_code == 302
    assert not still_current(alice, DASHBOARD)
    assert "Hello, Alicia" in visit(alice, DASHBOARD)
    assert ">Alicia</a>" in visit(alice, ROADMAP)  # the menu
    assert still_current(charlie, DASHBOARD)
    assert still_current(charlie, ROADMAP)


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
        assert not still_current(client, ROADMAP)
        assert "Renamed In The Admin" in visit(client, ROADMAP)


def test_an_archived_item_leaves_the_cached_page_and_its_status_url(
    alice, learner, items, django_capture_on_commit_callbacks
):
    warm(alice)
    with django_capture_on_commit_callbacks(execute=True):
        Item.objects.filter(pk=items[0].pk).update(archived_at="2026-01-01T00:00:00Z")
        page_cache.invalidate(content=True)  # as every bulk update does

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
    assert not still_current(alice, ROADMAP)
    html = visit(alice, ROADMAP)
    assert pressed(html, items[1]) == Status.IN_PROGRESS
    assert still_current(alice, ROADMAP)


def test_a_form_on_a_page_from_the_cache_posts_without_javascript(
    learner, items, django_capture_on_commit_callbacks
):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(learner)
    browser.get(ROADMAP)
    html = visit(browser, ROADMAP)
    assert CSRF_SENTINEL not in html and PATH_SENTINEL not in html
    form = status_control(html, items[2])
    # Relative to the page's address, as a browser resolves it.
    action = urljoin(ROADMAP + "?from=menu", re.search(r'action="([^"]+)"', form).group(1))
    data = form_data(form)

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(action, {**data, "status": "done"})

    assert response.status_code == 302
    assert response["Location"] == f"{ROADMAP}#item-{items[2].id}"  # back to the row
    assert Progress.objects.get(learner=learner, item=items[2]).status == Status.DONE
    # The message of the redirect shows, although the browser holds the page already.
    page = browser.get(
        response["Location"], headers={"If-None-Match": browser.etags[ROADMAP]}
    ).content.decode()
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

    lookup = page_cache.learner_roadmap(request, "llm")
    assembled = page_cache.learner_body(request, "llm", lookup, _page_context).body.decode()

    roadmap = roadmap_reads.roadmap_for_page("llm")
    roadmap_reads.attach_progress(roadmap_layout.page_items(roadmap), learner)
    context = {
        **_page_context(roadmap),
        "progress": progress_reads.roadmap_progress(learner, roadmap),
        # Ticking an item followed its roadmap: the header's button says so.
        "roadmap_followed": learner.follows.filter(roadmap=roadmap).exists(),
        "csrf_token": CSRF_SENTINEL,
        "status_next": PATH_SENTINEL,
    }
    direct = render_to_string("tracker/roadmap_detail.html#roadmap-body", context, request=request)
    # The assembly also marks the first unfinished item's control, for the skip link.
    forms = re.findall(r'<form (id="next-unfinished" )?class="st is-(\w+)"', assembled)
    first = next(i for i, (_, status) in enumerate(forms) if status in UNFINISHED)
    assert [i for i, (mark, _) in enumerate(forms) if mark] == [first]
    assert assembled.replace('<form id="next-unfinished" class="st', '<form class="st') == str(
        direct
    )
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
        before = visit(browser, DASHBOARD)
        assert still_current(browser, DASHBOARD)
    with time_machine.travel(monday.astimezone(UTC), tick=False):
        assert not still_current(browser, DASHBOARD)
        after = visit(browser, DASHBOARD)

    assert "30 Nov 2026" not in before  # the chart's weeks end with the week of 23 Nov
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
    parts = page_cache.row_parts(request, "llm", item.slug)

    for status, reason in [
        ("done", ""),
        ("skipped", "seen it"),
        ("in_progress", ""),
        ("not_started", ""),
    ]:
        progress = set_status(learner=learner, item=item, status=status, skip_reason=reason)
        assembled = page_cache.row_html(request, parts, progress)
        fresh = roadmap_reads.item_for_page("llm", item.slug)
        fresh.my_progress = progress
        context = {
            "item": fresh,
            "roadmap": fresh.roadmap,
            "csrf_token": CSRF_SENTINEL,
            "link_notes": page_cache.link_notes(),
        }
        direct = render_to_string(
            "tracker/partials/_item_row.html",
            {**context, "status_next": PATH_SENTINEL},
            request=request,
        )
        assert assembled == direct


def test_unknown_roadmap_slugs_are_not_cached(learner_client, db):
    for n in range(5):
        assert Client().get(f"/roadmaps/made-up-{n}/").status_code == 404
        assert learner_client.get(f"/roadmaps/made-up-{n}/").status_code == 404
    # Keys come from URLs: a stored miss per made-up slug would let anyone fill the cache.
    release = page_cache.build_id()
    keys = [
        f"{release}:{page}:made-up-{n}"
        for page in ("roadmap-page", "roadmap-skeleton")
        for n in range(5)
    ]
    assert not [key for key in keys if key in cache]


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


# --- conditional GET and what a learner costs the cache ------------------------------------


def test_an_unchanged_page_is_answered_304_without_a_body_and_revalidated_every_time(alice, items):
    first = alice.get(ROADMAP)
    again = alice.get(ROADMAP, headers={"If-None-Match": first["ETag"]})

    assert again.status_code == 304
    assert again.content == b""
    for response in (first, again):
        assert {"private", "no-cache"} <= set(re.split(r",\s*", response["Cache-Control"]))


def test_another_learners_etag_never_gets_a_304(alice, charlie, items):
    etag = alice.get(ROADMAP)["ETag"]

    response = charlie.get(ROADMAP, headers={"If-None-Match": etag})

    assert response.status_code == 200
    assert "Charlie" in response.content.decode()


def test_a_page_with_a_message_is_never_answered_304(learner, items):
    browser = Client()
    browser.force_login(learner)
    etag = browser.get(ROADMAP)["ETag"]
    browser.post(reverse("set_item_status", args=["llm", items[0].slug]), {"status": "bogus"})

    response = browser.get(ROADMAP, headers={"If-None-Match": etag})

    assert response.status_code == 200
    assert "Nothing changed." in response.content.decode()
    assert "ETag" not in response  # the copy with the message must not be revalidated


@pytest.mark.needs_redis
def test_a_learners_visits_cost_the_cache_under_20_kb(alice, charlie, learner, items):
    """Shared parts are cached once; per learner only a version and the session remain."""
    client = cache._cache.get_client()
    pages = [DASHBOARD, ROADMAP, "/plan/", reverse("item_detail", args=["llm", items[0].slug])]

    def used() -> int:
        return sum(client.memory_usage(key) or 0 for key in client.scan_iter("*"))

    for page in pages:
        assert charlie.get(page).status_code == 200  # the shared parts
    before = used()
    for page in pages:
        assert alice.get(page).status_code == 200

    assert used() - before < 20_000


@pytest.mark.needs_redis
def test_a_version_bump_is_one_redis_round_trip_and_never_makes_up_a_version(settings, monkeypatch):
    import redis
    from django.core.cache import caches

    settings.CACHES = {
        "default": {"BACKEND": "tracker.redis_cache.RedisCache", "LOCATION": settings.REDIS_URL}
    }
    redis_cache = caches["default"]
    sent = []
    original = redis.Redis.execute_command
    monkeypatch.setattr(
        redis.Redis,
        "execute_command",
        lambda self, *args, **kwargs: sent.append(args[0]) or original(self, *args, **kwargs),
    )
    redis_cache.set("bump-test", 40, None)
    redis_cache.incr("bump-test")  # Redis learns the script (once per server start)
    sent.clear()

    assert redis_cache.incr("bump-test") == 42
    assert len(sent) == 1  # Django's own incr() asks EXISTS first: two

    # A missing key stays missing (INCR would start it at 1, below versions made from the
    # clock): page_cache then sets a fresh one.
    redis_cache.delete("bump-test")
    with pytest.raises(ValueError):
        redis_cache.incr("bump-test")
    assert redis_cache.get("bump-test") is None


@pytest.mark.needs_redis
def test_clearing_the_cache_keeps_the_task_queue_that_shares_its_redis_database(settings):
    # One REDIS_URL serves the cache and Celery's broker; Django's clear() would FLUSHDB.
    import redis
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "tracker.redis_cache.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": "roadmap[test]",  # glob characters match only themselves
        }
    }
    redis_cache = caches["default"]
    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.delete("celery", "roadmapt:1:other")
    broker.lpush("celery", "a queued task")
    broker.set("roadmapt:1:other", "not ours")  # would match an unescaped [test]
    redis_cache.set_many({f"page-{n}": n for n in range(2500)}, None)  # more than a batch

    assert redis_cache.clear()

    assert redis_cache.get_many([f"page-{n}" for n in range(2500)]) == {}
    assert broker.lrange("celery", 0, -1) == [b"a queued task"]
    assert broker.get("roadmapt:1:other") == b"not ours"
    broker.delete("celery", "roadmapt:1:other")
