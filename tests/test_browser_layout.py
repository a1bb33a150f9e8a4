"""Long names, notes and cohort names never push a page wider than the screen.

A learner and a mentor type the longest values the forms accept, without spaces, and every
main page is measured at phone and desktop widths. Full-page screenshots of each go to
artifacts/screenshots/layout-*.png.
"""

import pytest
from django.core.management import call_command

from tests.builders import SCREENSHOTS, VIEWPORTS, WIDEST_JS, browser_context
from tests.factories import UserFactory
from tracker.forms import DISPLAY_NAME_MAX, NOTE_MAX, SKIP_REASON_MAX
from tracker.models import Cohort, Item, Progress, Status
from tracker.services.cohorts import join_cohort
from tracker.services.progress import save_note, set_status

LONG_NAME = "Bartholomew" + "x" * 64  # 75 characters, no space: the example
LONG_COHORT = "AutumnLargeLanguageModelsCohort" * 4  # 124 characters cut to the limit below


def _signed_in(browser, live_server, user, viewport, **options):
    return browser_context(browser, live_server, user, viewport=viewport, **options).new_page()


@pytest.fixture
def long_inputs(transactional_db):
    """The LLM roadmap; a learner with the longest values in a mentor's long-named cohort."""
    call_command("import_roadmap", "content/llm.yaml", verbosity=0)
    items = list(
        Item.objects.active().filter(roadmap__slug="llm").order_by("section__order", "order")
    )
    project = next(item for item in items if item.kind == Item.Kind.PROJECT)
    learner = UserFactory(email="long@example.com", display_name="Dana")
    mentor = UserFactory(email="mentor@example.com", display_name="Maya", is_mentor=True)
    unbroken_note = "n" * 3000 + "\n" + "word " * 1000
    set_status(learner=learner, item=items[0], status=Status.DONE)
    set_status(learner=learner, item=items[1], status=Status.IN_PROGRESS)
    save_note(learner=learner, item=items[1], note=unbroken_note)
    set_status(
        learner=learner, item=items[2], status=Status.SKIPPED, skip_reason="r" * SKIP_REASON_MAX
    )
    set_status(learner=learner, item=project, status=Status.IN_PROGRESS)
    save_note(
        learner=learner,
        item=project,
        note="See the repository.",
        project_url="https://example.org/" + "p" * 470,
    )
    # A note saved before the limit existed: kept whole, and still readable.
    Progress.objects.filter(learner=learner, item=items[0]).update(note="o" * 100_000)
    return {"learner": learner, "mentor": mentor, "items": items, "project": project}


@pytest.mark.browser
def test_long_names_notes_and_cohort_names_never_make_a_page_wider_than_the_screen(
    browser, live_server, long_inputs
):
    learner, mentor, items = long_inputs["learner"], long_inputs["mentor"], long_inputs["items"]
    phone = VIEWPORTS["phone"]

    # The learner types a 75-character name without spaces and a note at the limit.
    page = _signed_in(browser, live_server, learner, phone)
    page.goto("/me/")
    page.get_by_label("Display name").fill(LONG_NAME)
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Your settings are saved.").wait_for()
    item = items[3]
    page.goto(item.get_absolute_url())
    page.get_by_label("Private note").fill("m" * NOTE_MAX + "cut by the browser")
    assert page.locator("#note .char-count").inner_text() == "10,000 of 10,000 characters"
    page.get_by_role("button", name="Save note").click()
    page.get_by_text("Saved.").wait_for()
    # The form htmx swapped in counts too, once (site.js adds the count on htmx:load, just
    # after the swap: wait for it rather than race it).
    page.locator("#note .char-count").wait_for()
    assert page.locator("#note .char-count").all_inner_texts() == ["10,000 of 10,000 characters"]
    learner.refresh_from_db()
    assert learner.display_name == LONG_NAME[:DISPLAY_NAME_MAX]
    assert Progress.objects.get(learner=learner, item=item).note == "m" * NOTE_MAX

    # The mentor types the longest cohort name the form takes.
    mentor_page = _signed_in(browser, live_server, mentor, phone)
    mentor_page.goto("/cohorts/new/")
    mentor_page.get_by_label("Name").fill(LONG_COHORT)
    mentor_page.locator("select[name=roadmap]").select_option(label=item.roadmap.title)
    mentor_page.get_by_role("button", name="Create cohort").click()
    mentor_page.get_by_text("Share its invite link.").wait_for()
    cohort = Cohort.objects.get()
    assert LONG_COHORT.startswith(cohort.name)
    join_cohort(learner=learner, code=cohort.invite_code, share_notes=True)

    item_path = items[2].get_absolute_url()
    pages = [
        ("dashboard", learner, "/"),
        ("roadmaps", learner, "/roadmaps/"),
        ("roadmap", learner, "/roadmaps/llm/"),
        ("item-skipped", learner, item_path),
        ("item-noted", learner, items[1].get_absolute_url()),
        ("item-project", learner, long_inputs["project"].get_absolute_url()),
        ("plan", learner, "/plan/"),
        ("me", learner, "/me/"),
        ("cohorts-learner", learner, "/cohorts/"),
        ("cohorts-mentor", mentor, "/cohorts/"),
        ("cohort-dashboard", mentor, f"/cohorts/{cohort.pk}/"),
        ("cohort-heatmap", mentor, f"/cohorts/{cohort.pk}/heatmap/"),
        ("cohort-settings", mentor, f"/cohorts/{cohort.pk}/settings/"),
        ("cohort-learner", mentor, f"/cohorts/{cohort.pk}/learners/{learner.pk}/"),
        ("cohort-item", mentor, f"/cohorts/{cohort.pk}/items/{items[2].slug}/"),
    ]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    too_wide = {}
    for viewport_name, viewport in VIEWPORTS.items():
        tabs = {
            person.pk: _signed_in(browser, live_server, person, viewport)
            for person in (learner, mentor)
        }
        for name, person, path in pages:
            tab = tabs[person.pk]
            response = tab.goto(path)
            assert response.status == 200, f"{path}: HTTP {response.status}"
            tab.screenshot(path=SCREENSHOTS / f"layout-{name}-{viewport_name}.png", full_page=True)
            width = tab.evaluate("document.documentElement.scrollWidth")
            if width > viewport["width"]:
                too_wide[f"{name} at {viewport['width']}"] = (
                    f"{width}px wide: {tab.evaluate(WIDEST_JS)}"
                )
    if too_wide:
        lines = [f"{name}: {problem}" for name, problem in too_wide.items()]
        pytest.fail("Pages wider than the screen:\n" + "\n".join(lines))


@pytest.mark.browser
def test_a_mentor_reads_a_long_shared_note_in_full_only_after_asking(
    browser, live_server, long_inputs
):
    from axe_playwright_python.sync_playwright import Axe

    learner, mentor, items = long_inputs["learner"], long_inputs["mentor"], long_inputs["items"]
    cohort = Cohort.objects.create(name="Spring", roadmap=items[0].roadmap)
    cohort.mentors.add(mentor)
    join_cohort(learner=learner, code=cohort.invite_code, share_notes=True)
    page = _signed_in(browser, live_server, mentor, VIEWPORTS["desktop"])

    page.goto(f"/cohorts/{cohort.pk}/learners/{learner.pk}/")
    results = Axe().run(page).response["violations"]
    assert [v["id"] for v in results if v["impact"] in ("serious", "critical")] == []
    row = page.locator("tr", has=page.get_by_role("link", name=items[0].title, exact=True))
    cell = row.locator("td.shared-note")
    # The 100,000-character note takes a few lines until the mentor opens it.
    assert cell.bounding_box()["height"] < 400
    cell.get_by_text("Show the whole note").click()
    assert cell.bounding_box()["height"] > 10_000
    assert cell.locator(".long-note-full").inner_text() == "o" * 100_000
