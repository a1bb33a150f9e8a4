"""Spaced review in a browser: rate a card in place (htmx), at 1280 and 390 px, with axe.

Screenshots go to artifacts/screenshots/spaced-review-*.png.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.builders import SCREENSHOTS, check_both_widths
from tests.factories import ItemFactory, ResourceFactory, SectionFactory, UserFactory
from tracker.models import ReviewCard, ReviewLog, Status
from tracker.services.follows import follow_roadmap
from tracker.services.progress import set_status

PASSWORD = "pw-for-spaced-review-1"


def _check(page, name, axe):
    check_both_widths(page, f"spaced-review-{name}", axe)


@pytest.mark.browser
def test_rate_due_cards_in_place_until_nothing_is_left(browser_page):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    section = SectionFactory(title="Core concepts")
    items = [
        ItemFactory(section=section, title="Scaled dot-product attention", effort_hours=6),
        ItemFactory(section=section, title="Byte-pair encoding tokenisers", effort_hours=3),
    ]
    for n in range(3):
        ResourceFactory(item=items[0], title=f"Attention explained, part {n + 1}", order=n)
    learner = UserFactory(email="alice@example.com", display_name="Alice")
    learner.set_password(PASSWORD)
    learner.save()
    follow_roadmap(learner=learner, roadmap=section.roadmap)
    for item in items:
        set_status(learner=learner, item=item, status=Status.DONE)
    ReviewCard.objects.update(due=timezone.now() - timedelta(hours=1))
    page = browser_page

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(learner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    assert "2 reviews due today" in page.content()
    page.get_by_role("link", name="Review them now").click()
    page.wait_for_url("**/review/")
    assert page.get_by_role("heading", name="Scaled dot-product attention").is_visible()
    _check(page, "due", axe)

    # htmx: the card is swapped in place for what happens next, without a page load.
    page.evaluate("() => { window.notReloaded = true; }")
    page.get_by_role("button", name="Good").click()
    page.get_by_text("rated good: next review in").wait_for()
    assert page.evaluate("() => window.notReloaded === true")
    assert page.get_by_role("heading", name="Byte-pair encoding tokenisers").is_visible()
    _check(page, "rated", axe)

    page.get_by_role("button", name="Again").click()
    page.get_by_text("Nothing to review today; next review on").wait_for()
    _check(page, "empty", axe)
    assert ReviewLog.objects.count() == 2
