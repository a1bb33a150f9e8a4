"""GIN indexes for search on PostgreSQL (tracker/selectors/search.py).

Each indexes exactly the expression that search_postgres builds with SearchVector, so the
planner uses it; tests/test_search.py checks that it still does. Other databases have no
full-text search and skip this migration's SQL.
"""

from django.db import migrations

ITEM_VECTOR = (
    "(setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, COALESCE(effort_note, '') || ' '"
    " || COALESCE(description, '') || ' ' || COALESCE(note, '')), 'B'))"
)
RESOURCE_VECTOR = (
    "(setweight(to_tsvector('english'::regconfig, COALESCE(title, '') || ' '"
    " || COALESCE(note, '')), 'C')"
    " || setweight(to_tsvector('english'::regconfig, COALESCE(replace("
    "substring(url, '^[a-z]+://(?:www\\.)?([^/:?#]+)'), '.', ' '), '')), 'D'))"
)
INDEXES = {
    "item_search": ("tracker_item", ITEM_VECTOR),
    "resource_search": ("tracker_resource", RESOURCE_VECTOR),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, vector) in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({vector})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("tracker", "0012_explicit_follows")]

    operations = [migrations.RunPython(create, drop)]
