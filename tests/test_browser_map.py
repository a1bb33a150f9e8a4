"""The roadmap map in a browser: it fits 1280 and 390 px, and a node leads to its item.

Screenshots go to artifacts/screenshots/map-*.png.
"""

import pytest
from django.core.management import call_command

from tests.builders import SCREENSHOTS, VIEWPORTS, WIDEST_JS
from tests.factories import UserFactory
from tracker.models import Item, Status
from tracker.services.progress import set_status


def _sign_in(page, user, password="pw-for-the-map-1"):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


@pytest.mark.browser
@pytest.mark.parametrize("slug", ["llm", "mlops"])
def test_the_map_fits_the_screen_and_a_node_opens_its_item(browser_page, slug):
    call_command("import_roadmap", f"content/{slug}.yaml", verbosity=0)
    items = list(Item.objects.active().filter(roadmap__slug=slug).order_by("order"))
    learner = UserFactory(email="map@example.com")
    learner.set_password("pw-for-the-map-1")
    learner.save()
    for item, status in zip(
        items[:6],
        [Status.DONE, Status.DONE, Status.DONE, Status.IN_PROGRESS, Status.SKIPPED, Status.DONE],
        strict=True,
    ):
        set_status(learner=learner, item=item, status=status, skip_reason="")
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page = browser_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for who in ("visitor", "learner"):
        if who == "learner":
            _sign_in(page, learner)
        for name, viewport in VIEWPORTS.items():
            page.set_viewport_size(viewport)
            page.goto(f"/roadmaps/{slug}/")
            page.get_by_role("link", name="Map view").click()
            page.wait_for_url(f"**/roadmaps/{slug}/map/")
            widths = page.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth]"
            )
            assert widths[0] <= widths[1], page.evaluate(WIDEST_JS)
            drawing = page.locator(".map-scroll:visible")
            assert drawing.count() == 1
            # The map's text keeps its size on a phone: the drawing is not scaled down.
            box = drawing.locator("svg").bounding_box()
            assert box["width"] == int(drawing.locator("svg").get_attribute("width"))
            status = "Done" if who == "learner" else "Not started"
            first = drawing.locator(f'a[href="{items[0].get_absolute_url()}"]')
            assert f"{status}" in first.inner_html()
            page.screenshot(path=SCREENSHOTS / f"map-{slug}-{who}-{name}.png", full_page=True)
            # And one screenful from the top of the drawing, to judge its text at real size.
            drawing.evaluate("el => el.scrollIntoView()")
            page.screenshot(path=SCREENSHOTS / f"map-{slug}-{who}-{name}-screen.png")
            violations = axe.run(page).response["violations"]
            assert violations == [], [(v["id"], v["impact"], v["nodes"][:3]) for v in violations]
            # Keyboard focus shows on a node.
            first.focus()
            stroke = first.locator(".map-box").evaluate("el => getComputedStyle(el).strokeWidth")
            assert stroke == "4px"
    # A node leads to its item page.
    target = items[-1]
    page.locator(".map-scroll:visible").locator(f'a[href="{target.get_absolute_url()}"]').click()
    page.wait_for_url(f"**{target.get_absolute_url()}")
    assert page.get_by_role("heading", level=1).inner_text() == target.title
