"""Roadmaps as YAML: the database's version written back in the content/README.md schema."""

from __future__ import annotations

from typing import Any

import yaml

from tracker.content_io.schema import DEFAULT_ITEM_KIND, SCHEMA_VERSION, default_resource_key
from tracker.models import Item, Resource, Section


class _Flow(list):
    """A short list written on one line: `prerequisites: [a, b]`."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        # Lists indented under their key, as content/llm.yaml is written by hand.
        return super().increase_indent(flow, False)


_FOLD_AT = 72


# Line breaks to YAML but not to Python's "\n" checks; PyYAML's single-quoted style turns
# NEL into a space, so text holding them is double-quoted, where they are escaped.
_YAML_BREAKS = ("\x85", "\u2028", "\u2029")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if any(mark in value for mark in _YAML_BREAKS):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    # Long prose folds onto lines under its key (`>-`), as the hand-written files do; text
    # whose spacing folding could change stays on one line.
    if (
        len(value) > _FOLD_AT
        and " " in value
        and value == value.strip()
        and "  " not in value
        and "\t" not in value
    ):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=">")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _represent_flow(dumper: yaml.SafeDumper, value: list) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Flow, _represent_flow)


class _QuotedDumper(yaml.SafeDumper):
    """Every string double-quoted: ugly, but every character is escaped or kept exactly."""


_QuotedDumper.add_representer(
    str, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
)


def dump_yaml(data: dict) -> str:
    """Roadmap data as readable YAML: block style, unicode as is, keys in the given order."""
    options = {"sort_keys": False, "allow_unicode": True, "default_flow_style": False}
    text = yaml.dump(data, Dumper=_Dumper, width=100, **options)
    if yaml.safe_load(text) != _plain(data):
        # Belt and braces: if a folding style ever changed a value, give up on looks.
        text = yaml.dump(_plain(data), Dumper=_QuotedDumper, width=float("inf"), **options)
    return text


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def export_data(roadmap: Any) -> dict:
    """The database's version of `roadmap` (active rows, in order) as schema data.

    Defaults are left out (an item's kind and level when they equal its section's, a
    resource's level when it equals its owner's, a key equal to the default key), so the
    importer reads back exactly the values stored.
    """
    sections = list(Section.objects.active().filter(roadmap=roadmap).order_by("order", "pk"))
    items = list(
        Item.objects.active()
        .filter(roadmap=roadmap, section__in=sections)
        .order_by("order", "pk")
        .prefetch_related("prerequisites")
    )
    resources = list(Resource.objects.active().filter(roadmap=roadmap).order_by("order", "pk"))
    resources_of = _resources_by_owner(resources, items, sections)
    order_of = {item.slug: index for index, item in enumerate(items)}
    items_of: dict[int, list[Item]] = {}
    for item in items:
        items_of.setdefault(item.section_id, []).append(item)

    data: dict[str, Any] = {"schema": SCHEMA_VERSION, "slug": roadmap.slug, "title": roadmap.title}
    _copy_set(roadmap, data, ("summary", "intro", "tagline", "theme", "order"))
    data["sections"] = []
    for section in sections:
        entry = {"slug": section.slug, "kind": section.kind, "title": section.title}
        _copy_set(section, entry, ("level", "body", "entries", "callout", "table_headers"))
        owner = f"section:{section.slug}"
        if owner in resources_of:
            entry["resources"] = [
                _export_resource(r, owner, section.level) for r in resources_of[owner]
            ]
        if section.pk in items_of:
            entry["items"] = [
                _export_item(item, section, resources_of, order_of) for item in items_of[section.pk]
            ]
        data["sections"].append(entry)
    return data


def _copy_set(row: Any, entry: dict, names: tuple[str, ...]) -> None:
    """Copy the fields of `row` that are set (not empty, not zero); short lists on one line."""
    for name in names:
        value = getattr(row, name)
        if value:
            entry[name] = _Flow(value) if name in _FLOW_LISTS else value


# Lists of short words, written `[a, b]`; other lists (section entries) one entry a line.
_FLOW_LISTS = {"table_headers", "skills"}


def _resources_by_owner(resources: list, items: list, sections: list) -> dict[str, list]:
    """Active resources by owner (`item:<slug>` or `section:<slug>`); archived owners' left out."""
    item_slugs = {item.pk: item.slug for item in items}
    section_slugs = {section.pk: section.slug for section in sections}
    resources_of: dict[str, list[Resource]] = {}
    for resource in resources:
        if resource.item_id is not None:
            prefix, slug = "item", item_slugs.get(resource.item_id)
        else:
            prefix, slug = "section", section_slugs.get(resource.section_id)
        if slug:
            resources_of.setdefault(f"{prefix}:{slug}", []).append(resource)
    return resources_of


def _export_item(item: Any, section: Any, resources_of: dict, order_of: dict) -> dict:
    entry: dict[str, Any] = {"slug": item.slug}
    _copy_set(item, entry, ("topic",))
    if item.kind != DEFAULT_ITEM_KIND.get(section.kind):
        entry["kind"] = item.kind
    entry["title"] = item.title
    if item.level != section.level:
        entry["level"] = item.level
    _copy_set(item, entry, ("group", "description", "note", "optional", "skills", "badge_url"))
    entry["effort_hours"] = item.effort_hours
    _copy_set(item, entry, ("effort_note",))
    # Archived prerequisites are left out: they are not in the file, so they would not validate.
    needs = sorted(
        (p.slug for p in item.prerequisites.all() if p.slug in order_of), key=order_of.get
    )
    if needs:
        entry["prerequisites"] = _Flow(needs)
    owner = f"item:{item.slug}"
    if owner in resources_of:
        entry["resources"] = [_export_resource(r, owner, item.level) for r in resources_of[owner]]
    return entry


def _export_resource(resource: Any, owner: str, owner_level: str) -> dict:
    entry: dict[str, Any] = {"title": resource.title}
    if resource.url:
        entry["url"] = resource.url
    entry["kind"] = resource.kind
    if resource.level != owner_level:
        entry["level"] = resource.level
    if resource.group:
        entry["group"] = resource.group
    if resource.row is not None:
        entry["row"] = resource.row
    if resource.note:
        entry["note"] = resource.note
    if resource.key != default_resource_key(owner, resource.group, resource.url, resource.title):
        entry["key"] = resource.key
    return entry


def leading_comments(text: str) -> str:
    """The comment block a YAML file starts with (comment and blank lines), or ""."""
    lines = []
    for line in text.splitlines(keepends=True):
        if line.strip() and not line.lstrip().startswith("#"):
            break
        lines.append(line)
    return "".join(lines).rstrip() + "\n" if "".join(lines).strip() else ""


def export_roadmap(roadmap: Any, *, header: str = "") -> str:
    """The database's version of `roadmap` as YAML in the content/README.md schema.

    `header` is a comment block to start with (e.g. the one of the file being replaced, which
    records how it was made); by default a note that the file was exported.
    """
    if not header:
        header = (
            f"# Exported from the database by `manage.py export_roadmap {roadmap.slug}`.\n"
            "# Schema: content/README.md.\n"
        )
    return header + dump_yaml(export_data(roadmap))
