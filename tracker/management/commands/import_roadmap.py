"""`manage.py import_roadmap [PATH ...]`: validate, then import roadmap YAML files."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tracker.content_io import load_roadmaps
from tracker.services.content import KINDS, ImportReport, import_roadmaps


class Command(BaseCommand):
    help = (
        "Import roadmap YAML (content/README.md) into the database: every content/*.yaml, or "
        "the given files and directories. Everything is validated first; any problem is "
        "reported as path:line: message, nothing is written and the exit status is 1. The "
        "import is one transaction; rows missing from the YAML are archived, never deleted; "
        "fields an admin edited are kept unless the YAML changed them too (a conflict: "
        "reported, skipped, exit status still 0)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "paths",
            nargs="*",
            metavar="PATH",
            help="YAML files or directories of *.yaml (default: content/*.yaml).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Validate and compute the changes, print the summary, write nothing.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=(
                "On a conflict (a field both an admin and the YAML changed), take the YAML's "
                "value instead of keeping the admin's."
            ),
        )

    def handle(self, *args, **options) -> None:
        base = Path(settings.BASE_DIR)
        paths = self.find_files(options["paths"], base)
        specs, problems = load_roadmaps(paths, base=base)
        if problems:
            for problem in problems:
                self.stderr.write(self.style.ERROR(str(problem)))
            noun = "problem" if len(problems) == 1 else "problems"
            raise CommandError(f"{len(problems)} {noun} found; nothing was imported.")

        report = import_roadmaps(roadmaps=specs, force=options["force"], dry_run=options["dry_run"])
        self.print_report(report, options["verbosity"])

    def find_files(self, given: list[str], base: Path) -> list[Path]:
        if not given:
            given = [str(settings.CONTENT_DIR)]
        paths: list[Path] = []
        for name in given:
            path = Path(name)
            if path.is_dir():
                paths.extend(sorted(path.glob("*.yaml")))
            elif path.exists():
                paths.append(path)
            else:
                raise CommandError(f"{name}: no such file or directory")
        if not paths:
            raise CommandError(f"no *.yaml files in {', '.join(given)}")
        return paths

    def print_report(self, report: ImportReport, verbosity: int) -> None:
        if verbosity >= 2:
            for change in report.changes:
                self.stdout.write(change)
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(warning))
        for conflict in report.conflicts:
            self.stderr.write(self.style.WARNING(str(conflict)))
        for conflict in report.overridden:
            self.stdout.write(self.style.WARNING(f"{conflict} -- forced: took the YAML"))

        if report.reconciled:
            self.stdout.write(
                f"Shared topics: {report.reconciled} learner progress row(s) made to agree"
                " across each topic's items (nothing deleted)."
            )
        columns = ("created", "updated", "unchanged", "archived", "conflicts")
        self.stdout.write(f"{'':10}" + "".join(f"{c:>11}" for c in columns))
        for kind in KINDS:
            counts = report.counts[kind]
            self.stdout.write(f"{kind:10}" + "".join(f"{getattr(counts, c):>11}" for c in columns))

        prefix = "Dry run: " if report.dry_run else ""
        if report.up_to_date:
            message = f"{prefix}nothing to do: content is up to date"
            if report.adopted:
                message += f" ({report.adopted} admin edits already match the YAML" + (
                    "; they will be recorded as imported)" if report.dry_run else ")"
                )
            self.stdout.write(self.style.SUCCESS(message + "."))
        elif report.dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))
        elif report.conflicts:
            done = "Imported, except" if report.changed else "Nothing else to do;"
            self.stdout.write(
                self.style.WARNING(
                    f"{done} {len(report.conflicts)} conflicting field(s) kept the admin's "
                    "value; use --force to take the YAML."
                )
            )
        else:
            self.stdout.write(self.style.SUCCESS("Imported."))
