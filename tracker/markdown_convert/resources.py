"""Resources (links to reading, videos, courses) and the guess of their kind."""

import re
from typing import Any

from markdown_it.tree import SyntaxTreeNode

from tracker.markdown_convert.inline import (
    Link,
    is_decoration,
    links_in,
    split_lines,
    strong_text,
    text_outside_links,
)
from tracker.markdown_convert.text import SEPARATOR, heading_key, split_title_note, url_title

# "Attention Is All You Need (Paper)": a trailing note that names the resource's kind.
_KIND_NOTES = {
    "paper": "paper",
    "book": "book",
    "course": "course",
    "video": "video",
    "playlist": "playlist",
    "documentation": "documentation",
    "docs": "documentation",
    "article": "article",
    "blog": "article",
}
_COURSE_HOSTS = ("coursera.org", "edx.org", "ocw.mit.edu", "kaggle.com/learn")


def url_kind(url: str | None, title: str = "") -> str:
    """Resource kind guessed from a link's target (and title words) outside a table."""
    lowered = (url or "").lower()
    words = heading_key(title).split()
    if "arxiv.org" in lowered or lowered.endswith(".pdf") or "paper" in words:
        return "paper"
    if "documentation" in words or "docs" in words or re.search(r"/docs?\b|//docs\.", lowered):
        return "documentation"
    if "youtube.com/playlist" in lowered:
        return "playlist"
    if "youtube.com" in lowered or "youtu.be" in lowered:
        return "video"
    if (
        "course" in words
        or "course" in lowered
        or "/class/" in lowered
        or any(host in lowered for host in _COURSE_HOSTS)
    ):
        return "course"
    if "book" in words or "oreilly.com/library" in lowered:
        return "book"
    return "article"


def resource(
    title: str, url: str | None, *, kind: str | None = None, group: str | None = None
) -> dict[str, Any]:
    """A resource; its kind is `kind`, else the one its title names, else guessed from the URL."""
    title = title.strip()
    found: dict[str, Any] = {"title": title}
    if url:
        found["url"] = url
    note = None
    _, paren = split_title_note(title)
    if paren and paren.lower() in _KIND_NOTES:
        note = paren
        kind = kind or _KIND_NOTES[paren.lower()]
    found["kind"] = kind or url_kind(url, title)
    if group:
        found["group"] = group
    if note:
        found["note"] = note
    return found


def link_resources(links: list[Link], title: str) -> list[dict[str, Any]]:
    """An item's own links; one without text is named after the item."""
    return [resource(link.text or title, link.url, group="link") for link in links]


def pointer_resources(links: list[Link], group: str | None) -> list[dict[str, Any]]:
    """Links that point to reading for a whole group ("👉 [See README.md#…](…)")."""
    found = []
    for link in links:
        pointer = resource(link.text or url_title(link.url), link.url)
        if group:
            pointer["group"] = group
        found.append(pointer)
    return found


def recommended_resources(nodes: list[SyntaxTreeNode]) -> list[dict[str, Any]]:
    """One "Highly Recommended" entry: its links (or its bold title alone) as resources."""
    lines = split_lines(nodes)
    if not lines:
        return []
    links = [link for line in lines for link in links_in(line)]
    # The whole first line names the entry: "*Hands-On ML* – Géron (Book)" keeps its author.
    title = (
        text_outside_links(lines[0]) or strong_text(lines[0]) or (links[0].text if links else "")
    ).strip(SEPARATOR)
    if not links:
        if not title:
            return []
        links = [Link(title, None)]
    # Later lines that are more than glyphs note something about every link of the entry.
    notes = [text_outside_links(line) for line in lines[1:]]
    extra = " ".join(n for n in notes if n and not is_decoration(n))
    found = []
    for link in links:
        text = title if len(links) == 1 or not link.text else link.text
        recommended = resource(text or url_title(link.url), link.url)
        recommended["group"] = "highly-recommended"
        if extra:
            note = recommended.get("note")
            recommended["note"] = f"{note}; {extra}" if note else extra
        found.append(recommended)
    return found
