"""`manage.py export_roadmap SLUG [-o FILE]`: write the database's roadmap back as YAML."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tracker.content_io import export_roadmap
from tracker.models import Roadmap


class Command(BaseCommand):
    help = (
        "Write a roadmap's database version (active sections, items and resources, in order) "
        "as YAML in the content/README.md schema, to stdout or FILE. Importing the result "
        "changes nothing, so admin edits can be brought back into content/SLUG.yaml."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", metavar="SLUG", help="The roadmap's slug, e.g. llm.")
        parser.add_argument(
            "-o", "--output", metavar="FILE", help="Write to FILE instead of stdout."
        )

    def handle(self, *args, **options) -> None:
        roadmap = Roadmap.objects.filter(slug=options["slug"]).first()
        if roadmap is None:
            known = ", ".join(Roadmap.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(
                f"no roadmap with slug '{options['slug']}'"
                + (f" (known: {known})" if known else " (the database has no roadmaps)")
            )
        text = export_roadmap(roadmap)
        if options["output"]:
            path = Path(options["output"])
            try:
                path.write_text(text, encoding="utf-8")
            except OSError as error:
                raise CommandError(f"{path}: {error.strerror or error}") from error
            self.stderr.write(self.style.SUCCESS(f"Wrote roadmap '{roadmap.slug}' to {path}."))
        else:
            self.stdout.write(text, ending="")
