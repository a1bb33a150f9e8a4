"""Project reviews in a browser: a learner submits, the mentor asks for changes, the learner
resubmits, the mentor approves, and the learner sees it approved and done.

Screenshots go to artifacts/screenshots/reviews-*.png, at 1280 and 390 px.
"""

import pytest
from django.core import mail

from tests.builders import SCREENSHOTS, check_both_widths
from tests.factories import ItemFactory, SectionFactory, UserFactory
from tracker.models import Cohort, Item, Membership, Progress, Section, Status

PASSWORD = "pw-for-reviews-1"


def _user(email, name, **fields):
    user = UserFactory(email=email, display_name=name, **fields)
    user.set_password(PASSWORD)
    user.save()
    return user


def _sign_in_as(page, user):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def _check(page, name, axe):
    check_both_widths(page, f"reviews-{name}", axe)


@pytest.mark.browser
def test_submit_ask_for_changes_resubmit_approve(browser_page):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    section = SectionFactory(kind=Section.Kind.PROJECTS, level="", title="Projects")
    project = ItemFactory(
        section=section,
        kind=Item.Kind.PROJECT,
        slug="chatbot",
        title="Build a retrieval chatbot",
        description="Answer questions over your own notes.",
    )
    learner = _user("alice@example.com", "Alice")
    mentor = _user("bob@example.com", "Bob", is_mentor=True)
    cohort = Cohort.objects.create(
        name="Spring cohort", roadmap=section.roadmap, projects_need_approval=True
    )
    cohort.mentors.add(mentor)
    Membership.objects.create(cohort=cohort, learner=learner)
    page = browser_page
    item_url = project.get_absolute_url()

    # Alice submits: Done is not hers to set here, "Submit for review" stands in its place.
    _sign_in_as(page, learner)
    page.goto(item_url)
    assert page.get_by_role("button", name="Done").count() == 0
    page.locator(f"#status-{project.id}-done").click()
    page.get_by_label("Link to your repository", exact=True).fill(
        "https://github.com/alice/chatbot"
    )
    page.get_by_label("Write-up (markdown)").fill("It answers from my notes.\n\n- uses **BM25**")
    _check(page, "learner-form", axe)
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(f"**{item_url}#project-review")
    assert page.get_by_text("Waiting for a mentor since").is_visible()

    # Bob finds it from the menu's count and asks for changes.
    _sign_in_as(page, mentor)
    page.get_by_role("link", name="Reviews (1)").click()
    page.wait_for_url("**/cohorts/reviews/")
    entry = page.locator(".review-entry")
    assert "BM25" in entry.inner_text()
    _check(page, "queue", axe)
    entry.get_by_label("Comment for the learner").fill("Add an evaluation set, please.")
    entry.get_by_role("button", name="Ask for changes").click()
    page.wait_for_url("**/cohorts/reviews/")
    assert page.get_by_text("sent back for changes").is_visible()
    assert page.get_by_role("link", name="Reviews (0)").is_visible()

    # Alice reads the feedback and submits again.
    _sign_in_as(page, learner)
    page.goto(item_url)
    assert page.get_by_text("Add an evaluation set, please.").first.is_visible()
    assert page.locator(".review-latest .review-badge").inner_text() == "↻ Changes requested"
    _check(page, "changes-requested", axe)
    page.get_by_label("Link to your repository", exact=True).fill(
        "https://github.com/alice/chatbot-v2"
    )
    page.get_by_role("button", name="Submit again").click()
    page.wait_for_url(f"**{item_url}#project-review")

    # Bob sees the earlier round and approves.
    _sign_in_as(page, mentor)
    page.goto("/cohorts/reviews/")
    entry = page.locator(".review-entry")
    assert "chatbot-v2" in entry.inner_text()
    assert entry.get_by_text("Earlier submissions (1)").is_visible()
    entry.get_by_role("button", name="Approve").click()
    page.wait_for_url("**/cohorts/reviews/")
    assert page.get_by_text("Nothing waiting for review").is_visible()

    # Alice sees it approved, and done: on the project's page and on the roadmap.
    _sign_in_as(page, learner)
    page.goto(item_url)
    assert page.locator(".review-latest .review-badge").inner_text() == "✓ Approved"
    assert page.get_by_text("✓ Done: approved").is_visible()
    assert page.get_by_text("Your submissions (2)").is_visible()
    _check(page, "approved", axe)
    page.goto(section.roadmap.get_absolute_url())
    done = page.locator(f"#item-{project.id}").get_by_role("button", name="Done")
    assert done.get_attribute("aria-pressed") == "true"
    assert Progress.objects.get(learner=learner, item=project).status == Status.DONE
    assert [m.subject for m in mail.outbox] == [
        "Changes requested on your project “Build a retrieval chatbot”",
        "Your project “Build a retrieval chatbot” is approved",
    ]
