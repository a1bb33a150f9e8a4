"""Markdown for content fields: CommonMark with raw HTML escaped, external links marked.

A plain function over strings, so it is tested without Django; the `markdown` template filter
(tracker/templatetags/markdown.py) wraps it.
"""

from urllib.parse import urlsplit

from markdown_it import MarkdownIt

EXTERNAL_REL = "noreferrer"


def is_external(url: str) -> bool:
    """An absolute http(s) URL: it leaves the site (our own links are always relative)."""
    parts = urlsplit(url.strip())
    return parts.scheme.lower() in {"http", "https"} and bool(parts.netloc)


def _link_open(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    if is_external(str(token.attrGet("href") or "")):
        token.attrSet("rel", EXTERNAL_REL)
    return self.renderToken(tokens, idx, options, env)


# "html": False makes markdown-it escape raw HTML instead of passing it through; content is
# written by admins and YAML authors, but a page must never run markup they pasted by mistake.
_md = MarkdownIt("commonmark", {"html": False})
_md.add_render_rule("link_open", _link_open)


def render_markdown(text: str) -> str:
    """HTML for a markdown text; empty text gives an empty string."""
    if not text or not text.strip():
        return ""
    return _md.render(text)


# Learners' and mentors' own text (project write-ups, review comments): the same safe
# rendering, but images stay links (a picture from any host would tell it who reads the page),
# and links are marked as user content for search engines.
USER_REL = "nofollow ugc noopener noreferrer"


def _user_link_open(self, tokens, idx, options, env) -> str:
    tokens[idx].attrSet("rel", USER_REL)
    return self.renderToken(tokens, idx, options, env)


_user_md = MarkdownIt("commonmark", {"html": False}).disable("image")
_user_md.add_render_rule("link_open", _user_link_open)


def render_user_markdown(text: str) -> str:
    """HTML for markdown that people typed into the site; empty text gives an empty string."""
    if not text or not text.strip():
        return ""
    return _user_md.render(text)
