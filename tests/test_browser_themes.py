"""Every main page in light and dark, at 1280 and 390 px: screenshots, and axe with no
violation of any impact.

Dark comes two ways: from the device (Playwright's colour-scheme emulation, for everyone)
and from a signed-in user's own switch, which wins over the device either way. Screenshots
go to artifacts/screenshots/<page>-<theme>-<width>.png. One browser context per person,
theme and width, reused across that person's pages.
"""

import pytest
from django.core.management import call_command

from tests.builders import SCREENSHOTS, WIDEST_JS, browser_context
from tests.factories import UserFactory
from tracker.models import ColourTheme, Item, Status, User
from tracker.services.cohorts import create_cohort, join_cohort
from tracker.services.progress import set_status
from tracker.services.project_reviews import decide_submission, submit_project

WIDTHS = {1280: 900, 390: 844}  # width: height
# The page background (--wash) in each theme, as the browser computes it.
BACKGROUND = {"light": "rgb(244, 246, 248)", "dark": "rgb(13, 17, 23)"}


@pytest.fixture
def people(transactional_db):
    """The LLM roadmap; a learner with some history in a mentor's cohort (and two projects sent
    for review), a newcomer, an admin."""
    call_command("import_roadmap", "content/llm.yaml", verbosity=0)
    items = list(
        Item.objects.active().filter(roadmap__slug="llm").order_by("section__order", "order")
    )
    learner = UserFactory(email="alice@example.com", display_name="Alice", weekly_hours=8)
    for item in items[:4]:
        set_status(learner=learner, item=item, status=Status.DONE)
    set_status(learner=learner, item=items[4], status=Status.IN_PROGRESS)
    set_status(learner=learner, item=items[5], status=Status.SKIPPED, skip_reason="know it")
    mentor = UserFactory(email="maya@example.com", display_name="Maya", is_mentor=True)
    cohort = create_cohort(
        mentor=mentor,
        name="Autumn LLM cohort",
        roadmap=items[0].roadmap,
        projects_need_approval=True,  # a project page puts "Submit for review" in place of Done
    )
    join_cohort(learner=learner, code=cohort.invite_code, share_notes=True)
    # Two projects sent for review: one the mentor sent back (the learner's panel shows the
    # feedback and the form again), one still waiting (the mentor's queue shows it).
    projects = [item for item in items if item.kind == Item.Kind.PROJECT]
    returned = submit_project(
        learner=learner,
        item=projects[0],
        repo_url="https://github.com/alice/prompt-generator",
        writeup="Three prompt variants and **temperature** sweeps.",
    )
    decide_submission(
        mentor=mentor,
        submission=returned,
        decision="changes_requested",
        comment="Add a short comparison of the sampling settings, please.",
    )
    submit_project(
        learner=learner,
        item=projects[1],
        repo_url="https://github.com/alice/bert-classifier",
        writeup="Fine-tuned on SST-2.\n\n- accuracy **0.91** on the test split",
    )
    admin = UserFactory(
        email="root@example.com", display_name="Root", is_staff=True, is_superuser=True
    )
    newcomer = UserFactory(email="nia@example.com", display_name="Nia")
    return {
        "anonymous": None,
        "learner": learner,
        "newcomer": newcomer,
        "mentor": mentor,
        "admin": admin,
        "cohort": cohort,
        "item": items[4],
        "project": projects[0],
    }


def _main_pages(people) -> list[tuple[str, str, str]]:
    """(name, who, path) for every main page."""
    item_path = people["item"].get_absolute_url()
    cohort_id = people["cohort"].pk
    return [
        ("landing", "anonymous", "/"),
        ("roadmaps", "anonymous", "/roadmaps/"),
        ("roadmap", "anonymous", "/roadmaps/llm/"),
        ("item", "anonymous", item_path),
        ("login", "anonymous", "/accounts/login/"),
        ("signup", "anonymous", "/accounts/signup/"),
        ("dashboard-new", "newcomer", "/"),
        ("dashboard", "learner", "/"),
        ("roadmaps-signed-in", "learner", "/roadmaps/"),
        ("roadmap-signed-in", "learner", "/roadmaps/llm/"),
        ("item-signed-in", "learner", item_path),
        ("plan", "learner", "/plan/"),
        ("map", "anonymous", "/roadmaps/llm/map/"),
        ("map-signed-in", "learner", "/roadmaps/llm/map/"),
        ("search", "learner", "/search/?q=attention"),
        ("project-review", "learner", people["project"].get_absolute_url()),
        ("me", "learner", "/me/"),
        ("cohorts", "learner", "/cohorts/"),
        ("cohort-dashboard", "mentor", f"/cohorts/{cohort_id}/"),
        ("cohort-learner", "mentor", f"/cohorts/{cohort_id}/learners/{people['learner'].pk}/"),
        ("cohort-heatmap", "mentor", f"/cohorts/{cohort_id}/heatmap/"),
        ("reviews", "mentor", "/cohorts/reviews/"),
        ("admin-links", "admin", "/admin/tracker/link/"),
    ]


def _context(browser, live_server, user: User | None, *, width: int, scheme: str):
    viewport = {"width": width, "height": WIDTHS[width]}
    return browser_context(browser, live_server, user, viewport=viewport, color_scheme=scheme)


def _describe(violations: list[dict]) -> str:
    return "; ".join(
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']][:4]}"
        for v in violations
    )


def _check(page, axe, name: str, theme: str, problems: dict) -> None:
    """Axe (every impact) and the theme's background on one of the app's own pages."""
    violations = axe.run(page).response["violations"]
    if violations:
        problems[f"{name} {theme}"] = _describe(violations)
    background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    if background != BACKGROUND[theme]:
        problems[f"{name} {theme} background"] = background


@pytest.mark.browser
def test_every_main_page_passes_axe_in_light_and_dark_at_desktop_and_phone_widths(
    browser, live_server, people
):
    from axe_playwright_python.sync_playwright import Axe

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    axe = Axe()
    problems: dict[str, str] = {}
    for theme in ("light", "dark"):
        for width in WIDTHS:
            pages = {}
            for name, who, path in _main_pages(people):
                if who not in pages:
                    context = _context(browser, live_server, people[who], width=width, scheme=theme)
                    pages[who] = context.new_page()
                page = pages[who]
                response = page.goto(path)
                assert response.status == 200, f"{path} as {who}: HTTP {response.status}"
                page.screenshot(path=SCREENSHOTS / f"{name}-{theme}-{width}.png", full_page=True)
                if name == "dashboard":
                    # The chart's text keeps its size at every width: no more 5 px on a phone.
                    sizes = page.locator(".chart-box li").evaluate_all(
                        "items => items.map(i => getComputedStyle(i).fontSize)"
                    )
                    assert set(sizes) == {"12.8px"}, sizes
                if name == "dashboard-new":
                    assert page.get_by_text("Your chart starts with your first").count() == 1
                # Django's own admin has its own themes and markup: screenshots only.
                if who != "admin":
                    _check(page, axe, f"{name} at {width}", theme, problems)
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                if overflow > 0 and who != "admin":
                    problems[f"{name} {theme} {width} width"] = (
                        f"scrolls sideways by {overflow}px: {page.evaluate(WIDEST_JS)}"
                    )
            for page in pages.values():
                page.context.close()
    assert problems == {}


@pytest.mark.browser
def test_a_users_own_theme_wins_over_their_device_on_every_page(browser, live_server, people):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems: dict[str, str] = {}
    signed_in = [page for page in _main_pages(people) if page[1] not in ("anonymous", "admin")]
    # On a light device a learner picks Dark in the header, and on a dark one Light; the
    # switch is a plain form, so it works the same without JavaScript.
    for device, chosen, button in (("light", "dark", "Dark"), ("dark", "light", "Light")):
        contexts = {}
        for who in {who for _, who, _ in signed_in}:
            context = _context(browser, live_server, people[who], width=1280, scheme=device)
            page = context.new_page()
            page.goto("/me/")
            page.locator(".theme-switch").get_by_role("button", name=button).click()
            page.wait_for_url("**/me/")
            assert page.locator("html").get_attribute("data-theme") == chosen
            contexts[who] = page
        for name, who, path in signed_in:
            page = contexts[who]
            page.goto(path)
            pressed = page.locator('.theme-switch button[aria-pressed="true"]')
            assert pressed.inner_text().endswith(button)
            _check(page, axe, name, chosen, problems)
        for page in contexts.values():
            page.context.close()
        User.objects.update(theme=ColourTheme.SYSTEM)
    assert problems == {}


@pytest.mark.browser
def test_the_theme_switch_returns_to_the_same_page_without_javascript(browser, live_server, people):
    context = browser_context(
        browser, live_server, people["learner"], java_script_enabled=False, color_scheme="light"
    )
    page = context.new_page()
    page.goto("/roadmaps/llm/?view=list")
    page.locator(".theme-switch").get_by_role("button", name="Dark").click()
    page.wait_for_url("**/roadmaps/llm/?view=list")
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(230, 237, 243)"
    context.close()
    people["learner"].refresh_from_db()
    assert people["learner"].theme == ColourTheme.DARK


# Every colour token of the stylesheet's :root, as the browser resolves it on the page.
TOKEN_COLOURS_JS = """() => {
  const names = [];
  for (const sheet of document.styleSheets) {
    for (const rule of sheet.cssRules) {
      if (rule.selectorText !== ":root") continue;
      for (const name of rule.style) {
        const value = rule.style.getPropertyValue(name);
        if (name.startsWith("--") && /#|light-dark|var\\(/.test(value)) names.push(name);
      }
    }
  }
  const probe = document.createElement("span");
  document.body.append(probe);
  const colours = {};
  for (const name of names) {
    probe.style.color = `var(${name})`;
    colours[name] = getComputedStyle(probe).color;
  }
  probe.remove();
  return colours;
}"""


@pytest.mark.browser
def test_a_theme_looks_the_same_whether_the_device_or_the_user_chose_it(
    browser, live_server, transactional_db
):
    # One set of tokens serves both ways in: the device's scheme, and the user's own switch.
    colours = {}
    for theme in (ColourTheme.SYSTEM, ColourTheme.LIGHT, ColourTheme.DARK):
        user = UserFactory(email=f"{theme}@example.com", theme=theme)
        for device in ("light", "dark"):
            context = browser_context(browser, live_server, user, color_scheme=device)
            page = context.new_page()
            page.goto("/me/")
            colours[theme, device] = page.evaluate(TOKEN_COLOURS_JS)
            context.close()

    light, dark = colours[ColourTheme.SYSTEM, "light"], colours[ColourTheme.SYSTEM, "dark"]
    assert len(light) >= 20  # the colour tokens were found
    assert light["--wash"] == BACKGROUND["light"] and dark["--wash"] == BACKGROUND["dark"]
    assert {name for name in light if light[name] != dark[name]} >= {"--ink", "--paper", "--ok"}
    for device in ("light", "dark"):
        assert colours[ColourTheme.LIGHT, device] == light, device
        assert colours[ColourTheme.DARK, device] == dark, device
