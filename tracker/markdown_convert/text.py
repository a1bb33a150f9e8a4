"""Plain-string helpers: the document's clean-up before parsing, and the matching of
headings, levels, titles and comma lists."""

import re
import unicodedata

import ftfy

from tracker.content_io.schema import LEVELS

# Mojibake that ftfy cannot repair because cp1252 has no character for one of the bytes, so
# the byte was lost: ❗ (E2 9D 97) survives as "â—" and ⭐ (E2 AD 90) as a lone "â".
_TRUNCATED_MOJIBAKE = [
    (re.compile("â\u00ad?\u2014"), "❗"),
    (re.compile(r"(?<![^\s(\[])â\u00ad?(?![\w\u00ad])"), "⭐"),
]

# "A*" (the search algorithm) is a name, not emphasis: in "**Maze Solver (A*, BFS, DFS)**"
# CommonMark would otherwise close an emphasis at its star and lose it.
_STARRED_NAME = re.compile(r"(?<=[\s(\[])([A-Z])\*(?=[,)\]\s])")

URL = re.compile(r"https?://[^\s<>()\[\]]+[^\s<>()\[\].,;:!?'\"]")
_TRAILING_PAREN = re.compile(r"^(?P<title>.*?)\s*\((?P<note>[^()]*)\)\s*$")
# What surrounds a title without being part of it: "**Python** – basics", "Skills: a, b".
SEPARATOR = " \t-–—:|·•"


def normalize_text(text: str) -> str:
    """LF line endings and mojibake fixed, before any parsing."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    # Curly quotes are the author's; ftfy would otherwise straighten them.
    text = ftfy.fix_text(text, uncurl_quotes=False)
    for pattern, replacement in _TRUNCATED_MOJIBAKE:
        text = pattern.sub(replacement, text)
    return _STARRED_NAME.sub(r"\1\\*", text)


def heading_key(text: str) -> str:
    """A heading reduced for matching: no emoji or punctuation, lower case, single spaces."""
    text = "".join(ch if ch.isalnum() or ch in "&/" else " " for ch in text.lower())
    return re.sub(r"\s+", " ", text).strip()


def level_of(text: str) -> str | None:
    """The level a heading, badge or table cell names, if any ("Basics" is beginner)."""
    words = heading_key(text).split()
    for level in LEVELS:
        if level in words:
            return level
    if {"basic", "basics"} & set(words):
        return "beginner"
    if "expert" in words:
        return "advanced"
    return None


def split_title_note(title: str) -> tuple[str, str | None]:
    """ "Linear Algebra (embeddings, attention)" → ("Linear Algebra", "embeddings, attention")."""
    match = _TRAILING_PAREN.match(title)
    if match and match.group("title"):
        return match.group("title").strip(), match.group("note").strip()
    return title, None


def concept_group(title: str) -> str:
    """'Core Concepts:' and 'Core Concepts (Advanced)' → 'Core Concepts' (the level is known)."""
    title = title.strip().rstrip(":").strip()
    base, note = split_title_note(title)
    if note and level_of(note):
        title = base
    return "".join(ch for ch in title if unicodedata.category(ch) != "So").strip()


def is_decoration(text: str) -> bool:
    """Emoji, arrows and separators only: glyphs like the 👉 before a link, not content."""
    return all(
        ch in SEPARATOR + ",." or unicodedata.category(ch) in ("So", "Sk", "Sm", "Mn", "Cf")
        for ch in text
    )


def url_title(url: str) -> str:
    """A readable title for a bare URL: host and path without scheme, www or trailing slash."""
    title = re.sub(r"^https?://(www\.)?", "", url).rstrip("/")
    return title or url


def cut_at_commas(text: str, depth: int = 0) -> tuple[list[str], int]:
    """`text` cut at commas outside brackets, and the bracket depth at its end.

    The depth carries over, so that a text split across several markdown nodes is cut the
    same way as the whole: 'A (x, y), B' → ['A (x, y)', ' B'].
    """
    pieces, current = [], []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
    pieces.append("".join(current))
    return pieces, depth


def split_commas(text: str) -> list[str]:
    """Split on commas outside parentheses: 'A (x, y), B' → ['A (x, y)', 'B']."""
    pieces, _ = cut_at_commas(text)
    return [p.strip(SEPARATOR) for p in pieces if p.strip(SEPARATOR)]
