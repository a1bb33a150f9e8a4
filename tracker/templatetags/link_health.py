"""`{% link_note resource.url %}`: the learner-facing note on a link's health.

"link may be broken (checked <date>)" on a confirmed broken link, "last verified <date>" on
a good one, nothing for a link never verified. All notes are loaded in one query per request
(not one per resource), the first time a page asks for one.
"""

from django import template
from django.template.loader import render_to_string

from tracker.linkcheck import normalize_url
from tracker.services.links import link_notes

register = template.Library()


def _notes(context) -> dict:
    holder = context.get("request") or context
    notes = getattr(holder, "_link_notes", None)
    if notes is None:
        notes = link_notes()
        holder._link_notes = notes
    return notes


@register.simple_tag(takes_context=True)
def link_note(context, url: str) -> str:
    if not url:
        return ""
    note = _notes(context).get(normalize_url(url))
    if note is None:
        return ""
    return render_to_string("tracker/partials/_link_note.html", {"note": note})
