from django import template

from tracker import roadmap_layout

register = template.Library()


@register.simple_tag
def item_table_row(item, columns=None) -> roadmap_layout.ItemTableRow:
    """`{% item_table_row item columns as row %}`: an item's cells in its section's table."""
    return roadmap_layout.item_table_row(item, columns or None)


@register.filter
def is_table_item(item) -> bool:
    return roadmap_layout.is_table_item(item)
