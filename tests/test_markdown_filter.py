"""The `markdown` template filter: content markdown can never inject markup into a page."""

import re

from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from tracker.markdown import render_markdown

TAGS = st.sampled_from(["script", "img src=x onerror=alert(1)", "iframe", "div", "a href=x"])


@given(before=st.text(max_size=40), tag=TAGS, after=st.text(max_size=40))
def test_raw_html_in_markdown_is_always_escaped(before, tag, after):
    html = render_markdown(f"{before}<{tag}>{after}")

    assert not re.search(r"<(script|img|iframe|div)\b", html)
    assert "<a href=x" not in html


@given(st.text(max_size=80))
def test_every_absolute_link_gets_noreferrer(text):
    # noreferrer implies noopener (HTML spec), and keeps the learner's page out of Referer.
    html = render_markdown(f"[{text}](https://example.org/x) and <https://example.com/>")

    for anchor in re.findall(r"<a [^>]*>", html):
        if 'href="http' in anchor:
            assert 'rel="noreferrer"' in anchor


def test_javascript_links_are_not_links():
    html = render_markdown("[click](javascript:alert(1))")
    assert "<a" not in html


def test_filter_output_is_not_escaped_again_by_the_template():
    rendered = Template("{% load markdown %}{{ text|markdown }}").render(
        Context({"text": "**bold** & <b>raw</b>"})
    )
    assert rendered == "<p><strong>bold</strong> &amp; &lt;b&gt;raw&lt;/b&gt;</p>\n"


def test_filter_accepts_none():
    assert Template("{% load markdown %}{{ text|markdown }}").render(Context({"text": None})) == ""
