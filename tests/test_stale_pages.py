"""No stale page: every write that changes what a page shows reaches it once it commits (never
before), a deploy never serves HTML from the old templates, and web workers without Redis
share one cache."""

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.builders import make_roadmap
from tests.factories import ResourceFactory
from tracker import page_cache
from tracker.linkcheck import normalize_url
from tracker.models import Item, Link, LinkState, Progress, Status
from tracker.services import links as link_service

ROADMAP = "/roadmaps/llm/"
CHECKED = datetime(2026, 11, 2, tzinfo=UTC)


@pytest.fixture
def items(db):
    _, made = make_roadmap(8)
    return made


@pytest.fixture
def alice(learner, items):
    client = Client()
    client.force_login(learner)
    return client


def broken_link(item: Item, url: str, **fields) -> Link:
    ResourceFactory(item=item, roadmap=item.roadmap, url=url, title="Gone paper")
    return Link.objects.create(
        url=normalize_url(url),
        host="example.org",
        state=LinkState.BROKEN,
        last_result=LinkState.BROKEN,
        last_checked_at=CHECKED,
        confirmed_broken_at=CHECKED,
        **fields,
    )


def test_ignoring_a_broken_link_in_the_admin_removes_its_warning_from_cached_pages(
    alice, client, items, admin_client, django_capture_on_commit_callbacks
):
    link = broken_link(items[0], "https://example.org/gone")
    visitor = Client()
    assert "link may be broken" in alice.get(ROADMAP).content.decode()
    assert "link may be broken" in visitor.get(ROADMAP).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:tracker_link_changelist"),
            {"action": "ignore", "_selected_action": [link.id]},
        )

    assert response.status_code == 302
    assert "link may be broken" not in alice.get(ROADMAP).content.decode()
    assert "link may be broken" not in visitor.get(ROADMAP).content.decode()


def test_an_applied_redirect_reaches_pages_after_its_commit_and_not_before(
    alice, items, django_capture_on_commit_callbacks
):
    link = broken_link(items[0], "https://example.org/old", suggested_url="https://example.org/new")
    alice.get(ROADMAP)
    before = page_cache.content_version()

    with django_capture_on_commit_callbacks() as callbacks:
        assert link_service.apply_suggested_redirect(link=link) == 1
        # Not committed yet: another process building a page now still reads the old URL,
        # so the version must not move until the commit, or that page would be kept.
        assert page_cache.content_version() == before
    for callback in callbacks:
        callback()

    assert page_cache.content_version() != before
    assert "https://example.org/new" in alice.get(ROADMAP).content.decode()


def test_a_deploy_never_serves_pages_rendered_by_the_old_release(alice, client, items, settings):
    settings.BUILD_ID = "release-1"
    alice.get(ROADMAP)
    client.get(ROADMAP)
    # What the new release renders differently, as a change that invalidates nothing.
    Item.objects.filter(pk=items[0].pk).update(title="As The New Templates Render It")

    settings.BUILD_ID = "release-2"

    assert "As The New Templates Render It" in client.get(ROADMAP).content.decode()
    assert "As The New Templates Render It" in alice.get(ROADMAP).content.decode()


def test_without_a_build_id_the_release_is_a_hash_of_templates_and_code(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "tracker").mkdir()
    page = tmp_path / "templates" / "page.html"
    page.write_text("<p>{{ one }}</p>")
    first = page_cache.source_hash(tmp_path)
    page.write_text("<p>{{ two }}</p>")
    page_cache.source_hash.cache_clear()

    assert page_cache.source_hash(tmp_path) != first


def test_without_redis_every_worker_process_sees_the_same_cache(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}},
        "DJANGO_SETTINGS_MODULE": "roadmap_site.settings",
        "SECRET_KEY": "test-only",
        "CACHE_DIR": str(tmp_path),
    }

    def worker(code: str) -> str:
        setup = "import django; django.setup(); from django.core.cache import cache; "
        return subprocess.run(
            [sys.executable, "-c", setup + code],
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    worker("cache.set('content-version', 41, None); cache.incr('content-version')")

    assert worker("print(cache.get('content-version'))") == "42"


# Rows no cached page shows: mentors' cohort pages and the admin's link health are rendered
# afresh on every request.
# Sign-in attempts are counters for the sign-in limits; no page shows them.
# Project reviews show on item pages and the review queue, rendered afresh; the one cached
# trace, a mentor's "Reviews (n)" in the menu, is in their pages' stamp (page_cache).
# The mentor digest's record only feeds the next week's email.
# Spaced review's ratings are history that only /review/ (never cached) reads; each rating
# saves its card too, which is watched.
NOT_ON_CACHED_PAGES = {
    "MentorDigest",
    "ReviewLog",
    "ProjectSubmission",
    "ProjectReview",
    "LinkCheck",
    "HostRule",
    "LinkAlertRecipient",
    "AuthAttempt",
}


def test_every_model_is_watched_by_the_page_cache_or_declared_not_shown():
    """A new model must be either invalidated by the page cache's hook or listed above."""
    models = {model.__name__ for model in apps.get_app_config("tracker").get_models()}
    watched = {m.__name__ for m in (*page_cache.CONTENT_MODELS, *page_cache.LEARNER_MODELS)}

    # A cohort's dates and name are in its members' plans: its saves refresh their pages
    # (page_cache's cohort hook); its milestones are only written by
    # services.cohorts.set_schedule, which saves the cohort after them.
    own_hooks = {"Cohort", "CohortMilestone"}
    assert models - watched - {"User"} - own_hooks == NOT_ON_CACHED_PAGES


def test_a_status_set_in_the_shell_reaches_the_learners_page(
    alice, learner, items, django_capture_on_commit_callbacks
):
    """No service involved: a plain save() invalidates too (signals, after the commit)."""
    etag = alice.get(ROADMAP)["ETag"]

    with django_capture_on_commit_callbacks(execute=True):
        Progress.objects.create(learner=learner, item=items[3], status=Status.DONE)

    response = alice.get(ROADMAP, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "1 done" in response.content.decode()
