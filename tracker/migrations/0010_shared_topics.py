from django.db import migrations, models


def baseline_without_topic(apps, schema_editor):
    """Items imported before topics existed were imported with none: say so in their baseline,
    so that the first import that gives them a topic is a YAML change, not a conflict."""
    Item = apps.get_model("tracker", "Item")
    for item in Item.objects.exclude(imported_values={}).only("pk", "imported_values"):
        if "topic" not in item.imported_values:
            item.imported_values["topic"] = ""
            Item.objects.filter(pk=item.pk).update(imported_values=item.imported_values)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0009_auth_attempts"),
    ]

    operations = [
        migrations.AddField(
            model_name="item",
            name="topic",
            field=models.SlugField(
                blank=True,
                db_index=True,
                help_text="Shared topic, from content/topics.yaml.",
                max_length=80,
            ),
        ),
        migrations.RunPython(baseline_without_topic, migrations.RunPython.noop),
    ]
