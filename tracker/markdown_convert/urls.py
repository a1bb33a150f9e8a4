"""Every URL of a document and of its converted data, so tests can check that none is lost."""

import re
from collections.abc import Iterator

from tracker.content_io.schema import source_pointer
from tracker.markdown_convert.inline import parse_markdown
from tracker.markdown_convert.text import URL, normalize_text


def iter_urls(data: dict) -> Iterator[str]:
    """Every URL of converted data: resources, badges, and links inside markdown text."""

    def walk(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in ("url", "badge_url") and isinstance(inner, str):
                    yield inner
                else:
                    yield from walk(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from walk(inner)
        elif isinstance(value, str):
            yield from (m.group(0) for m in URL.finditer(value))
            yield from re.findall(r"\]\((https?://[^)\s]+)\)", value)

    yield from walk(data)


def document_urls(text: str) -> list[str]:
    """Every http(s) URL a document mentions (links, images, bare), for fidelity checks; not
    links into the document's own README, which the converter leaves out (`source_pointer`)."""
    urls = []
    for node in parse_markdown(normalize_text(text)).walk():
        if node.type == "link":
            urls.append(node.attrs.get("href", ""))
        elif node.type == "image":
            urls.append(node.attrs.get("src", ""))
        elif node.type == "text":
            urls.extend(m.group(0) for m in URL.finditer(node.content))
    return [u for u in urls if u.startswith(("http://", "https://")) and not source_pointer("", u)]
