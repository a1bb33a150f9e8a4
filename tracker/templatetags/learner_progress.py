from django import template

from tracker.forms import NoteForm
from tracker.progress_math import RoadmapProgress
from tracker.selectors import progress as progress_reads

register = template.Library()


@register.simple_tag(takes_context=True)
def roadmap_progress(context, roadmap) -> RoadmapProgress | None:
    """The signed-in learner's counts for a roadmap, per section; None for visitors.

    A tag rather than view context so that every page including the summary (the roadmap
    page, the item page, htmx responses) gets it the same way, in one query.
    """
    user = context["request"].user
    if not user.is_authenticated:
        return None
    # A caller that has the learner's statuses already passes the counts (no query).
    known = context.get("known_progress")
    if known is not None and known.roadmap.id == roadmap.id:
        return known
    return progress_reads.roadmap_progress(user, roadmap)


@register.simple_tag(takes_context=True)
def note_form_for(context, item):
    """An unbound note form for the signed-in learner's progress on `item` (already attached
    as `item.my_progress` by the page's view, so this costs no query)."""
    return NoteForm(instance=getattr(item, "my_progress", None), item=item)
