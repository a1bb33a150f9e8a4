"""Writing validated roadmap content (`tracker.content_io.RoadmapSpec`) to the database.

Rules (content/README.md): rows are matched by slug (resources by key) and never deleted;
a row missing from the YAML is archived and a row that comes back is restored. Each row keeps
in `imported_values` what the last import wrote, and every field is merged three ways:

    YAML == baseline                 -> keep the database value (an admin's edit survives)
    database == YAML                 -> nothing to write; the baseline adopts the value
    database == baseline             -> take the YAML value
    otherwise                        -> conflict: reported and skipped, unless force

Archiving is merged the same way through a pseudo-field `archived` in the baseline, so an
admin who archives a row that is still in the YAML keeps it archived.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from tracker import page_cache
from tracker.content_io import TRACKED_FIELDS, RoadmapSpec, RowSpec, clean_text
from tracker.models import Item, Resource, Roadmap, Section
from tracker.services.progress import reconcile_topics

KINDS = ("roadmap", "section", "item", "resource")
# Any constant will do; it only has to differ from other advisory locks of the project.
_IMPORT_LOCK = 0x524F41444D4150  # "ROADMAP"
_MISSING = object()
# Fields stored as free text: compared after clean_text, as the importer stores them.
_TEXT_FIELDS = {
    "title",
    "summary",
    "intro",
    "tagline",
    "body",
    "callout",
    "group",
    "description",
    "note",
    "effort_note",
    "url",
    "badge_url",
}


@dataclass
class KindCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
    conflicts: int = 0


@dataclass(frozen=True)
class Conflict:
    """A field both an admin and the YAML changed, to different values."""

    path: str
    line: int | None
    kind: str
    ident: str
    field: str
    admin_value: Any
    yaml_value: Any

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return (
            f"{where}: conflict on {self.kind} '{self.ident}' field '{self.field}':"
            f" admin has {_show(self.admin_value)}, YAML has {_show(self.yaml_value)}"
            " (use --force to take the YAML)"
        )


@dataclass
class ImportReport:
    """What an import did (or, with dry_run, would do)."""

    dry_run: bool = False
    force: bool = False
    counts: dict[str, KindCounts] = field(default_factory=lambda: {k: KindCounts() for k in KINDS})
    conflicts: list[Conflict] = field(default_factory=list)
    # Forced conflicts: the YAML value was taken over an admin's edit.
    overridden: list[Conflict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    # Rows whose baseline took a value the database already had (e.g. after an export).
    adopted: int = 0
    # An item got a topic (or came back with one): progress is reconciled after the import.
    joined_topics: bool = False
    # Learners' progress rows made to agree across a shared topic's items.
    reconciled: int = 0

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated or c.archived for c in self.counts.values())

    @property
    def up_to_date(self) -> bool:
        return not self.changed and not self.conflicts


def _show(value: Any) -> str:
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    elif value is None:
        return "nothing"
    text = str(value).replace("\n", "\\n")
    if len(text) > 80:
        text = text[:79] + "…"
    return f"'{text}'"


def _same(a: Any, b: Any) -> bool:
    # JSON keeps the importer's types (str, int, bool, list, None), so equality is enough.
    return a == b


@transaction.atomic
def import_roadmaps(
    *, roadmaps: Sequence[RoadmapSpec], force: bool = False, dry_run: bool = False
) -> ImportReport:
    """Import validated roadmaps in one transaction; see the module docstring for the rules.

    `dry_run` does everything, then rolls the transaction back. `force` takes the YAML's
    value for conflicting fields. After a real write the content version is bumped on commit.
    """
    report = ImportReport(dry_run=dry_run, force=force)
    _wait_for_other_imports()
    now = timezone.now()
    for spec in roadmaps:
        _RoadmapImport(spec, report, force=force, now=now).run()
    if report.joined_topics:
        # Items that joined a topic become one piece of progress for every learner.
        report.reconciled = reconcile_topics()
    if dry_run:
        transaction.set_rollback(True)
    elif report.changed:
        # Prerequisites and importer baselines are written in bulk, which sends no signals.
        page_cache.invalidate(content=True)
    return report


def _wait_for_other_imports() -> None:
    """Serialise imports (e.g. a deploy's and a developer's) until this transaction ends.

    Without it, two first imports would both insert the same slugs and one would fail on the
    unique constraints. SQLite needs nothing: it allows one writer at a time anyway.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_IMPORT_LOCK])


class _RoadmapImport:
    def __init__(self, spec: RoadmapSpec, report: ImportReport, *, force: bool, now) -> None:
        self.spec = spec
        self.report = report
        self.force = force
        self.now = now
        self.sections: dict[str, Section] = {}
        self.items: dict[str, Item] = {}
        # item pk -> sorted prerequisite slugs, as in the database
        self.needs: dict[int, list[str]] = {}
        self.prerequisites_to_write: list[tuple[Item, list[str]]] = []

    # -- the three-way merge -----------------------------------------------------------------

    def merge(self, row: Any, spec: RowSpec, current: dict[str, Any]) -> dict[str, Any] | None:
        """Merge one existing row. Returns the fields to write (None when nothing to save)."""
        kind = spec.kind
        baseline = dict(row.imported_values or {})
        new_baseline = dict(baseline)
        writes: dict[str, Any] = {}
        for name in TRACKED_FIELDS[kind]:
            wanted = spec.values[name]
            have = current[name]
            base = baseline.get(name, _MISSING)
            if base is not _MISSING and _same(wanted, base):
                continue
            if _same(have, wanted):
                new_baseline[name] = wanted
                continue
            if base is not _MISSING and _same(have, base):
                writes[name] = wanted
                new_baseline[name] = wanted
                continue
            conflict = Conflict(
                self.spec.path, spec.line_of(name), kind, spec.ident, name, have, wanted
            )
            if self.force:
                self.report.overridden.append(conflict)
                writes[name] = wanted
                new_baseline[name] = wanted
            else:
                self.report.conflicts.append(conflict)
                self.report.counts[kind].conflicts += 1

        # The row is in the YAML: restore it if an import archived it (an admin's archiving
        # of a row the YAML still has survives, like any admin edit).
        if baseline.get("archived", False) and row.archived_at is not None:
            writes["archived_at"] = None
        new_baseline["archived"] = False

        counts = self.report.counts[kind]
        if writes:
            counts.updated += 1
            self.report.changes.append(
                f"{self.spec.path}: updated {kind} '{spec.ident}': "
                + ", ".join("restored" if name == "archived_at" else name for name in writes)
            )
            return {**writes, "imported_values": new_baseline}
        counts.unchanged += 1
        if new_baseline != baseline:
            self.report.adopted += 1
            return {"imported_values": new_baseline}
        return None

    def save(self, row: Any, changes: dict[str, Any] | None) -> None:
        if changes is None:
            return
        if set(changes) == {"imported_values"}:
            # Only the baseline moves: not an edit, so updated_at stays.
            type(row).objects.filter(pk=row.pk).update(imported_values=changes["imported_values"])
            row.imported_values = changes["imported_values"]
            return
        if isinstance(row, Item) and {"topic", "archived_at"} & set(changes):
            self.report.joined_topics = True
        fields = []
        for name, value in changes.items():
            if name == "prerequisites":
                self.prerequisites_to_write.append((row, value))
                continue
            if name == "section":
                row.section = self.sections[value]
                fields.append("section")
            elif name == "owner":
                self.set_owner(row, value)
                fields += ["item", "section"]
            else:
                setattr(row, name, value)
                fields.append(name)
        row.save(update_fields=[*fields, "updated_at"])

    def set_owner(self, resource: Resource, owner: str) -> None:
        kind, slug = owner.split(":", 1)
        if kind == "item":
            resource.item, resource.section = self.items[slug], None
        else:
            resource.item, resource.section = None, self.sections[slug]

    def create(self, model: type, spec: RowSpec, **extra: Any) -> Any:
        values = {k: v for k, v in spec.values.items() if k not in ("section", "owner")}
        values.pop("prerequisites", None)
        row = model(**values, **extra, imported_values={**spec.values, "archived": False})
        if "section" in spec.values:
            row.section = self.sections[spec.values["section"]]
        if "owner" in spec.values:
            self.set_owner(row, spec.values["owner"])
        row.save()
        if spec.values.get("topic"):
            self.report.joined_topics = True
        self.report.counts[spec.kind].created += 1
        self.report.changes.append(f"{self.spec.path}: created {spec.kind} '{spec.ident}'")
        return row

    def archive_missing(self, kind: str, rows: dict[str, Any], wanted: set[str]) -> None:
        """Archive rows an import wrote that the YAML no longer has; never-imported rows stay."""
        for ident, row in rows.items():
            if ident in wanted:
                continue
            baseline = row.imported_values or {}
            if not baseline:
                if row.archived_at is None:
                    self.report.warnings.append(
                        f"{self.spec.path}: {kind} '{ident}' is not in the YAML and was never"
                        " imported (added in the admin?); left as it is. Export the roadmap to"
                        " keep it."
                    )
                continue
            archived = row.archived_at is not None
            if baseline.get("archived", False):
                continue  # archived by an earlier import, or restored by an admin since
            if archived:
                # An admin archived it and the YAML dropped it too: agree, quietly.
                type(row).objects.filter(pk=row.pk).update(
                    imported_values={**baseline, "archived": True}
                )
                self.report.adopted += 1
                continue
            row.archived_at = self.now
            row.imported_values = {**baseline, "archived": True}
            row.save(update_fields=["archived_at", "imported_values", "updated_at"])
            self.report.counts[kind].archived += 1
            self.report.changes.append(f"{self.spec.path}: archived {kind} '{ident}'")

    # -- the rows ----------------------------------------------------------------------------

    def run(self) -> None:
        roadmap = self.upsert_roadmap()
        by_id = self.upsert_sections(roadmap)
        self.upsert_items(roadmap, by_id)
        self.write_prerequisites()
        # Archive after the items moved, so that no active item is left in an archived section.
        self.archive_missing("item", self.items, {s.ident for s in self.spec.items})
        self.archive_missing("section", self.sections, {s.ident for s in self.spec.sections})
        self.upsert_resources(roadmap, by_id)

    def upsert_roadmap(self) -> Roadmap:
        spec = self.spec
        roadmap = Roadmap.objects.filter(slug=spec.roadmap.ident).first()
        if roadmap is None:
            return self.create(
                Roadmap, spec.roadmap, slug=spec.roadmap.ident, source_path=spec.path[:300]
            )
        current = {name: getattr(roadmap, name) for name in TRACKED_FIELDS["roadmap"]}
        self.save(roadmap, self.merge(roadmap, spec.roadmap, _clean(current)))
        return roadmap

    def upsert_sections(self, roadmap: Roadmap) -> dict[int, Section]:
        """The roadmap's sections created or merged; the existing ones by id, as they were."""
        self.sections = {s.slug: s for s in Section.objects.filter(roadmap=roadmap)}
        by_id = {s.pk: s for s in self.sections.values()}
        for row_spec in self.spec.sections:
            section = self.sections.get(row_spec.ident)
            if section is None:
                self.sections[row_spec.ident] = self.create(
                    Section, row_spec, roadmap=roadmap, slug=row_spec.ident
                )
                continue
            current = {name: getattr(section, name) for name in TRACKED_FIELDS["section"]}
            self.save(section, self.merge(section, row_spec, _clean(current)))
        return by_id

    def upsert_items(self, roadmap: Roadmap, sections_by_id: dict[int, Section]) -> None:
        self.items = {i.slug: i for i in Item.objects.filter(roadmap=roadmap)}
        for from_id, slug in Item.prerequisites.through.objects.filter(
            from_item__roadmap=roadmap
        ).values_list("from_item_id", "to_item__slug"):
            self.needs.setdefault(from_id, []).append(slug)
        for row_spec in self.spec.items:
            item = self.items.get(row_spec.ident)
            if item is None:
                item = self.items[row_spec.ident] = self.create(
                    Item, row_spec, roadmap=roadmap, slug=row_spec.ident
                )
                if row_spec.values["prerequisites"]:
                    self.prerequisites_to_write.append((item, row_spec.values["prerequisites"]))
                continue
            current = {
                name: getattr(item, name)
                for name in TRACKED_FIELDS["item"]
                if name not in ("section", "prerequisites")
            }
            section = sections_by_id.get(item.section_id)
            current["section"] = section.slug if section else f"#{item.section_id}"
            current["prerequisites"] = sorted(self.needs.get(item.pk, []))
            self.save(item, self.merge(item, row_spec, _clean(current)))

    def upsert_resources(self, roadmap: Roadmap, sections_by_id: dict[int, Section]) -> None:
        resources = {r.key: r for r in Resource.objects.filter(roadmap=roadmap)}
        items_by_id = {i.pk: i for i in self.items.values()}
        for row_spec in self.spec.resources:
            resource = resources.get(row_spec.ident)
            if resource is None:
                resources[row_spec.ident] = self.create(
                    Resource, row_spec, roadmap=roadmap, key=row_spec.ident
                )
                continue
            current = {
                name: getattr(resource, name)
                for name in TRACKED_FIELDS["resource"]
                if name != "owner"
            }
            # An owner outside this roadmap (an admin's doing) never equals a YAML owner.
            if resource.item_id is not None:
                owner = items_by_id.get(resource.item_id)
                current["owner"] = f"item:{owner.slug if owner else resource.item_id}"
            else:
                owner = sections_by_id.get(resource.section_id)
                current["owner"] = f"section:{owner.slug if owner else resource.section_id}"
            self.save(resource, self.merge(resource, row_spec, _clean(current)))
        self.archive_missing("resource", resources, {s.ident for s in self.spec.resources})

    def write_prerequisites(self) -> None:
        through = Item.prerequisites.through
        for item, slugs in self.prerequisites_to_write:
            wanted = {self.items[slug].pk for slug in slugs}
            through.objects.filter(from_item=item).exclude(to_item__in=wanted).delete()
            existing = set(
                through.objects.filter(from_item=item).values_list("to_item_id", flat=True)
            )
            through.objects.bulk_create(
                [through(from_item=item, to_item_id=pk) for pk in sorted(wanted - existing)]
            )


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Database values as the importer would have written them, for comparison."""
    return {
        name: clean_text(value) if name in _TEXT_FIELDS and isinstance(value, str) else value
        for name, value in values.items()
    }
