from django import template

from tracker.forms import NoteForm
from tracker.models import Status

register = template.Library()


@register.simple_tag
def note_form_for(item):
    """An unbound note form for the signed-in learner's progress on `item` (already attached
    as `item.my_progress` by the page's view, so this costs no query)."""
    return NoteForm(instance=getattr(item, "my_progress", None), item=item)


# The status control's button labels: "Skip" is what the button does; the other labels are
# the statuses' own.
STATUS_BUTTONS = [
    (value, "Skip" if value == Status.SKIPPED else label) for value, label in Status.choices
]


@register.simple_tag
def status_buttons() -> list[tuple[str, str]]:
    """The status control's buttons in order, as (value, label) pairs."""
    return STATUS_BUTTONS
