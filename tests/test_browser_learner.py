"""The learner's journey in a real browser: sign up, tick items without a page reload."""

import pytest

from tests.factories import ItemFactory, SectionFactory
from tracker.models import Progress, Status, User

PASSWORD = "a-long-and-unusual-passphrase"


@pytest.mark.browser
def test_learner_signs_up_and_ticks_three_items_without_a_reload(browser_page, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    section = SectionFactory(roadmap__slug="llm", roadmap__title="LLM Roadmap", title="Basics")
    items = [ItemFactory(section=section, title=f"Concept {n}", order=n) for n in range(4)]
    later = SectionFactory(roadmap=section.roadmap, title="Later", order=section.order + 1)
    ItemFactory(section=later, title="Capstone")
    page = browser_page

    page.goto("/accounts/signup/")
    page.get_by_label("Email address").fill("dana@example.com")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    # The first-run step: choose what to follow, then on to the settings.
    page.wait_for_url("**/me/roadmaps/choose/?next=/me/")
    page.get_by_label("LLM Roadmap").check()
    page.get_by_role("button", name="Follow the roadmaps I ticked").click()
    page.wait_for_url("**/me/")

    page.goto("/roadmaps/llm/")
    page.evaluate("window.__marker = 42")
    by_section = page.locator("details.progress-sections")
    by_section.get_by_text("By section").click()
    for item in items[:3]:
        row = page.locator(f"#item-{item.id}")
        row.get_by_role("button", name="Done").click()
        # The row is swapped in place: the new one shows Done pressed.
        row.locator('button[value="done"][aria-pressed="true"]').wait_for()
        # Keyboard users keep their place: focus returns to the button in the new row (htmx
        # does it once the swap settles, a moment after the row appears).
        focused = (
            "(document.activeElement.closest('.st-row') || {}).id"
            " + ':' + document.activeElement.value"
        )
        page.wait_for_function(f"() => {focused} === 'item-{item.id}:done'")
    summary = page.locator("#progress-summary")
    assert "3 done · 5 in all" in summary.inner_text().replace("\n", " ")
    # Only the changed bars were swapped: the opened "By section" stayed open and its bars
    # are current.
    assert by_section.evaluate("details => details.open")
    assert "3 done · 4 in all" in by_section.inner_text().replace("\n", " ")
    assert page.evaluate("window.__marker") == 42, "the page reloaded"
    untouched = page.locator(f"#item-{items[3].id}")
    assert untouched.locator('button[value="not_started"]').get_attribute("aria-pressed") == "true"

    page.reload()
    assert page.evaluate("window.__marker") is None
    for item in items[:3]:
        done = page.locator(f'#item-{item.id} button[value="done"]')
        assert done.get_attribute("aria-pressed") == "true"
    learner = User.objects.get(email="dana@example.com")
    assert sorted(
        Progress.objects.filter(learner=learner, status=Status.DONE).values_list(
            "item_id", flat=True
        )
    ) == sorted(item.id for item in items[:3])
