"""The admin's link health list at 1280 px, in Debian's headless chromium: it fits, and the
item change page asks for no stylesheet relative to its own URL. Screenshots go to
artifacts/screenshots/mentor-admin-*.png (with the mentor views, as one piece of work)."""

import pytest

from tests.builders import SCREENSHOTS, WIDEST_JS, add_session
from tests.factories import ItemFactory, ResourceFactory, UserFactory
from tracker.models import Link, LinkState


@pytest.mark.browser
def test_the_link_health_list_fits_1280_and_no_page_asks_for_a_relative_stylesheet(
    browser_page, live_server
):
    admin = UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
    item = ItemFactory(title="Attention")
    for n in range(8):
        url = f"https://docs.example-university.edu/courses/deep-learning/{'chapter-' * 6}{n}"
        ResourceFactory(item=item, roadmap=item.roadmap, url=url)
        Link.objects.create(
            url=url,
            host="docs.example-university.edu",
            state=[LinkState.OK, LinkState.BROKEN, LinkState.REDIRECTED][n % 3],
            last_result=LinkState.BROKEN if n % 3 == 1 else LinkState.OK,
            http_status=404 if n % 3 == 1 else 200,
            suggested_url=url + "/moved/" + "x" * 60 if n % 3 == 2 else "",
        )
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    add_session(page.context, live_server, admin)
    requested = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto("/admin/tracker/link/")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "mentor-admin-link-health-desktop.png", full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, f"{width}px wide: {page.evaluate(WIDEST_JS)}"
    # Every column in view: the admin's results box does not scroll sideways either.
    results = page.locator("#changelist .results")
    assert results.evaluate("el => el.scrollWidth <= el.clientWidth"), "the list scrolls"
    assert page.locator(".link-health-counts").get_by_text("Broken").is_visible()

    page.goto(f"/admin/tracker/link/{Link.objects.first().pk}/change/")
    page.screenshot(path=SCREENSHOTS / "mentor-admin-link-desktop.png", full_page=True)
    page.goto(f"/admin/tracker/item/{item.pk}/change/")
    page.wait_for_load_state("networkidle")
    assert any(url.endswith("/static/admin/css/widgets.css") for url in requested)
    assert not [url for url in requested if "/change/" in url and url.endswith((".css", ".css/"))]
