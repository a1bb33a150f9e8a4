from django.db import migrations


def create_schedules(apps, schema_editor):
    from tracker.schedules import ensure_schedules

    ensure_schedules(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0005_plans_week_plan"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, migrations.RunPython.noop)]
