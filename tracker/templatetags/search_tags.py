from django import template
from django.utils.safestring import SafeString

from tracker import search_text

register = template.Library()


@register.filter
def highlight(text: str, terms: tuple[str, ...]) -> SafeString:
    """`text` escaped, with the searched words in <mark> (search_text.highlight)."""
    return search_text.highlight(text or "", terms or ())
