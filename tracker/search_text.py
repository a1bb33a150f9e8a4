"""Pure text rules of search: cleaning what was typed, the words to look for, excerpts and
escaped highlighting. No ORM, so they are tested without a database."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MAX_QUERY_LENGTH = 200
# More words than this only slow the SQLite fallback down; nobody types them.
MAX_TERMS = 10
EXCERPT_LENGTH = 180

_WORD = re.compile(r"\w+")
# Crude English stemming, enough to highlight "transformers" for "transformer" and the other
# way round; PostgreSQL's own stemmer decides what matches.
_SUFFIXES = ("ing", "es", "ed", "s")


@dataclass(frozen=True)
class CleanQuery:
    text: str
    cut: bool  # longer than MAX_QUERY_LENGTH, so only its start is searched


def clean_query(raw: str | None) -> CleanQuery:
    """What was typed, without control characters (NUL would make PostgreSQL fail), lone
    surrogates (not encodable as UTF-8) or runs of spaces, and at most MAX_QUERY_LENGTH long."""
    kept = []
    for char in raw or "":
        category = unicodedata.category(char)
        if category == "Cs":
            continue
        kept.append(" " if category == "Cc" else char)
    text = " ".join("".join(kept).split())
    cut = len(text) > MAX_QUERY_LENGTH
    if cut:
        text = text[:MAX_QUERY_LENGTH].rstrip()
    return CleanQuery(text=text, cut=cut)


def query_terms(query: str) -> tuple[str, ...]:
    """The words a result should contain, lower-cased: websearch's excluded words ("-word") and
    its "or" left out, duplicates dropped, at most MAX_TERMS."""
    terms: list[str] = []
    for token in query.split():
        if token.startswith("-") or token.lower() == "or":
            continue
        for word in _WORD.findall(token.lower()):
            if word not in terms:
                terms.append(word)
    return tuple(terms[:MAX_TERMS])


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    stems = sorted({_stem(term) for term in terms if term}, key=len, reverse=True)
    if not stems:
        return None
    # A word that starts with a term's stem: "learn" marks "learning" and "learners".
    return re.compile(r"\b(?:" + "|".join(map(re.escape, stems)) + r")\w*", re.IGNORECASE)


def highlight(text: str, terms: tuple[str, ...]) -> SafeString:
    """`text` escaped, with the words that match a term in <mark>."""
    pattern = _pattern(terms)
    if pattern is None:
        return escape(text)
    pieces, end = [], 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[end : match.start()]))
        pieces.append(f"<mark>{escape(match.group())}</mark>")
        end = match.end()
    pieces.append(escape(text[end:]))
    # Every piece of the text went through escape() above; only our <mark> tags are raw.
    return mark_safe("".join(pieces))


_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKDOWN_MARKS = re.compile(r"[*_`#>|]+")


def plain_text(markdown: str) -> str:
    """Markdown as readable one-line text: links keep their words, emphasis marks go."""
    text = _MARKDOWN_LINK.sub(r"\1", markdown)
    return " ".join(_MARKDOWN_MARKS.sub(" ", text).split())


def excerpt(text: str, terms: tuple[str, ...], length: int = EXCERPT_LENGTH) -> str:
    """About `length` characters of `text` around its first match (from the start if none),
    cut at spaces, with "…" where it was cut."""
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    pattern = _pattern(terms)
    match = pattern.search(text) if pattern else None
    start = max(0, match.start() - length // 3) if match else 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < (match.start() if match else start + 20) else start
    stop = start + length
    if stop < len(text):
        space = text.rfind(" ", start, stop)
        stop = space if space > start else stop
    return ("…" if start else "") + text[start:stop] + ("…" if stop < len(text) else "")


def host_of(url: str) -> str:
    """A link's host without "www.", e.g. "youtube.com"; "" for no or a broken URL."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def best_text(texts: list[str], terms: tuple[str, ...]) -> str:
    """The first of `texts` that contains a term, else the first non-empty one."""
    pattern = _pattern(terms)
    if pattern is not None:
        for text in texts:
            if text and pattern.search(text):
                return text
    return next((text for text in texts if text), "")
