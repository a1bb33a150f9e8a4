"""/roadmaps/ with all twelve roadmaps, signed in, at phone and desktop widths: nothing wider
than the screen, and each card's progress label on one line. Screenshots of the list, a
roadmap page's header and an item page's pager go to artifacts/screenshots/catalogue-*.png."""

import pytest
from django.core.management import call_command

from tests.builders import SCREENSHOTS, VIEWPORTS, WIDEST_JS, browser_context
from tests.factories import UserFactory
from tracker.models import Item, Roadmap, Status
from tracker.services.follows import follow_roadmap
from tracker.services.progress import set_status

# Every card's label is one line: its box is no taller than one line of its own text.
LABEL_LINES_JS = """() => [...document.querySelectorAll(".roadmap-progress-label")].map((el) => {
  const lineHeight = parseFloat(getComputedStyle(el).lineHeight);
  const height = el.getBoundingClientRect().height;
  return { text: el.textContent, lines: Math.round(height / lineHeight) };
})"""


@pytest.fixture
def learner_with_progress(transactional_db):
    """All twelve roadmaps; a learner who follows two and has ticked items in three."""
    call_command("import_roadmap", "content", verbosity=0)
    learner = UserFactory(email="cat@example.com", display_name="Cat")
    for slug in ("llm", "ml"):
        follow_roadmap(learner=learner, roadmap=Roadmap.objects.get(slug=slug))
    for slug, n in (("llm", 12), ("ml", 3), ("computer-vision", 1)):
        for item in Item.objects.active().filter(roadmap__slug=slug).order_by("order")[:n]:
            set_status(learner=learner, item=item, status=Status.DONE)
    return learner


def _signed_in(browser, live_server, user, viewport, **options):
    return browser_context(browser, live_server, user, viewport=viewport, **options).new_page()


@pytest.mark.parametrize("size", VIEWPORTS)
def test_the_catalogue_fits_the_screen_with_one_line_progress_labels(
    browser, live_server, learner_with_progress, size
):
    viewport = VIEWPORTS[size]
    page = _signed_in(browser, live_server, learner_with_progress, viewport)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page.goto("/roadmaps/")

    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert page.evaluate(WIDEST_JS) == []
    labels = page.evaluate(LABEL_LINES_JS)
    assert len(labels) == 12
    assert [label for label in labels if label["lines"] != 1] == []
    assert page.locator("h2").all_inner_texts()[:5] == [
        "Foundations",
        "Deep learning and vision",
        "Language and generative AI",
        "Production",
        "Research and safety",
    ]
    page.screenshot(path=str(SCREENSHOTS / f"catalogue-list-{size}.png"), full_page=True)
    page.screenshot(path=str(SCREENSHOTS / f"catalogue-list-{size}-top.png"))

    page.get_by_role("link", name="Vision").first.click()  # the filter, without JS needed
    assert page.url.endswith("/roadmaps/?theme=deep-learning")
    assert page.locator("h2").all_inner_texts() == ["Deep learning and vision"]
    page.screenshot(path=str(SCREENSHOTS / f"catalogue-filtered-{size}.png"), full_page=True)

    page.goto("/roadmaps/nlp/")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.get_by_role("button", name="Follow Natural Language Processing (NLP) Roadmap").click()
    page.locator(".roadmap-header .follow-state").wait_for()
    page.locator(".roadmap-header").screenshot(
        path=str(SCREENSHOTS / f"catalogue-roadmap-header-{size}.png")
    )

    page.goto("/roadmaps/llm/tokenization-bpe-wordpiece/")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    pager = page.locator(".item-pager")
    assert pager.locator("a[rel=next]").count() == 1
    pager.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"catalogue-item-{size}.png"), full_page=True)
    page.context.close()


def test_the_sign_up_prompt_on_a_roadmap_page(browser, live_server, learner_with_progress):
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORTS["phone"])
    page = context.new_page()

    page.goto("/roadmaps/rag/")
    page.get_by_role("link", name="Sign up to track your progress").click()

    assert page.url.endswith("/accounts/signup/?next=%2Froadmaps%2Frag%2F")
    page.goto("/roadmaps/rag/")
    page.locator(".roadmap-header").screenshot(
        path=str(SCREENSHOTS / "catalogue-roadmap-header-anonymous-phone.png")
    )
    context.close()
