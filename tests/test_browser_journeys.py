"""Every journey in a real browser (Debian's headless chromium), on the real LLM roadmap.

Learner, mentor, admin and no-JavaScript journeys; then axe-core on every main page at desktop
and mobile widths, saving a full-page screenshot of each under artifacts/screenshots/.
Each person gets their own browser context, so their cookies never mix.
"""

import csv
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.builders import SCREENSHOTS, WIDEST_JS
from tests.factories import UserFactory
from tracker.models import Cohort, Item, Progress, Status, User
from tracker.selectors.cohorts import cohort_items
from tracker.services.cohorts import create_cohort, join_cohort
from tracker.services.progress import set_status

PASSWORD = "a-long-and-unusual-passphrase"
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}


@pytest.fixture
def llm(transactional_db):
    call_command("import_roadmap", "content/llm.yaml", verbosity=0)
    return Item.objects.active().filter(roadmap__slug="llm").order_by("section__order", "order")


def _sign_in(page, email: str, password: str = PASSWORD, path: str = "/accounts/login/"):
    page.goto(path)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    # The site's button says "Sign in", the admin's "Log in".
    page.get_by_role("button", name=re.compile("^(Sign|Log) in$")).click()


# --- learner --------------------------------------------------------------------------------


@pytest.mark.browser
def test_learner_signs_up_ticks_three_items_plans_the_week_and_exports(new_context, llm):
    first_items = list(llm[:3])
    page = new_context(accept_downloads=True).new_page()

    page.goto("/accounts/signup/")
    page.get_by_label("Email address").fill("dana@example.com")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    # The first-run step: choose what to follow, then on to the settings.
    page.wait_for_url("**/me/roadmaps/choose/?next=/me/")
    page.get_by_label(llm[0].roadmap.title).check()
    page.get_by_role("button", name="Follow the roadmaps I ticked").click()
    page.wait_for_url("**/me/")

    page.goto("/roadmaps/llm/")
    page.evaluate("window.__marker = 'still here'")
    for item in first_items:
        row = page.locator(f"#item-{item.id}")
        row.get_by_role("button", name="Done").click()
        row.locator('button[value="done"][aria-pressed="true"]').wait_for()
    assert page.evaluate("window.__marker") == "still here", "the roadmap page reloaded"
    summary = page.locator("#progress-summary").inner_text().replace("\n", " ")
    assert f"3 done · {llm.count()} in all" in summary

    page.goto("/me/")
    page.get_by_label("Weekly study hours").fill("12")
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Your settings are saved.").wait_for()
    assert User.objects.get(email="dana@example.com").weekly_hours == 12

    page.goto("/plan/")
    assert "You plan 12 h a week" in page.locator(".plan-summary").inner_text()
    this_week = page.locator("#this-week-list .plan-row")
    assert this_week.count() >= 1
    planned = " ".join(this_week.all_inner_texts())
    # The week is filled from what is left: the items already done are not planned again.
    assert llm[3].title in planned
    for item in first_items:
        assert item.title not in planned

    page.goto("/me/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export as JSON").click()
    download = download_info.value
    assert download.suggested_filename == "roadmap-tracker-export.json"
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert data["profile"]["email"] == "dana@example.com"
    assert data["profile"]["weekly_hours"] == 12
    done = sorted(row["item"] for row in data["progress"] if row["status"] == "done")
    assert done == sorted(item.slug for item in first_items)


# --- mentor ---------------------------------------------------------------------------------


@pytest.mark.browser
def test_mentor_creates_a_cohort_a_learner_joins_by_link_and_the_mentor_sees_them(new_context, llm):
    UserFactory(email="mentor@example.com", display_name="Maya", is_mentor=True, password=PASSWORD)
    item = llm[0]
    mentor_page = new_context(accept_downloads=True).new_page()

    _sign_in(mentor_page, "mentor@example.com")
    mentor_page.wait_for_url("**/")
    mentor_page.goto("/cohorts/")
    mentor_page.get_by_role("link", name="New cohort").click()
    mentor_page.get_by_label("Name").fill("Autumn LLM cohort")
    mentor_page.locator("select[name=roadmap]").select_option(label=llm[0].roadmap.title)
    mentor_page.get_by_role("button", name="Create cohort").click()
    mentor_page.get_by_text("Cohort “Autumn LLM cohort” created.").wait_for()
    invite_url = mentor_page.get_by_role("textbox", name="Invite link").input_value()
    cohort = Cohort.objects.get(name="Autumn LLM cohort")
    assert invite_url.endswith(cohort.get_invite_path())

    # A newcomer follows the link, is sent to sign in, creates an account from there and
    # lands back on the invitation.
    learner_page = new_context().new_page()
    learner_page.goto(invite_url)
    learner_page.wait_for_url(re.compile(r"/accounts/login/\?next=/cohorts/join/"))
    learner_page.get_by_role("link", name="Create an account").click()
    learner_page.get_by_label("Email address").fill("erin@example.com")
    learner_page.get_by_label("Password:", exact=True).fill(PASSWORD)
    learner_page.get_by_label("Password confirmation").fill(PASSWORD)
    learner_page.get_by_role("button", name="Sign up").click()
    learner_page.wait_for_url(f"**{cohort.get_invite_path()}")
    learner_page.get_by_role("heading", name="Join “Autumn LLM cohort”").wait_for()
    learner_page.get_by_role("button", name="Join Autumn LLM cohort").click()
    learner_page.get_by_text("You joined “Autumn LLM cohort”.").wait_for()

    learner_page.goto("/roadmaps/llm/")
    learner_page.locator(f"#item-{item.id}").get_by_role("button", name="Done").click()
    learner_page.locator(f'#item-{item.id} button[value="done"][aria-pressed="true"]').wait_for()

    mentor_page.goto(f"/cohorts/{cohort.pk}/")
    row = mentor_page.locator(".cohort-table tbody tr", has_text="erin@example.com")
    total = len(cohort_items(cohort))  # a shared topic's twins count once for mentors
    assert total < llm.count()
    assert f"1/{total}" in row.inner_text()

    with mentor_page.expect_download() as download_info:
        mentor_page.get_by_role("link", name="Export CSV").click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["email"] for r in rows] == ["erin@example.com"]
    assert rows[0]["done"] == "1"
    assert rows[0][item.slug] == "done"


# --- admin ----------------------------------------------------------------------------------


@pytest.mark.browser
def test_admin_renames_an_item_and_the_public_roadmap_page_shows_the_new_title(new_context, llm):
    UserFactory(email="root@example.com", is_staff=True, is_superuser=True, password=PASSWORD)
    item = llm[1]
    visitor = new_context().new_page()
    visitor.goto("/roadmaps/llm/")
    # The anonymous page is now cached under the current content version.
    assert visitor.locator(f"#item-{item.id}").get_by_text(item.title).count() == 1

    admin_page = new_context().new_page()
    _sign_in(admin_page, "root@example.com", path="/admin/login/")
    admin_page.wait_for_url("**/admin/")
    admin_page.goto(f"/admin/tracker/item/{item.id}/change/")
    admin_page.get_by_label("Title:").fill("Probability, renamed in the admin")
    admin_page.get_by_role("button", name="Save", exact=True).click()
    admin_page.locator(".messagelist .success").wait_for()

    visitor.goto("/roadmaps/llm/")
    assert (
        visitor.locator(f"#item-{item.id}").get_by_text("Probability, renamed in the admin").count()
        == 1
    )
    assert item.title not in visitor.locator(f"#item-{item.id}").inner_text()


# --- no JavaScript --------------------------------------------------------------------------


@pytest.mark.browser
def test_without_javascript_a_status_change_posts_redirects_back_and_shows(new_context, llm):
    learner = UserFactory(email="nojs@example.com")
    item = llm[2]
    page = new_context(as_user=learner, java_script_enabled=False).new_page()

    page.goto("/roadmaps/llm/")
    with page.expect_navigation():
        page.locator(f"#item-{item.id}").get_by_role("button", name="In progress").click()
    assert page.url.endswith(f"/roadmaps/llm/#item-{item.id}")
    assert page.get_by_text(f"“{item.title}” is now marked in progress.").count() == 1
    pressed = page.locator(f'#item-{item.id} button[aria-pressed="true"]')
    assert pressed.inner_text().strip() == "In progress"
    assert Progress.objects.get(learner=learner, item=item).status == Status.IN_PROGRESS


# --- axe-core and screenshots on every main page --------------------------------------------


@pytest.fixture
def populated(llm):
    """A mentor's cohort of two learners with some history: done, in progress, skipped."""
    items = list(llm)
    mentor = UserFactory(email="maya@example.com", display_name="Maya", is_mentor=True)
    alice = UserFactory(email="alice@example.com", display_name="Alice", weekly_hours=8)
    ben = UserFactory(email="ben@example.com", display_name="Ben")
    for item in items[:4]:
        set_status(learner=alice, item=item, status=Status.DONE)
    set_status(learner=alice, item=items[4], status=Status.IN_PROGRESS)
    set_status(learner=alice, item=items[5], status=Status.SKIPPED, skip_reason="know it")
    set_status(learner=ben, item=items[0], status=Status.IN_PROGRESS)
    cohort = create_cohort(mentor=mentor, name="Autumn LLM cohort", roadmap=items[0].roadmap)
    join_cohort(learner=alice, code=cohort.invite_code, share_notes=True)
    join_cohort(learner=ben, code=cohort.invite_code)
    newcomer = UserFactory(email="nia@example.com", display_name="Nia")
    return {
        "mentor": mentor,
        "learner": alice,
        "newcomer": newcomer,
        "cohort": cohort,
        "item": items[4],
    }


def _main_pages(populated) -> list[tuple[str, str, str]]:
    """(name, who, path) for every main page; who is anonymous, learner, newcomer or mentor."""
    item = populated["item"]
    item_path = f"/roadmaps/llm/{item.slug}/"
    cohort = populated["cohort"]
    cohort_id = cohort.pk
    return [
        ("landing", "anonymous", "/"),
        ("roadmaps", "anonymous", "/roadmaps/"),
        ("roadmap", "anonymous", "/roadmaps/llm/"),
        ("item", "anonymous", item_path),
        ("login", "anonymous", "/accounts/login/"),
        ("signup", "anonymous", "/accounts/signup/"),
        ("password-reset", "anonymous", "/accounts/password_reset/"),
        ("dashboard-new", "newcomer", "/"),
        ("cohort-join", "newcomer", cohort.get_invite_path()),
        ("dashboard", "learner", "/"),
        ("roadmap-signed-in", "learner", "/roadmaps/llm/"),
        ("item-signed-in", "learner", item_path),
        ("plan", "learner", "/plan/"),
        ("me", "learner", "/me/"),
        ("my-roadmaps", "learner", "/me/roadmaps/"),
        ("cohorts", "learner", "/cohorts/"),
        ("search-signed-in", "learner", "/search/?q=attention"),
        ("cohort-dashboard", "mentor", f"/cohorts/{cohort_id}/"),
        ("cohort-heatmap", "mentor", f"/cohorts/{cohort_id}/heatmap/"),
        ("cohort-settings", "mentor", f"/cohorts/{cohort_id}/settings/"),
        ("cohort-learner", "mentor", f"/cohorts/{cohort_id}/learners/{populated['learner'].pk}/"),
        ("cohort-item", "mentor", f"/cohorts/{cohort_id}/items/{item.slug}/"),
    ]


def _describe(violations: list[dict]) -> str:
    return "; ".join(
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']][:5]}"
        for v in violations
    )


@pytest.mark.browser
@pytest.mark.parametrize("viewport_name", ["desktop", "mobile"])
def test_every_main_page_has_no_serious_accessibility_violations_and_fits_the_screen(
    new_context, populated, viewport_name
):
    from axe_playwright_python.sync_playwright import Axe

    viewport = DESKTOP if viewport_name == "desktop" else MOBILE
    pages = {
        who: new_context(as_user=populated.get(who), viewport=viewport).new_page()
        for who in ["anonymous", "learner", "newcomer", "mentor"]
    }
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    axe = Axe()
    problems = {}
    for name, who, path in _main_pages(populated):
        page = pages[who]
        response = page.goto(path)
        assert response.status == 200, f"{path} as {who}: HTTP {response.status}"
        page.screenshot(path=SCREENSHOTS / f"{name}-{viewport_name}.png", full_page=True)
        results = axe.run(page)
        serious = [
            v for v in results.response["violations"] if v["impact"] in ("serious", "critical")
        ]
        if serious:
            problems[name] = _describe(serious)
        # Wide tables scroll inside their .table-wrap; the page itself never scrolls sideways.
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            problems[f"{name} width"] = (
                f"the page scrolls sideways by {overflow}px: {page.evaluate(WIDEST_JS)}"
            )
    assert problems == {}
