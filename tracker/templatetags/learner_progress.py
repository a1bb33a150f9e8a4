from django import template

from tracker.forms import NoteForm
from tracker.models import Status

register = template.Library()


@register.simple_tag
def note_form_for(item):
    """An unbound note form for the signed-in learner's progress on `item` (already attached
    as `item.my_progress` by the page's view, so this costs no query)."""
    return NoteForm(instance=getattr(item, "my_progress", None), item=item)


@register.simple_tag
def status_choices() -> list[tuple[str, str]]:
    """The statuses in button order, as (value, label) pairs."""
    return Status.choices
