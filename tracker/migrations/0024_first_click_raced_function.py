"""The function the one-statement first click calls to undo itself when a racing click made one
of its rows first (tracker/services/progress.py, `go.fresh`).

SQL has no way to raise an error of its own; this raises one with an SQLSTATE of ours, which
the caller tells apart from every other error. PostgreSQL only: other databases take the ORM
path.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION tracker_first_click_raced() RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a racing click made this progress row first'
        USING ERRCODE = 'RT001';
END
$$
"""
DROP = "DROP FUNCTION IF EXISTS tracker_first_click_raced()"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0023_drop_redundant_progress_indexes"),
    ]

    operations = [migrations.RunPython(create, drop)]
