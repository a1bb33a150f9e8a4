"""Week plans keep the review hours they left room for.

Nullable, so adding it rewrites no rows: snapshots saved before it say nothing about reviews
that came due later (PlanView.reviews_over_hours), and the next week's snapshot has it.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0024_first_click_raced_function"),
    ]

    operations = [
        migrations.AddField(
            model_name="weekplan",
            name="review_hours",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="The hours it reserved for spaced review when planned.",
                null=True,
            ),
        ),
    ]
