"""Status at a glance on a roadmap page (issue 15): one light status control per item, rows
that show their status, skipping with a reason in place, keys, skip links and a light page.
Browser screenshots go to artifacts/screenshots/roadmap-rows-*.png."""

import io
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client

from tests.builders import make_roadmap, pressed_status, row_of, status_control, token_colour
from tests.html_forms import form_data
from tracker.models import Item, Progress, Status
from tracker.services.progress import set_status

LLM_YAML = Path(__file__).resolve().parents[1] / "content" / "llm.yaml"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
ROADMAP = "/roadmaps/llm/"


def _import_llm() -> list[Item]:
    call_command("import_roadmap", str(LLM_YAML), stdout=io.StringIO(), stderr=io.StringIO())
    items = Item.objects.active().filter(roadmap__slug="llm")
    return list(items.order_by("section__order", "order"))


@pytest.fixture
def llm(db) -> list[Item]:
    """The real LLM roadmap (38 items)."""
    return _import_llm()


# --- the page's weight and its markup ---------------------------------------------------------


def test_the_signed_in_llm_page_weighs_at_most_60_kb(learner_client, learner, llm):
    set_status(learner=learner, item=llm[0], status=Status.DONE)
    set_status(learner=learner, item=llm[1], status=Status.IN_PROGRESS)
    set_status(learner=learner, item=llm[2], status=Status.SKIPPED, skip_reason="r" * 200)
    set_status(learner=learner, item=llm[3], status=Status.SKIPPED)

    html = learner_client.get(ROADMAP).content

    assert len(llm) == 38
    assert len(html) <= 60_000, f"{len(html):,} bytes"
    # One form per item in the page's own content, and the follow control (the site header
    # has its own forms), each light.
    assert html.count(b'<form class="st ') + html.count(b'<form id="next-unfinished"') == 38
    main = html[html.index(b"<main") : html.index(b"</main>")]
    assert main.count(b"<form") == 38 + 1


def test_rows_show_done_in_progress_and_skipped_in_words_and_classes(learner_client, learner):
    _, items = make_roadmap(5)
    set_status(learner=learner, item=items[0], status=Status.DONE)
    set_status(learner=learner, item=items[1], status=Status.IN_PROGRESS)
    set_status(learner=learner, item=items[2], status=Status.SKIPPED, skip_reason="know it")
    set_status(learner=learner, item=items[3], status=Status.SKIPPED)

    html = learner_client.get(ROADMAP).content.decode()

    def state(item) -> str:
        return re.search(r'class="st is-(\w+)"', status_control(html, item)).group(1)

    assert [state(item) for item in items] == [
        "done", "in_progress", "skipped", "skipped", "not_started"
    ]  # fmt: skip
    assert [pressed_status(html, item) for item in items] == [
        "done", "in_progress", "skipped", "skipped", "not_started"
    ]  # fmt: skip
    assert "Skipped: know it" in row_of(html, items[2])
    assert ">Skipped</p>" in row_of(html, items[3])
    # Only skipped rows carry the reason field; the others get the page's one copy from JS.
    assert [item for item in items if "skip_reason" in status_control(html, item)] == items[2:4]
    assert html.count('<template id="skip-reason-field">') == 1


def test_the_skip_links_lead_to_the_first_unfinished_items_control(learner_client, learner):
    _, items = make_roadmap(8)
    page_order = sorted(items, key=lambda item: (item.section.order, item.order))
    set_status(learner=learner, item=page_order[0], status=Status.DONE)
    set_status(learner=learner, item=page_order[1], status=Status.SKIPPED)

    html = learner_client.get(ROADMAP).content.decode()

    body = html[html.index("<body") :]
    links = re.findall(r'<a class="skip-link" href="([^"]+)">([^<]+)</a>', body[:600])
    assert links == [
        ("#main", "Skip to content"),
        ("#next-unfinished", "Skip to next unfinished item"),
    ]
    assert html.count('id="next-unfinished"') == 1
    assert 'id="next-unfinished"' in status_control(html, page_order[2])
    assert "Keyboard:" in html and "<kbd>j</kbd>" in html and "<kbd>n</kbd>" in html


def test_visitors_get_no_status_controls_nor_skip_link_to_them(client, db):
    make_roadmap(3)
    html = client.get(ROADMAP).content.decode()
    assert 'class="st ' not in html and "next-unfinished" not in html


def test_skipping_with_a_reason_without_javascript(learner, db, django_capture_on_commit_callbacks):
    _, items = make_roadmap(3)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(learner)
    html = browser.get(ROADMAP).content.decode()
    form = status_control(html, items[1])
    action = urljoin(ROADMAP, re.search(r'action="([^"]+)"', form).group(1))

    # Skip, then the row (now carrying its reason field) posts the reason with Skip.
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(action, {**form_data(form), "status": "skipped"})
    assert response["Location"] == f"{ROADMAP}#item-{items[1].id}"
    form = status_control(browser.get(ROADMAP).content.decode(), items[1])
    assert '<textarea name="skip_reason" maxlength="200"' in form
    data = {**form_data(form), "status": "skipped", "skip_reason": "already\nknow it"}
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(action, data)

    progress = Progress.objects.get(learner=learner, item=items[1])
    assert (progress.status, progress.skip_reason) == (Status.SKIPPED, "already know it")
    assert "Skipped: already know it" in row_of(browser.get(ROADMAP).content.decode(), items[1])
    too_long = browser.post(action, {**data, "skip_reason": "r" * 201}, follow=True)
    assert "A reason can be up to 200 characters" in too_long.content.decode()


# --- in a browser ---------------------------------------------------------------------------


def _sign_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


_FOCUSED_JS = (
    "(() => { const e = document.activeElement; const row = e.closest('.st-row');"
    " return row ? row.id + ':' + (e.value || e.tagName) : e.tagName + ':' + e.id; })()"
)


def _focused(page) -> str:
    """Which row's which button has focus, as "item-<id>:<status>"."""
    return page.evaluate(_FOCUSED_JS)


def _wait_focused(page, expected: str) -> None:
    """After an htmx swap focus comes back once the swap settles: wait for it, or fail."""
    page.wait_for_function(f"() => {_FOCUSED_JS} === {expected!r}")


@pytest.mark.browser
def test_three_tabs_from_the_top_reach_the_first_status_control(browser_page, live_server, learner):
    items = _import_llm()
    _sign_in(browser_page, live_server, learner)
    first = f"item-{items[0].id}:not_started"
    for javascript in (True, False):
        context = browser_page.context.browser.new_context(
            base_url=live_server.url, java_script_enabled=javascript
        )
        context.add_cookies(browser_page.context.cookies())
        page = context.new_page()
        page.goto(ROADMAP)
        tabs = 0
        while _focused(page) != first and tabs < 10:
            page.keyboard.press("Tab")
            tabs += 1
            if page.evaluate("document.activeElement.getAttribute('href')") == "#next-unfinished":
                page.keyboard.press("Enter")
        assert _focused(page) == first
        assert tabs <= 3, f"{tabs} Tabs with javascript={javascript}"
        context.close()


@pytest.mark.browser
def test_skip_asks_for_the_reason_in_place_and_the_row_shows_it_muted(
    browser_page, live_server, learner
):
    _, items = make_roadmap(4)
    _sign_in(browser_page, live_server, learner)
    page = browser_page
    page.goto(ROADMAP)
    page.evaluate("window.__marker = 42")
    row = page.locator(f"#item-{items[1].id}")

    row.get_by_role("button", name="Skip").click()
    reason = row.get_by_label("Why skip it?")
    assert reason.is_visible() and page.evaluate("document.activeElement.name") == "skip_reason"
    reason.fill("already know it")
    reason.press("Enter")

    row.locator(".st.is-skipped").wait_for()
    assert "Skipped: already know it" in row.inner_text()
    assert not row.get_by_label("Why skip it?").is_visible()  # folded away again
    assert page.evaluate("window.__marker") == 42, "the page reloaded"
    assert page.url.endswith(ROADMAP), "the page's address stays"
    _wait_focused(page, f"item-{items[1].id}:skipped")
    title = row.locator(".item-title")
    assert title.evaluate("a => getComputedStyle(a).color") == token_colour(page, "--muted")
    assert token_colour(page, "--muted") == "rgb(87, 96, 106)"  # light: the muted grey
    progress = Progress.objects.get(learner=learner, item=items[1])
    assert (progress.status, progress.skip_reason) == (Status.SKIPPED, "already know it")
    # Done rows are tinted and ticked; the button says it in words.
    done_row = page.locator(f"#item-{items[0].id}")
    done_row.get_by_role("button", name="Done").click()
    done_row.locator(".st.is-done").wait_for()
    assert done_row.evaluate("li => getComputedStyle(li).backgroundColor") == "rgb(230, 244, 234)"


@pytest.mark.browser
def test_skip_with_a_reason_works_without_javascript(browser_page, live_server, learner):
    _, items = make_roadmap(3)
    _sign_in(browser_page, live_server, learner)
    context = browser_page.context.browser.new_context(
        base_url=live_server.url, java_script_enabled=False
    )
    context.add_cookies(browser_page.context.cookies())
    page = context.new_page()
    page.goto(ROADMAP)
    row = page.locator(f"#item-{items[1].id}")

    row.get_by_role("button", name="Skip").click()
    page.wait_for_url(f"**{ROADMAP}#item-{items[1].id}")
    row.get_by_label("Why skip it?").fill("already know it")
    row.get_by_label("Why skip it?").press("Enter")  # a text area: a new line, not a submit
    row.get_by_role("button", name="Skip").click()

    page.get_by_text("Skipped: already know it").wait_for()
    progress = Progress.objects.get(learner=learner, item=items[1])
    assert (progress.status, progress.skip_reason) == (Status.SKIPPED, "already know it")
    context.close()


@pytest.mark.browser
def test_keys_move_between_items_and_jump_to_the_next_unfinished(
    browser_page, live_server, learner
):
    make_roadmap(8)
    page = browser_page
    _sign_in(page, live_server, learner)
    page.goto(ROADMAP)
    rows = page.evaluate("[...document.querySelectorAll('.st-row')].map(row => row.id)")
    for row_id in rows[1:4]:
        set_status(learner=learner, item=Item.objects.get(pk=row_id[5:]), status=Status.DONE)
    page.reload()

    page.keyboard.press("n")  # from the top: the first unfinished, the first row
    assert _focused(page) == f"{rows[0]}:not_started"
    page.keyboard.press("j")
    assert _focused(page) == f"{rows[1]}:done"
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert _focused(page) == f"{rows[1]}:done"
    page.keyboard.press("n")  # past the done rows
    assert _focused(page) == f"{rows[4]}:not_started"

    # Keys never fire while typing.
    page.locator(f"#{rows[4]}").get_by_role("button", name="Skip").click()
    page.keyboard.type("jn")
    assert page.evaluate("document.activeElement.value") == "jn"
    page.keyboard.press("Escape")
    # "/" goes to the header's search box, when the page has one.
    page.evaluate(
        "document.querySelector('.site-header').append(Object.assign("
        "document.createElement('input'), {id: 'site-search', type: 'search'}))"
    )
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-search"


@pytest.mark.browser
def test_screenshots_and_one_line_of_controls_per_item_on_a_phone(
    browser_page, live_server, learner
):
    items = _import_llm()
    set_status(learner=learner, item=items[0], status=Status.DONE)
    set_status(learner=learner, item=items[1], status=Status.DONE)
    set_status(learner=learner, item=items[2], status=Status.IN_PROGRESS)
    set_status(learner=learner, item=items[3], status=Status.SKIPPED, skip_reason="know it")
    page = browser_page
    _sign_in(page, live_server, learner)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(ROADMAP)
        page.locator(f"#item-{items[0].id}").scroll_into_view_if_needed()
        page.screenshot(path=SCREENSHOTS / f"roadmap-rows-{width}.png")
        page.screenshot(path=SCREENSHOTS / f"roadmap-rows-{width}-full.png", full_page=True)
        # Each list item's four buttons sit on one line.
        lines = page.evaluate(
            "[...document.querySelectorAll('li.st-row .st fieldset')].map(set =>"
            " new Set([...set.querySelectorAll('button')].map(b =>"
            " Math.round(b.getBoundingClientRect().top))).size)"
        )
        assert lines and set(lines) == {1}, f"at {width}px: {lines}"
        assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_skipping_with_a_reason_by_htmx_answers_with_the_muted_row(learner_client):
    # The row with a reason is rendered from the cached parts' item, which is the view's item
    # too: it must keep the learner's progress for the rest of the answer (twin rows).
    _, items = make_roadmap(3)
    response = learner_client.post(
        f"{ROADMAP}{items[1].slug}/status/",
        {"status": "skipped", "skip_reason": "already know it"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Skipped: already know it" in row_of(response.content.decode(), items[1])
