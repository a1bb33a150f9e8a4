from django import template
from django.utils.safestring import SafeString, mark_safe

from tracker.markdown import render_markdown, render_user_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> SafeString:
    # Safe because markdown-it escapes raw HTML ("html": False) and drops unsafe URL schemes.
    return mark_safe(render_markdown(text or ""))


@register.filter(name="user_markdown")
def user_markdown_filter(text: str | None) -> SafeString:
    # Safe for the same reasons as `markdown`; images are not rendered (render_user_markdown).
    return mark_safe(render_user_markdown(text or ""))
