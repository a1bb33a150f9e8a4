"""`manage.py export_roadmap SLUG [-o FILE]`: write the database's roadmap back as YAML."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tracker.content_io import export_roadmap, leading_comments
from tracker.models import Roadmap


class Command(BaseCommand):
    help = (
        "Write a roadmap's database version (active sections, items and resources, in order) "
        "as YAML in the content/README.md schema, to stdout or FILE. Importing the result "
        "changes nothing, so admin edits can be brought back into content/SLUG.yaml. Replacing "
        "an existing FILE keeps the comment block it starts with."
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
        if options["output"]:
            path = Path(options["output"])
            # Replacing a hand-made file keeps its opening comments (how it was made, the
            # judgement calls); comments further down have no place in the database.
            header = leading_comments(path.read_text(encoding="utf-8")) if path.is_file() else ""
            text = export_roadmap(roadmap, header=header)
            try:
                path.write_text(text, encoding="utf-8")
            except OSError as error:
                raise CommandError(f"{path}: {error.strerror or error}") from error
            self.stderr.write(self.style.SUCCESS(f"Wrote roadmap '{roadmap.slug}' to {path}."))
        else:
            self.stdout.write(export_roadmap(roadmap), ending="")
