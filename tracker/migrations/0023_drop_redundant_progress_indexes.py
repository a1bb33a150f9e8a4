"""Drop four indexes that no query needs and clicks pay for.

Progress.learner's own index repeats the start of progress_one_per_item (learner, item), and
ProgressEvent.at's serves no read (each reads one learner's events, through
progress_event_learner_at, or one item's). A status change is never a HOT update (the status
is indexed), so each index of the row is written on every click, as is each of the event's.
A concept done or undone writes a review card, and undone deletes its ratings: their learner
and card indexes repeat the start of review_card_learner_due and review_log_card_at.

The indexes are dropped by name, not by AlterField: for a foreign key Django would also drop and
re-add the constraint, which checks every progress row under a lock.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

LEARNER_INDEX = "tracker_progress_learner_id_583d175e"
AT_INDEX = "tracker_progressevent_at_dbd9facd"
CARD_LEARNER_INDEX = "tracker_reviewcard_learner_id_b4ebdca3"
LOG_CARD_INDEX = "tracker_reviewlog_card_id_dcde6ca9"


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0022_review_cards"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="progress",
                    name="learner",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="progress",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="progressevent",
                    name="at",
                    field=models.DateTimeField(),
                ),
                migrations.AlterField(
                    model_name="reviewcard",
                    name="learner",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="review_cards",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="reviewlog",
                    name="card",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="logs",
                        to="tracker.reviewcard",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {LEARNER_INDEX}",
                    f"CREATE INDEX {LEARNER_INDEX} ON tracker_progress (learner_id)",
                ),
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {AT_INDEX}",
                    f"CREATE INDEX {AT_INDEX} ON tracker_progressevent (at)",
                ),
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {CARD_LEARNER_INDEX}",
                    f"CREATE INDEX {CARD_LEARNER_INDEX} ON tracker_reviewcard (learner_id)",
                ),
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {LOG_CARD_INDEX}",
                    f"CREATE INDEX {LOG_CARD_INDEX} ON tracker_reviewlog (card_id)",
                ),
            ],
        ),
    ]
