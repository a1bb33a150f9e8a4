"""Shared test builders: a roadmap shaped like the real documents, and slicing its HTML."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import ItemFactory, ResourceFactory, RoadmapFactory, SectionFactory
from tracker.models import Item, Section

# How concurrent clicks begin: first clicks on a roadmap not followed yet (the change and the
# follow in one transaction), first clicks on a followed one (each tries to make the rows with
# its change, and all but one lose the race), or clicks on rows that exist.
concurrent_starts = pytest.mark.parametrize(
    "first_clicks",
    [True, "followed", False],
    ids=["first-clicks", "followed-first-clicks", "followed"],
)


def make_roadmap(n_items: int, slug: str = "llm"):
    """A roadmap shaped like the LLM document, with `n_items` items spread over its kinds."""
    roadmap = RoadmapFactory(
        slug=slug, title="LLM Roadmap", intro="From **tokens** to systems.", tagline="A *quote*"
    )
    prereqs = SectionFactory(
        roadmap=roadmap, slug="prerequisites", kind=Section.Kind.PREREQUISITES, level=""
    )
    level = SectionFactory(
        roadmap=roadmap,
        slug="beginner",
        kind=Section.Kind.LEVEL,
        level="beginner",
        title="Beginner Level",
        table_headers=["S.No", "Best Book", "Best YouTube Playlist", "Level"],
        callout="❗ *Read both.*",
    )
    techniques = SectionFactory(
        roadmap=roadmap,
        slug="techniques",
        kind=Section.Kind.TECHNIQUES,
        level="",
        table_headers=["S.No", "Architecture / Technique", "Best Video", "Best Blog", "Level"],
    )
    projects = SectionFactory(
        roadmap=roadmap, slug="projects", kind=Section.Kind.PROJECTS, level=""
    )
    SectionFactory(
        roadmap=roadmap,
        slug="careers",
        kind=Section.Kind.CAREERS,
        level="",
        title="Career Paths",
        entries=["LLM Engineer", "AI Systems Engineer"],
    )
    ResourceFactory(
        item=None, section=prereqs, roadmap=roadmap, group="Mathematics", title="Math README"
    )
    for row, kind in [(1, "book"), (1, "playlist"), (2, "book")]:
        ResourceFactory(
            item=None, section=level, roadmap=roadmap, group="table", row=row, kind=kind
        )
    ResourceFactory(item=None, section=level, roadmap=roadmap, group="table", row=2,
                    kind="playlist", url="", title="An Unlinked Book")  # fmt: skip
    ResourceFactory(item=None, section=level, roadmap=roadmap, group="highly-recommended")
    sections = [prereqs, level, techniques, projects]
    items = []
    for n in range(n_items):
        section = sections[n % len(sections)]
        kind = {
            Section.Kind.PREREQUISITES: Item.Kind.TOPIC,
            Section.Kind.LEVEL: Item.Kind.CONCEPT,
            Section.Kind.TECHNIQUES: Item.Kind.TECHNIQUE,
            Section.Kind.PROJECTS: Item.Kind.PROJECT,
        }[section.kind]
        item = ItemFactory(
            section=section,
            kind=kind,
            group="Mathematics" if section is prereqs else "",
            skills=["Prompting"] if section is projects else [],
            badge_url="https://img.example.org/badge.svg" if section is projects else "",
        )
        if section is techniques:
            ResourceFactory(item=item, group="table", row=n, kind="video")
            ResourceFactory(item=item, group="table", row=n, kind="article")
        else:
            ResourceFactory(item=item, group="link")
        if items:
            item.prerequisites.add(items[-1])
        items.append(item)
    return roadmap, items


def row_of(html: str, item) -> str:
    """The HTML of an item's row: from its id to the next row or the end of its section."""
    start = html.index(f'id="item-{item.id}"')
    rest = html[start + 1 :]
    next_row = re.search(r'id="item-\d+"|</section>', rest)
    return html[start : start + 1 + next_row.start()] if next_row else html[start:]


def status_control(html: str, item) -> str:
    """The HTML of an item's status control (its one form): on its roadmap page row, or the
    form of an item or plan page (id item-status-<id>)."""
    if f'id="item-{item.id}"' in html:
        html = row_of(html, item)
        start = html.index("<form")
    else:
        start = html.rindex("<form", 0, html.index(f'id="item-status-{item.id}"'))
    return html[start : html.index("</form>", start) + len("</form>")]


def pressed_status(html: str, item) -> str:
    """The status whose button is pressed in the item's status control."""
    return re.search(r'value="(\w+)" aria-pressed="true"', status_control(html, item)).group(1)


def client_for(user) -> Client:
    """A test client signed in as `user`, beside any other."""
    client = Client()
    client.force_login(user)
    return client


# Browser tests: where screenshots go, and the two widths every page is looked at.
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def check_both_widths(page, prefix: str, axe) -> None:
    """At both widths: nothing scrolls sideways, a full-page screenshot
    (artifacts/screenshots/<prefix>-<width name>.png), and no axe violation of any impact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], page.evaluate(WIDEST_JS)
        page.screenshot(path=SCREENSHOTS / f"{prefix}-{size}.png", full_page=True)
        violations = axe.run(page).response["violations"]
        assert violations == [], [(v["id"], v["impact"], v["nodes"][:2]) for v in violations]
    page.set_viewport_size(VIEWPORTS["desktop"])


def add_session(context, live_server, user) -> None:
    """Sign `user` in on a Playwright browser context: a session the test client made, as its
    cookie. The sign-in form has journeys of its own; other browser tests start signed in."""
    client = client_for(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def browser_context(browser, live_server, user=None, **options):
    """A browser context (one person's cookies) on the live server, signed in as `user` if
    given; `options` go to Playwright (viewport, color_scheme, java_script_enabled…)."""
    context = browser.new_context(base_url=live_server.url, **options)
    context.set_default_timeout(15_000)
    if user is not None:
        add_session(context, live_server, user)
    return context


def token_colour(page, name: str) -> str:
    """The colour a stylesheet token (`--muted`) gives on the page, as getComputedStyle says
    it: a token's own value may be light-dark(…), resolved only where it is used."""
    return page.evaluate(
        """(name) => {
          const probe = document.createElement("span");
          probe.style.color = `var(${name})`;
          document.body.append(probe);
          const colour = getComputedStyle(probe).color;
          probe.remove();
          return colour;
        }""",
        name,
    )


# For browser tests: the outermost elements sticking out past the right edge, to say what
# to fix when a page scrolls sideways.
WIDEST_JS = """() => {
  const width = document.documentElement.clientWidth;
  const clipped = (el) => {
    for (let up = el.parentElement; up; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  const out = [...document.querySelectorAll("body *")].filter(
    (el) => el.getBoundingClientRect().right > width + 1 && !clipped(el)
  );
  return out
    .filter((el) => !out.includes(el.parentElement))
    .slice(0, 5)
    .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
}"""
