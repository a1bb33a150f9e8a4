"""The mentor's pages fit the screen: the cohort table at 1280 px, cards at 390 px, the
per-learner page as one aligned table, and the Copy buttons. In Debian's headless chromium,
on the real LLM roadmap; screenshots go to artifacts/screenshots/mentor-*.png.
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.builders import SCREENSHOTS, VIEWPORTS, WIDEST_JS, browser_context
from tests.factories import UserFactory
from tracker.models import Cohort, Item, Membership, Progress, Status
from tracker.selectors.cohorts import section_columns
from tracker.services.progress import save_note, set_status

LONG_EMAIL = "bartholomew.fitzgerald-worthington@learners.example-university.edu"


def _signed_in(browser, live_server, user, viewport, **options):
    return browser_context(browser, live_server, user, viewport=viewport, **options).new_page()


@pytest.fixture
def mentored(transactional_db):
    """A mentor's cohort on the LLM roadmap: twelve learners at different
    points, one with a long address, one at risk, and one sharing a long note."""
    call_command("import_roadmap", "content/llm.yaml", verbosity=0)
    items = list(
        Item.objects.active().filter(roadmap__slug="llm").order_by("section__order", "order")
    )
    mentor = UserFactory(email="maya@example.com", display_name="Maya", is_mentor=True)
    cohort = Cohort.objects.create(name="Spring LLM cohort", roadmap=items[0].roadmap)
    cohort.mentors.add(mentor)
    learners = []
    for n in range(12):
        email = LONG_EMAIL if n == 0 else f"learner{n}@example.com"
        learner = UserFactory(email=email, display_name=f"Learner {n:02}")
        Membership.objects.create(
            cohort=cohort, learner=learner, share_notes=True, joined_at=timezone.now()
        )
        for item in items[: n * 3]:
            set_status(learner=learner, item=item, status=Status.DONE)
        learners.append(learner)
    stalled = learners[5]
    Membership.objects.filter(learner=stalled).update(joined_at=timezone.now() - timedelta(days=40))
    stalled.progress_events.update(at=timezone.now() - timedelta(days=30))
    reader = learners[4]
    set_status(learner=reader, item=items[13], status=Status.IN_PROGRESS)
    save_note(learner=reader, item=items[13], note="A long thought about attention. " * 40)
    set_status(learner=reader, item=items[14], status=Status.SKIPPED, skip_reason="Covered at work")
    return {"mentor": mentor, "cohort": cohort, "reader": reader, "items": items}


def _fits(page, width: int) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{scroll_width}px wide: {page.evaluate(WIDEST_JS)}"


@pytest.mark.browser
def test_the_cohort_table_fits_1280_with_a_sticky_learner_column_and_is_cards_on_a_phone(
    browser, live_server, mentored
):
    mentor, cohort = mentored["mentor"], mentored["cohort"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page = _signed_in(browser, live_server, mentor, VIEWPORTS["desktop"])
    page.goto(f"/cohorts/{cohort.pk}/")
    _fits(page, 1280)
    # Every column is in view: the table does not scroll sideways inside its wrapper.
    wrap = page.locator(".cohort-table-wrap")
    assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth"), "the table scrolls sideways"
    first = page.locator(".cohort-table tbody th[scope=row]").first
    assert first.evaluate("el => getComputedStyle(el).position") == "sticky"
    # The long address stays on one line, cut with an ellipsis, whole in its title.
    email = page.locator(".learner-email", has_text=LONG_EMAIL)
    assert email.get_attribute("title") == LONG_EMAIL
    line = email.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)")
    assert email.bounding_box()["height"] < 1.5 * line
    # Each section's percent is there as text for screen readers, besides the bars.
    figures = page.locator("tr", has_text="Learner 03").locator(".section-figures li")
    assert figures.count() == len(section_columns(cohort))
    assert figures.first.text_content() == f"{section_columns(cohort)[0].short_title} 100%"
    page.screenshot(path=SCREENSHOTS / "mentor-dashboard-desktop.png", full_page=True)

    phone = _signed_in(browser, live_server, mentor, VIEWPORTS["phone"])
    phone.goto(f"/cohorts/{cohort.pk}/")
    _fits(phone, 390)
    card = phone.locator(".cohort-table tbody tr", has_text="Learner 03")
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert card.evaluate("el => getComputedStyle(el).display") == "block"
    # The same figures, readable on the card: overall, plan, and every section as text.
    assert card.locator("td[data-label=Overall]").is_visible()
    assert card.locator(".section-figures").is_visible()
    # Sorting is still there, as a line of links above the cards.
    phone.get_by_role("link", name="Overall").click()
    phone.wait_for_url("**sort=overall**")
    phone.screenshot(path=SCREENSHOTS / "mentor-dashboard-phone.png", full_page=True)


@pytest.mark.browser
def test_the_learner_page_is_one_aligned_table_with_long_notes_folded(
    browser, live_server, mentored
):
    mentor, cohort, reader = mentored["mentor"], mentored["cohort"], mentored["reader"]
    path = f"/cohorts/{cohort.pk}/learners/{reader.pk}/"

    page = _signed_in(browser, live_server, mentor, VIEWPORTS["desktop"])
    page.goto(path)
    _fits(page, 1280)
    assert page.locator("main table").count() == 1
    assert page.locator("main th[scope=rowgroup]").count() == len(section_columns(cohort))
    # The columns line up from the first section to the last.
    starts = page.locator("td[data-label=Started]").evaluate_all(
        "cells => cells.map(c => Math.round(c.getBoundingClientRect().left))"
    )
    assert len(set(starts)) == 1, starts
    note = page.locator("td.shared-note details.long-note")
    assert note.count() == 1
    preview = note.locator(".long-note-preview").text_content()
    assert 150 < len(preview) <= 201
    assert not note.locator(".long-note-full").is_visible()
    note.get_by_text("Show the whole note").click()
    assert note.locator(".long-note-full").is_visible()
    page.screenshot(path=SCREENSHOTS / "mentor-learner-desktop.png", full_page=True)

    phone = _signed_in(browser, live_server, mentor, VIEWPORTS["phone"])
    phone.goto(path)
    _fits(phone, 390)
    assert phone.get_by_text("Covered at work").is_visible()
    phone.screenshot(path=SCREENSHOTS / "mentor-learner-phone.png", full_page=True)


@pytest.mark.browser
def test_copy_buttons_copy_the_invite_link_and_hide_without_javascript(
    browser, live_server, mentored
):
    mentor, cohort = mentored["mentor"], mentored["cohort"]
    page = _signed_in(browser, live_server, mentor, VIEWPORTS["desktop"])
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"/cohorts/{cohort.pk}/settings/")
    invite = page.get_by_role("textbox", name="Invite link").input_value()
    page.get_by_role("button", name="Copy invite link").click()
    page.get_by_role("status").filter(has_text="Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == invite
    page.screenshot(path=SCREENSHOTS / "mentor-settings-desktop.png")

    # Without JavaScript there is no dead button; the address is there to select.
    plain = _signed_in(browser, live_server, mentor, VIEWPORTS["phone"], java_script_enabled=False)
    plain.goto(f"/cohorts/{cohort.pk}/settings/")
    assert not plain.get_by_role("button", name="Copy invite link").is_visible()
    assert plain.get_by_role("textbox", name="Invite link").input_value() == invite
    _fits(plain, 390)


@pytest.mark.browser
def test_a_learner_copies_the_calendar_address_or_subscribes_with_webcal(
    browser, live_server, mentored
):
    learner = mentored["reader"]
    page = _signed_in(browser, live_server, learner, VIEWPORTS["phone"])
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/me/")
    address = page.get_by_role("textbox", name="Your private calendar address").input_value()
    page.get_by_role("button", name="Copy address").click()
    page.locator("#calendar").get_by_text("Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == address
    subscribe = page.get_by_role("link", name="Subscribe in your calendar app")
    assert subscribe.get_attribute("href") == "webcal://" + address.split("://", 1)[1]
    # A new address (swapped in by htmx) gets a working button too.
    page.get_by_role("button", name="Make a new address").click()
    page.get_by_text("New address made").wait_for()
    page.get_by_role("button", name="Copy address").click()
    page.locator("#calendar").get_by_text("Copied.").wait_for()
    assert Progress.objects.filter(learner=learner).exists()
    _fits(page, 390)
