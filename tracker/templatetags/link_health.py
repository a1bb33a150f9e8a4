"""`{% link_note resource.url %}`: the learner-facing note on a link's health.

"link may be broken (checked <date>)" on a confirmed broken link, "last verified <date>" on
a good one, nothing for a link never verified. The view passes every note as `link_notes`
(see page_cache.link_notes); the tag only formats.
"""

from django import template
from django.template.loader import render_to_string

from tracker.linkcheck import normalize_url

register = template.Library()


@register.simple_tag(takes_context=True)
def link_note(context, url: str) -> str:
    if not url:
        return ""
    note = context.get("link_notes", {}).get(normalize_url(url))
    if note is None:
        return ""
    return render_to_string("tracker/partials/_link_note.html", {"note": note})
