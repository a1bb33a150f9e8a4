"""Shared fixtures: personas and the service guards.

Personas follow healthchecks' habit: `learner` tracks a roadmap, `mentor` mentors the
learner's cohort (once cohorts exist), `outsider` is another learner with no access to either.
Tests that need a real service carry a marker; without the service they are skipped, and
with REQUIRE_SERVICES=1 (set by .ci/run) a missing service stops the run instead.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery"


def _redis_available() -> bool:
    if not settings.REDIS_URL:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _postgres_configured() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_collection_modifyitems(config, items):
    require = os.environ.get("REQUIRE_SERVICES") == "1"
    missing = {}
    if any(item.get_closest_marker("needs_redis") for item in items) and not _redis_available():
        missing["needs_redis"] = "Redis is not reachable at REDIS_URL"
    if any(item.get_closest_marker("needs_postgres") for item in items) and not (
        _postgres_configured()
    ):
        missing["needs_postgres"] = "DATABASE_URL does not point at PostgreSQL"
    if require and missing:
        pytest.exit("REQUIRE_SERVICES=1 but " + "; ".join(missing.values()), returncode=3)
    for item in items:
        for marker, reason in missing.items():
            if item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def learner(db):
    return UserFactory(email="alice@example.com", display_name="Alice")


@pytest.fixture
def mentor(db):
    return UserFactory(email="bob@example.com", display_name="Bob", is_mentor=True)


@pytest.fixture
def outsider(db):
    return UserFactory(email="charlie@example.com", display_name="Charlie")


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client


@pytest.fixture(autouse=True)
def _fast_passwords(request, settings):
    # Personas, factories and sign-ups each hash a password, and the production hasher spends
    # about half a second on one: most of the suite's time, for a hash no test is about.
    # A server started in another process has the production settings, and only their
    # hashers can check a password it is sent: such tests are marked `real_passwords`.
    if request.node.get_closest_marker("real_passwords") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Factories write content without bumping the content version, so a page cached by one
    # test must not be served to the next.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _static_without_collectstatic(settings):
    # Production serves hashed files from collectstatic's manifest; tests render templates
    # straight from static/ so they don't depend on a build step.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def cohort(db, learner, mentor):
    """`mentor` mentors it and `learner` is in it; `outsider` is not. Its roadmap has 3 items."""
    from tests.factories import ItemFactory, SectionFactory
    from tracker.models import Cohort, Membership

    section = SectionFactory(title="Foundations")
    for n in range(3):
        ItemFactory(section=section, slug=f"cohort-item-{n}", title=f"Cohort item {n}")
    cohort = Cohort.objects.create(name="Spring cohort", roadmap=section.roadmap)
    cohort.mentors.add(mentor)
    Membership.objects.create(cohort=cohort, learner=learner)
    return cohort


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser(live_server, transactional_db, monkeypatch):
    """One headless chromium (Debian's) for the test; pages and contexts come from it.

    Playwright never downloads a browser here: it drives /usr/bin/chromium or the test is
    skipped. Its sync API runs an event loop in this thread, which trips Django's async guard
    for the ORM calls tests make around the browser, hence DJANGO_ALLOW_ASYNC_UNSAFE.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from django.core.cache import cache
    from django.db import connections
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    cache.clear()  # with Redis the cache outlives each test's database
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
            # While Playwright runs, ORM calls get their own connection (a separate greenlet
            # context); close it here, or PostgreSQL refuses to drop the test database.
            connections.close_all()


@pytest.fixture
def browser_page(browser, live_server):
    """A page of a fresh context, with base_url set to the live server."""
    from tests.builders import browser_context

    context = browser_context(browser, live_server)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def new_context(browser, live_server):
    """Make browser contexts (one person's cookies each): new_context(as_user=…, **options)."""
    from tests.builders import browser_context

    def make(as_user=None, **options):
        return browser_context(browser, live_server, as_user, **options)

    return make
