from django.db import migrations, models


def baseline_without_theme(apps, schema_editor):
    """Roadmaps imported before themes existed were imported with none: say so in their
    baseline, so that the first import that gives them a theme is a YAML change, not a
    conflict."""
    Roadmap = apps.get_model("tracker", "Roadmap")
    for roadmap in Roadmap.objects.exclude(imported_values={}).only("pk", "imported_values"):
        if "theme" not in roadmap.imported_values:
            roadmap.imported_values["theme"] = ""
            Roadmap.objects.filter(pk=roadmap.pk).update(imported_values=roadmap.imported_values)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0015_link_health_label"),
    ]

    operations = [
        migrations.AddField(
            model_name="roadmap",
            name="theme",
            field=models.CharField(
                blank=True,
                choices=[
                    ("foundations", "Foundations"),
                    ("deep-learning", "Deep learning and vision"),
                    ("language", "Language and generative AI"),
                    ("production", "Production"),
                    ("research", "Research and safety"),
                ],
                help_text="Its group on /roadmaps/.",
                max_length=20,
            ),
        ),
        migrations.RunPython(baseline_without_theme, migrations.RunPython.noop),
    ]
