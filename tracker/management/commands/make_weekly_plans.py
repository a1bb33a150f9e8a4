from django.core.management.base import BaseCommand

from tracker.services.plans import make_weekly_plans


class Command(BaseCommand):
    help = (
        "Save this week's plan for every learner whose local week has begun and send the "
        "weekly digests, in-process, chunk after chunk (the twin of the hourly Celery task, "
        "which fans the same chunks out to the workers; for cron users)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List the learners due, change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        result = make_weekly_plans(dry_run=dry_run)
        if dry_run:
            for email in result.due:
                self.stdout.write(email)
            self.stdout.write(f"{len(result.due)} learner(s) due for this week's plan.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.snapshots_created} week plan(s) saved, "
                f"{result.digests_sent} digest(s) sent."
            )
        )
        if result.digest_failures:
            self.stderr.write(
                self.style.ERROR(f"{result.digest_failures} digest(s) failed; retried next run.")
            )
