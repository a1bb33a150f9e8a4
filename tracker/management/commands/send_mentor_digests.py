from django.core.management.base import BaseCommand

from tracker.services.mentor_digest import make_mentor_digests


class Command(BaseCommand):
    help = (
        "Send the weekly mentor digest to every mentor whose Monday morning has come, "
        "in-process (the twin of the hourly Celery task; for cron users)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List the mentors due, change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        run = make_mentor_digests(dry_run=dry_run)
        if dry_run:
            for email in run.due:
                self.stdout.write(email)
            self.stdout.write(f"{len(run.due)} mentor(s) due for this week's digest.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"{run.sent} mentor digest(s) sent, {run.quiet} quiet week(s) recorded."
            )
        )
        if run.failures:
            failed = f"{run.failures} digest(s) failed; retried next run."
            self.stderr.write(self.style.ERROR(failed))
