from django import template

from tracker import roadmap_layout
from tracker.models import Item

register = template.Library()


@register.simple_tag
def item_table_row(item, columns=None) -> roadmap_layout.ItemTableRow:
    """`{% item_table_row item columns as row %}`: an item's cells in its section's table."""
    return roadmap_layout.item_table_row(item, columns or None)


@register.filter
def is_table_item(item) -> bool:
    return roadmap_layout.is_table_item(item)


@register.filter
def row_tags(item) -> list[tuple[str, str]]:
    return roadmap_layout.row_tags(item)


@register.filter
def relative_to(url: str, folder: str) -> str:
    """`url` relative to the page at `folder` (ending in /) when it lies under it, else as is:
    the status forms of a roadmap page, 38 on the LLM page, say just `<item>/status/`."""
    if folder.endswith("/") and url.startswith(folder):
        return url[len(folder) :]
    return url


@register.simple_tag
def resource_host(resource, item=None) -> str:
    """`{% resource_host resource item as host %}`: the host to show instead of a label that
    repeats the item's title, or "" (no item in context: section resources keep theirs)."""
    # Without an item the template passes "" (whose .title is str.title): no title then.
    item_title = item.title if isinstance(item, Item) else ""
    return roadmap_layout.repeated_title_host(resource.title, resource.url, item_title)
