"""The last pass over the sections: default efforts, schema key order, and an explicit key
for a resource whose default key another resource already has."""

from typing import Any

from tracker.content_io.schema import DEFAULT_ITEM_KIND, KEY_MAX, SECTION_KEYS, default_resource_key
from tracker.markdown_convert.document import Document
from tracker.markdown_convert.effort import default_effort

# Optional item keys in the order they are written (the effort and resources follow).
# badge_url comes before skills, unlike the schema's ITEM_KEYS: the reviewed content files
# were converted this way, and re-converting must not reorder them.
_ITEM_KEYS = ("title", "level", "group", "description", "note", "optional", "badge_url", "skills")


def finish_sections(doc: Document, sections: list[dict]) -> None:
    for section in sections:
        default_kind = DEFAULT_ITEM_KIND.get(section["kind"])
        if "items" in section:
            section["items"] = [
                finish_item(doc, item, section, default_kind) for item in section["items"]
            ]
            # A level keeps its (empty) item list; other sections drop theirs.
            if not section["items"] and section["kind"] != "level":
                del section["items"]
        if section["kind"] != "level":
            section.pop("level", None)
        dedupe_keys(section)
        rebuilt = {
            k: section[k] for k in SECTION_KEYS if k in section and section[k] not in ("", [])
        }
        if section["kind"] == "level" and "items" not in rebuilt:
            rebuilt["items"] = []
        section.clear()
        section.update(rebuilt)


def finish_item(doc: Document, item: dict, section: dict, default_kind: str | None) -> dict:
    """The item in key order, with a default effort, and its kind only where not the default."""
    line = item.pop("_line")
    kind = item["kind"]
    if not item["title"]:
        doc.warn(line, "an item without a title")
    hours, note = default_effort(kind, item.get("level") or section.get("level"))
    ordered: dict[str, Any] = {"slug": item["slug"]}
    if item.get("topic"):
        ordered["topic"] = item["topic"]
    if kind != default_kind:
        ordered["kind"] = kind
    ordered.update((key, item[key]) for key in _ITEM_KEYS if key in item)
    ordered["effort_hours"] = hours
    ordered["effort_note"] = note
    if item.get("resources"):
        ordered["resources"] = item["resources"]
    return ordered


def dedupe_keys(section: dict) -> None:
    """Give an explicit `key` to a resource whose default key another one already has."""
    owners = [(f"section:{section['slug']}", section.get("resources", []))]
    owners += [(f"item:{i['slug']}", i.get("resources", [])) for i in section.get("items", [])]
    seen: set[str] = set()
    for owner, resources in owners:
        for resource in resources:
            group, url = resource.get("group", ""), resource.get("url", "")
            base = default_resource_key(owner, group, url, resource["title"])
            key, n = base, 1
            while key in seen:
                n += 1
                # Room for the "#n" suffix within the schema's key length.
                key = f"{base[: KEY_MAX - 10]}#{n}"
            if key != base:
                resource["key"] = key
            seen.add(key)
