from django import template

from tracker import roadmap_pages

register = template.Library()


@register.simple_tag
def item_table_row(item, columns=None) -> roadmap_pages.ItemTableRow:
    """`{% item_table_row item columns as row %}`: an item's cells in its section's table."""
    return roadmap_pages.item_table_row(item, columns or None)


@register.filter
def is_table_item(item) -> bool:
    return roadmap_pages.is_table_item(item)
