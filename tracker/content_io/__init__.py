"""Roadmap YAML <-> plain data: parse with line numbers, validate, normalise, export.

The schema is content/README.md. This module knows YAML and the schema, not the database
writes: `tracker.services.content.import_roadmaps` takes the `RoadmapSpec`s built here, and
`export_roadmap` only reads.

Public interface (also used by the markdown → YAML converter):

- `validate_file(path) -> (data, problems)`: parse and validate one file;
- `validate_data(data, *, path="<string>") -> problems`: validate already-parsed data (lines
  are known only for data that came from `load_yaml`; otherwise a problem names its place as
  `sections[2].items[0].title`);
- `load_roadmaps(paths) -> (specs, problems)`: everything the importer needs, with the
  cross-file checks (roadmap slugs unique across files);
- `export_roadmap(roadmap) -> str` and `dump_yaml(data) -> str`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from tracker.content_io.schema import (  # noqa: F401 - re-exported
    _INT_MAX,
    _MAX_LENGTH,
    _SMALLINT_MAX,
    DEFAULT_ITEM_KIND,
    ITEM_KEYS,
    ITEM_KINDS,
    KEY_MAX,
    LEVELS,
    RESERVED_ITEM_SLUGS,
    RESOURCE_KEYS,
    RESOURCE_KINDS,
    ROADMAP_KEYS,
    SCHEMA_VERSION,
    SECTION_KEYS,
    SECTION_KINDS,
    SLUG_MAX,
    SLUG_RE,
    TRACKED_FIELDS,
    default_resource_key,
)

# --------------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file. `str()` gives `path:line: message`."""

    path: str
    line: int | None
    message: str
    where: str = ""

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.path}:{self.line}: {self.message}"
        # Without a line (data that never was YAML), the place in the data stands in for it.
        where = f" {self.where}:" if self.where else ""
        return f"{self.path}:{where} {self.message}"


# --------------------------------------------------------------------------------------------
# Loading YAML with line numbers


class MarkedDict(dict):
    """A mapping from YAML that remembers where it, its keys and its values start (1-based)."""

    line: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines: dict[Any, int] = {}
        self.value_lines: dict[Any, int] = {}


class MarkedList(list):
    """A sequence from YAML that remembers where it and each of its entries start."""

    line: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item_lines: list[int] = []


def _mark_line(mark: Any) -> int | None:
    return mark.line + 1 if mark is not None else None


def load_yaml(text: str, *, path: str = "<string>") -> tuple[Any, list[Problem]]:
    """Parse one YAML document into MarkedDict/MarkedList/scalars, reporting syntax errors.

    PyYAML's own loader keeps the last of two equal keys silently; here that is a problem.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        context = error.context
        if context and error.context_mark and _mark_line(error.context_mark) != _mark_line(mark):
            # "while parsing a flow sequence" is more useful with where that sequence began.
            context += f" (from line {_mark_line(error.context_mark)})"
        message = " ".join(part for part in (context, error.problem) if part) or "invalid YAML"
        return None, [Problem(path, _mark_line(mark), f"YAML syntax error: {message}")]
    except yaml.YAMLError as error:  # pragma: no cover - every PyYAML parse error is marked
        return None, [Problem(path, None, f"YAML syntax error: {error}")]
    if root is None:
        return None, [Problem(path, 1, "the file is empty")]
    problems: list[Problem] = []
    scalars = yaml.SafeLoader("")
    data = _construct(root, scalars, problems, path, active=set())
    return data, problems


def _construct(
    node: yaml.Node, scalars: yaml.SafeLoader, problems: list[Problem], path: str, active: set
) -> Any:
    line = _mark_line(node.start_mark)
    if id(node) in active:
        problems.append(Problem(path, line, "recursive YAML alias"))
        return None
    if isinstance(node, yaml.MappingNode):
        active.add(id(node))
        mapping = MarkedDict()
        mapping.line = line
        for key_node, value_node in node.value:
            key = _construct(key_node, scalars, problems, path, active)
            key_line = _mark_line(key_node.start_mark)
            if isinstance(key, (dict, list)) or key is None:
                problems.append(Problem(path, key_line, "a key must be plain text"))
                continue
            if key in mapping:
                problems.append(
                    Problem(
                        path,
                        key_line,
                        f"duplicate key '{key}' (first at line {mapping.key_lines[key]})",
                    )
                )
                continue
            mapping[key] = _construct(value_node, scalars, problems, path, active)
            mapping.key_lines[key] = key_line
            mapping.value_lines[key] = _mark_line(value_node.start_mark)
        active.discard(id(node))
        return mapping
    if isinstance(node, yaml.SequenceNode):
        active.add(id(node))
        sequence = MarkedList()
        sequence.line = line
        for child in node.value:
            sequence.append(_construct(child, scalars, problems, path, active))
            sequence.item_lines.append(_mark_line(child.start_mark))
        active.discard(id(node))
        return sequence
    try:
        return scalars.construct_object(node, deep=True)
    except yaml.YAMLError as error:
        problems.append(Problem(path, line, f"cannot read value: {error}"))
        return None


# --------------------------------------------------------------------------------------------
# Normalised specs (what the importer writes)


@dataclass
class RowSpec:
    """One row as the YAML wants it: normalised values with defaults applied, plus lines."""

    kind: str  # roadmap, section, item, resource
    ident: str  # slug, or key for resources
    values: dict[str, Any]
    line: int | None = None
    field_lines: dict[str, int | None] = field(default_factory=dict)

    def line_of(self, name: str) -> int | None:
        return self.field_lines.get(name) or self.line


@dataclass
class RoadmapSpec:
    """One roadmap file, validated and normalised."""

    path: str
    roadmap: RowSpec
    sections: list[RowSpec]
    items: list[RowSpec]
    resources: list[RowSpec]


# --------------------------------------------------------------------------------------------
# Validation


def _lines_of(container: Any, key: Any) -> tuple[int | None, int | None]:
    """(key line, value line) of `key` in a mapping, or (entry line, entry line) in a list."""
    if isinstance(container, MarkedDict):
        return container.key_lines.get(key), container.value_lines.get(key)
    if (
        isinstance(container, MarkedList)
        and isinstance(key, int)
        and 0 <= key < len(container.item_lines)
    ):
        return container.item_lines[key], container.item_lines[key]
    return None, None


def _own_line(value: Any) -> int | None:
    return getattr(value, "line", None)


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def clean_text(value: str) -> str:
    """How text is stored and compared: CRLF from browser textareas made LF, ends stripped.

    Django's admin strips form input, and YAML block scalars end with a newline; comparing
    cleaned text keeps either from looking like an edit.
    """
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


_url_validator = URLValidator(schemes=["http", "https"])


def url_problem(value: str) -> str | None:
    """Why `value` is not an acceptable http(s) URL, or None."""
    if not value.startswith(("http://", "https://")):
        return "must be an http:// or https:// URL"
    try:
        _url_validator(value)
    except ValidationError:
        return "is not a valid URL (it needs a host, and no spaces)"
    return None


class _Validator:
    """Walks one roadmap's data, collecting problems and building its spec."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    # -- reporting -------------------------------------------------------------------------

    def report(self, line: int | None, message: str, where: str = "") -> None:
        self.problems.append(Problem(self.path, line, message, where))

    # -- generic field checks ----------------------------------------------------------------

    def check_keys(
        self,
        mapping: dict,
        allowed: Sequence[str],
        required: Sequence[str],
        what: str,
        where: str,
        line: int | None,
    ) -> None:
        for key in mapping:
            if key not in allowed:
                key_line, _ = _lines_of(mapping, key)
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.report(
                    key_line or line,
                    f"unknown key '{key}' in {what}{suggestion}",
                    f"{where}.{key}" if where else str(key),
                )
        for key in required:
            if key not in mapping or mapping[key] is None:
                key_line, _ = _lines_of(mapping, key)
                self.report(
                    key_line or line,
                    f"{what} is missing required key '{key}'",
                    where,
                )

    def field_lines(self, mapping: dict, values: dict) -> dict[str, int | None]:
        """Where each field (and the slug or key) is written, for conflict messages."""
        return {k: self.value_line(mapping, k, None) for k in (*values, "slug", "key")}

    def value_line(self, mapping: dict, key: str, fallback: int | None) -> int | None:
        key_line, value_line = _lines_of(mapping, key)
        return key_line or value_line or fallback

    def text(
        self,
        mapping: dict,
        key: str,
        what: str,
        where: str,
        line: int | None,
        *,
        kind: str,
        required: bool = False,
        default: str = "",
    ) -> str:
        if key not in mapping or mapping[key] is None:
            return default  # a missing required key is reported by check_keys
        value = mapping[key]
        at = self.value_line(mapping, key, line)
        if not _is_text(value):
            self.report(
                at,
                f"'{key}' of {what} must be text, not {_describe(value)} (quote it)",
                f"{where}.{key}",
            )
            return default
        value = clean_text(value)
        if required and not value:
            self.report(at, f"'{key}' of {what} must not be empty", f"{where}.{key}")
        limit = _MAX_LENGTH.get((kind, key))
        if limit and len(value) > limit:
            self.report(
                at,
                f"'{key}' of {what} is {len(value)} characters long; at most {limit} fit",
                f"{where}.{key}",
            )
        return value

    def slug(self, mapping: dict, what: str, where: str, line: int | None) -> str:
        if "slug" not in mapping or mapping["slug"] is None:
            return ""
        value = mapping["slug"]
        at = self.value_line(mapping, "slug", line)
        if not _is_text(value) or not SLUG_RE.match(value) or len(value) > SLUG_MAX:
            self.report(
                at,
                f"slug of {what} must be lowercase letters and digits joined by single hyphens"
                f" (at most {SLUG_MAX} characters), not {_describe(value)}",
                f"{where}.slug",
            )
            return ""
        return value

    def choice(
        self,
        mapping: dict,
        key: str,
        choices: Sequence[str],
        what: str,
        where: str,
        line: int | None,
    ) -> str:
        if key not in mapping or mapping[key] is None:
            return ""
        value = mapping[key]
        if value not in choices or not _is_text(value):
            self.report(
                self.value_line(mapping, key, line),
                f"'{key}' of {what} must be one of {', '.join(choices)}, not {_describe(value)}",
                f"{where}.{key}",
            )
            return ""
        return value

    def integer(
        self,
        mapping: dict,
        key: str,
        what: str,
        where: str,
        line: int | None,
        *,
        minimum: int,
        maximum: int,
        default: int | None,
    ) -> int | None:
        if key not in mapping or mapping[key] is None:
            return default
        value = mapping[key]
        if not _is_int(value) or not minimum <= value <= maximum:
            self.report(
                self.value_line(mapping, key, line),
                f"'{key}' of {what} must be an integer from {minimum} to {maximum},"
                f" not {_describe(value)}",
                f"{where}.{key}",
            )
            return default
        return value

    def boolean(self, mapping: dict, key: str, what: str, where: str, line: int | None) -> bool:
        if key not in mapping or mapping[key] is None:
            return False
        value = mapping[key]
        if not isinstance(value, bool):
            self.report(
                self.value_line(mapping, key, line),
                f"'{key}' of {what} must be true or false, not {_describe(value)}",
                f"{where}.{key}",
            )
            return False
        return value

    def url(
        self, mapping: dict, key: str, what: str, where: str, line: int | None, *, kind: str
    ) -> str:
        value = self.text(mapping, key, what, where, line, kind=kind)
        if value:
            reason = url_problem(value)
            if reason:
                self.report(
                    self.value_line(mapping, key, line),
                    f"'{key}' of {what} {reason}: {value!r}",
                    f"{where}.{key}",
                )
                return ""
        return value

    def text_list(
        self,
        mapping: dict,
        key: str,
        what: str,
        where: str,
        line: int | None,
        *,
        allow_empty_entries: bool = False,
    ) -> list[str]:
        if key not in mapping or mapping[key] is None:
            return []
        value = mapping[key]
        at = self.value_line(mapping, key, line)
        if not isinstance(value, list):
            self.report(
                at, f"'{key}' of {what} must be a list, not {_describe(value)}", f"{where}.{key}"
            )
            return []
        result = []
        for index, entry in enumerate(value):
            entry_line = _lines_of(value, index)[0] or at
            if not _is_text(entry):
                self.report(
                    entry_line,
                    f"entry {index + 1} of '{key}' of {what} must be text,"
                    f" not {_describe(entry)} (quote it)",
                    f"{where}.{key}[{index}]",
                )
                continue
            entry = clean_text(entry)
            if not entry and not allow_empty_entries:
                self.report(
                    entry_line,
                    f"entry {index + 1} of '{key}' of {what} is empty",
                    f"{where}.{key}[{index}]",
                )
            result.append(entry)
        return result

    def mapping_list(
        self, mapping: dict, key: str, what: str, where: str, line: int | None
    ) -> list[tuple[dict, int | None, str]]:
        """The mappings of a list-of-mappings field, each with its line and place."""
        if key not in mapping or mapping[key] is None:
            return []
        value = mapping[key]
        at = self.value_line(mapping, key, line)
        if not isinstance(value, list):
            self.report(
                at, f"'{key}' of {what} must be a list, not {_describe(value)}", f"{where}.{key}"
            )
            return []
        result = []
        for index, entry in enumerate(value):
            entry_line = _lines_of(value, index)[0] or _own_line(entry) or at
            entry_where = f"{where}.{key}[{index}]" if where else f"{key}[{index}]"
            if not isinstance(entry, dict):
                self.report(
                    entry_line,
                    f"entry {index + 1} of '{key}' of {what} must be a mapping (key: value),"
                    f" not {_describe(entry)}",
                    entry_where,
                )
                continue
            result.append((entry, _own_line(entry) or entry_line, entry_where))
        return result

    # -- the schema ---------------------------------------------------------------------------

    def roadmap(self, data: Any) -> RoadmapSpec | None:
        if not isinstance(data, dict):
            self.report(_own_line(data), f"the top level must be a mapping, not {_describe(data)}")
            return None
        line = _own_line(data)
        what = "the roadmap"
        self.check_keys(data, ROADMAP_KEYS, ("schema", "slug", "title", "sections"), what, "", line)
        schema = data.get("schema")
        if "schema" in data and (not _is_int(schema) or schema != SCHEMA_VERSION):
            self.report(
                self.value_line(data, "schema", line),
                f"unsupported schema version {schema!r}; this importer reads schema"
                f" {SCHEMA_VERSION}",
                "schema",
            )
        slug = self.slug(data, what, "", line)
        values = {
            "title": self.text(data, "title", what, "", line, kind="roadmap", required=True),
            "summary": self.text(data, "summary", what, "", line, kind="roadmap"),
            "intro": self.text(data, "intro", what, "", line, kind="roadmap"),
            "tagline": self.text(data, "tagline", what, "", line, kind="roadmap"),
            "order": self.integer(
                data, "order", what, "", line, minimum=0, maximum=_INT_MAX, default=0
            ),
        }
        roadmap = RowSpec("roadmap", slug, values, line, self.field_lines(data, values))
        spec = RoadmapSpec(self.path, roadmap, [], [], [])

        if "sections" in data and data["sections"] is not None and not data["sections"]:
            self.report(self.value_line(data, "sections", line), "the roadmap has no sections")
        section_lines: dict[str, int | None] = {}
        item_lines: dict[str, int | None] = {}
        resource_lines: dict[str, int | None] = {}
        # item slug -> (prerequisite slugs with their lines)
        prerequisites: dict[str, list[tuple[str, int | None]]] = {}
        for section_index, (section, section_line, section_where) in enumerate(
            self.mapping_list(data, "sections", what, "", line)
        ):
            self.section(
                spec,
                section,
                section_index,
                section_line,
                section_where,
                section_lines,
                item_lines,
                resource_lines,
                prerequisites,
            )
        self.check_prerequisites(spec, item_lines, prerequisites)
        return spec

    def section(
        self,
        spec: RoadmapSpec,
        data: dict,
        index: int,
        line: int | None,
        where: str,
        section_lines: dict,
        item_lines: dict,
        resource_lines: dict,
        prerequisites: dict,
    ) -> None:
        slug = self.slug(data, f"section {index + 1}", where, line)
        what = f"section '{slug}'" if slug else f"section {index + 1}"
        self.check_keys(data, SECTION_KEYS, ("slug", "kind", "title"), what, where, line)
        if slug:
            if slug in section_lines:
                self.report(
                    self.value_line(data, "slug", line),
                    f"duplicate section slug '{slug}' (first at line {section_lines[slug]})",
                    f"{where}.slug",
                )
            else:
                section_lines[slug] = self.value_line(data, "slug", line)
        kind = self.choice(data, "kind", SECTION_KINDS, what, where, line)
        level = self.choice(data, "level", LEVELS, what, where, line)
        if kind == "level" and "level" not in data:
            self.report(
                line, f"{what} has kind 'level' but no 'level' ({', '.join(LEVELS)})", where
            )
        values = {
            "kind": kind,
            "title": self.text(data, "title", what, where, line, kind="section", required=True),
            "level": level,
            "body": self.text(data, "body", what, where, line, kind="section"),
            "entries": self.text_list(data, "entries", what, where, line),
            "callout": self.text(data, "callout", what, where, line, kind="section"),
            "table_headers": self.text_list(
                data, "table_headers", what, where, line, allow_empty_entries=True
            ),
            "order": index,
        }
        spec.sections.append(RowSpec("section", slug, values, line, self.field_lines(data, values)))
        owner = f"section:{slug}"
        for resource, resource_line, resource_where in self.mapping_list(
            data, "resources", what, where, line
        ):
            self.resource(
                spec, resource, resource_line, resource_where, owner, what, level, resource_lines
            )
        for item, item_line, item_where in self.mapping_list(data, "items", what, where, line):
            self.item(
                spec,
                item,
                item_line,
                item_where,
                slug,
                kind,
                level,
                item_lines,
                resource_lines,
                prerequisites,
            )

    def item(
        self,
        spec: RoadmapSpec,
        data: dict,
        line: int | None,
        where: str,
        section_slug: str,
        section_kind: str,
        section_level: str,
        item_lines: dict,
        resource_lines: dict,
        prerequisites: dict,
    ) -> None:
        slug = self.slug(data, "an item", where, line)
        what = f"item '{slug}'" if slug else "an item"
        self.check_keys(data, ITEM_KEYS, ("slug", "title", "effort_hours"), what, where, line)
        if slug in RESERVED_ITEM_SLUGS:
            self.report(
                self.value_line(data, "slug", line),
                f"item slug '{slug}' is reserved for a page of the roadmap; choose another",
                f"{where}.slug",
            )
        elif slug:
            if slug in item_lines:
                self.report(
                    self.value_line(data, "slug", line),
                    f"duplicate item slug '{slug}' (first at line {item_lines[slug]})",
                    f"{where}.slug",
                )
            else:
                item_lines[slug] = self.value_line(data, "slug", line)
        kind = self.choice(data, "kind", ITEM_KINDS, what, where, line)
        if "kind" not in data and section_kind:
            kind = DEFAULT_ITEM_KIND.get(section_kind, "")
            if not kind:
                self.report(
                    line,
                    f"{what} needs a 'kind' ({', '.join(ITEM_KINDS)}): items of a"
                    f" '{section_kind}' section have no default kind",
                    where,
                )
        level = self.choice(data, "level", LEVELS, what, where, line) or section_level
        slugs: list[tuple[str, int | None]] = []
        if "prerequisites" in data and data["prerequisites"] is not None:
            raw = data["prerequisites"]
            at = self.value_line(data, "prerequisites", line)
            if not isinstance(raw, list):
                self.report(
                    at,
                    f"'prerequisites' of {what} must be a list of item slugs, not {_describe(raw)}",
                    f"{where}.prerequisites",
                )
            else:
                seen: set[str] = set()
                for index, entry in enumerate(raw):
                    entry_line = _lines_of(raw, index)[0] or at
                    if not _is_text(entry) or not SLUG_RE.match(entry):
                        self.report(
                            entry_line,
                            f"prerequisite {index + 1} of {what} must be an item slug,"
                            f" not {_describe(entry)}",
                            f"{where}.prerequisites[{index}]",
                        )
                    elif entry in seen:
                        self.report(
                            entry_line,
                            f"{what} lists prerequisite '{entry}' twice",
                            f"{where}.prerequisites[{index}]",
                        )
                    else:
                        seen.add(entry)
                        slugs.append((entry, entry_line))
        if slug and slug not in prerequisites:
            prerequisites[slug] = slugs
        values = {
            "section": section_slug,
            "kind": kind,
            "title": self.text(data, "title", what, where, line, kind="item", required=True),
            "level": level,
            "group": self.text(data, "group", what, where, line, kind="item"),
            "description": self.text(data, "description", what, where, line, kind="item"),
            "note": self.text(data, "note", what, where, line, kind="item"),
            "optional": self.boolean(data, "optional", what, where, line),
            "skills": self.text_list(data, "skills", what, where, line),
            "badge_url": self.url(data, "badge_url", what, where, line, kind="item"),
            "effort_hours": self.integer(
                data,
                "effort_hours",
                what,
                where,
                line,
                minimum=1,
                maximum=_SMALLINT_MAX,
                default=None,
            ),
            "effort_note": self.text(data, "effort_note", what, where, line, kind="item"),
            "order": len(spec.items),
            "prerequisites": sorted(s for s, _ in slugs),
        }
        spec.items.append(RowSpec("item", slug, values, line, self.field_lines(data, values)))
        for resource, resource_line, resource_where in self.mapping_list(
            data, "resources", what, where, line
        ):
            self.resource(
                spec,
                resource,
                resource_line,
                resource_where,
                f"item:{slug}",
                what,
                level,
                resource_lines,
            )

    def resource(
        self,
        spec: RoadmapSpec,
        data: dict,
        line: int | None,
        where: str,
        owner: str,
        owner_what: str,
        owner_level: str,
        resource_lines: dict,
    ) -> None:
        title = data.get("title")
        label = f"'{clean_text(title)}'" if _is_text(title) else str(len(spec.resources) + 1)
        what = f"resource {label} of {owner_what}"
        self.check_keys(data, RESOURCE_KEYS, ("title", "kind"), what, where, line)
        values = {
            "owner": owner,
            "title": self.text(data, "title", what, where, line, kind="resource", required=True),
            "url": self.url(data, "url", what, where, line, kind="resource"),
            "kind": self.choice(data, "kind", RESOURCE_KINDS, what, where, line),
            "level": self.choice(data, "level", LEVELS, what, where, line) or owner_level,
            "group": self.text(data, "group", what, where, line, kind="resource"),
            "row": self.integer(
                data, "row", what, where, line, minimum=1, maximum=_SMALLINT_MAX, default=None
            ),
            "note": self.text(data, "note", what, where, line, kind="resource"),
            "order": len(spec.resources),
        }
        key = self.text(data, "key", what, where, line, kind="resource")
        key_line = self.value_line(data, "key", line) if key else line
        if "key" in data and not key and data["key"] is not None and _is_text(data["key"]):
            self.report(key_line, f"'key' of {what} must not be empty", f"{where}.key")
        if not key:
            key = default_resource_key(owner, values["group"], values["url"], values["title"])
        if key in resource_lines:
            self.report(
                key_line,
                f"duplicate resource key '{key}' (first at line {resource_lines[key]});"
                " give one of them an explicit 'key'",
                where,
            )
        else:
            resource_lines[key] = key_line
        spec.resources.append(
            RowSpec("resource", key, values, line, self.field_lines(data, values))
        )

    def check_prerequisites(
        self,
        spec: RoadmapSpec,
        item_lines: dict[str, int | None],
        prerequisites: dict[str, list[tuple[str, int | None]]],
    ) -> None:
        for slug, needs in prerequisites.items():
            for need, need_line in needs:
                if need not in item_lines:
                    self.report(
                        need_line,
                        f"item '{slug}' lists unknown prerequisite '{need}'",
                        f"item '{slug}'",
                    )
        # Cycles among the known slugs: depth-first search, reporting each cycle once.
        graph = {
            slug: [need for need, _ in needs if need in item_lines]
            for slug, needs in prerequisites.items()
        }
        state: dict[str, int] = {}  # 1 = on the current path, 2 = done
        reported: set[frozenset[str]] = set()
        for start in graph:
            if state.get(start):
                continue
            stack: list[tuple[str, Iterable[str]]] = [(start, iter(graph[start]))]
            path = [start]
            state[start] = 1
            while stack:
                node, children = stack[-1]
                child = next(iter(children), None)
                if child is None:
                    stack.pop()
                    path.pop()
                    state[node] = 2
                    continue
                if state.get(child) == 1:
                    cycle = [*path[path.index(child) :], child]
                    members = frozenset(cycle)
                    if members not in reported:
                        reported.add(members)
                        line = dict(prerequisites[node]).get(child) or item_lines.get(node)
                        self.report(
                            line,
                            "prerequisite cycle: " + " → ".join(cycle),
                            f"item '{node}'",
                        )
                elif not state.get(child):
                    state[child] = 1
                    path.append(child)
                    stack.append((child, iter(graph.get(child, []))))


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return repr(value)
    return f"{value!r} ({type(value).__name__})"


def build_spec(data: Any, *, path: str = "<string>") -> tuple[RoadmapSpec | None, list[Problem]]:
    """Validate `data` (parsed YAML or plain dicts) and normalise it for the importer."""
    validator = _Validator(path)
    spec = validator.roadmap(data)
    problems = sorted(validator.problems, key=lambda p: p.line or 0)
    return (spec if not problems else None), problems


def validate_data(data: Any, *, path: str = "<string>") -> list[Problem]:
    """Every problem in one roadmap's data, in line order; empty when it would import.

    Works on `load_yaml` output (exact lines) and on plain dicts and lists, such as a
    converter's output (then a problem's `where` names its place, and `line` is None).
    """
    return build_spec(data, path=path)[1]


def read_file(path: Path | str, *, display: str | None = None) -> tuple[Any, list[Problem]]:
    """Parse one YAML file with line numbers (syntax and encoding problems only)."""
    name = display or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        return None, [Problem(name, None, f"not UTF-8 text: {error}")]
    except OSError as error:
        return None, [Problem(name, None, f"cannot read the file: {error.strerror or error}")]
    return load_yaml(text, path=name)


def validate_file(path: Path | str, *, display: str | None = None) -> tuple[Any, list[Problem]]:
    """Parse and validate one file: (data, problems). `data` is None when it does not parse."""
    data, problems = read_file(path, display=display)
    if problems:
        return data, problems
    return data, validate_data(data, path=display or str(path))


def load_roadmaps(
    paths: Sequence[Path | str], *, base: Path | None = None
) -> tuple[list[RoadmapSpec], list[Problem]]:
    """Read, validate and normalise several files; roadmap slugs must be unique across them.

    Paths under `base` are shown relative to it in problems.
    """
    specs: list[RoadmapSpec] = []
    problems: list[Problem] = []
    seen: dict[str, tuple[str, int | None]] = {}
    for path in paths:
        display = _display(Path(path), base)
        data, file_problems = read_file(path, display=display)
        spec = None
        if not file_problems:
            spec, file_problems = build_spec(data, path=display)
        problems.extend(file_problems)
        if file_problems or spec is None:
            continue
        slug = spec.roadmap.ident
        slug_line = spec.roadmap.line_of("slug") or _lines_of(data, "slug")[0]
        if slug in seen:
            first_path, first_line = seen[slug]
            problems.append(
                Problem(
                    display,
                    slug_line,
                    f"duplicate roadmap slug '{slug}' (also in {first_path}:{first_line})",
                )
            )
            continue
        seen[slug] = (display, slug_line)
        specs.append(spec)
    return specs, problems


def _display(path: Path, base: Path | None) -> str:
    if base is not None:
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            pass
    return str(path)


# --------------------------------------------------------------------------------------------
# Export


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
    from tracker.models import Item, Resource, Section

    sections = list(Section.objects.active().filter(roadmap=roadmap).order_by("order", "pk"))
    items = list(
        Item.objects.active()
        .filter(roadmap=roadmap, section__in=sections)
        .order_by("order", "pk")
        .prefetch_related("prerequisites")
    )
    resources = list(Resource.objects.active().filter(roadmap=roadmap).order_by("order", "pk"))
    active_items = {item.pk: item for item in items}
    active_sections = {section.pk: section for section in sections}
    order_of = {item.slug: index for index, item in enumerate(items)}

    data: dict[str, Any] = {"schema": SCHEMA_VERSION, "slug": roadmap.slug, "title": roadmap.title}
    for name in ("summary", "intro", "tagline"):
        if getattr(roadmap, name):
            data[name] = getattr(roadmap, name)
    if roadmap.order:
        data["order"] = roadmap.order

    resources_of: dict[str, list[Resource]] = {}
    for resource in resources:
        if resource.item_id is not None:
            if resource.item_id in active_items:
                resources_of.setdefault(f"item:{active_items[resource.item_id].slug}", []).append(
                    resource
                )
        elif resource.section_id in active_sections:
            owner = f"section:{active_sections[resource.section_id].slug}"
            resources_of.setdefault(owner, []).append(resource)

    items_of: dict[int, list[Item]] = {}
    for item in items:
        items_of.setdefault(item.section_id, []).append(item)

    data["sections"] = []
    for section in sections:
        entry: dict[str, Any] = {"slug": section.slug, "kind": section.kind, "title": section.title}
        if section.level:
            entry["level"] = section.level
        if section.body:
            entry["body"] = section.body
        if section.entries:
            entry["entries"] = list(section.entries)
        if section.callout:
            entry["callout"] = section.callout
        if section.table_headers:
            entry["table_headers"] = _Flow(section.table_headers)
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


def _export_item(item: Any, section: Any, resources_of: dict, order_of: dict) -> dict:
    entry: dict[str, Any] = {"slug": item.slug}
    if item.kind != DEFAULT_ITEM_KIND.get(section.kind):
        entry["kind"] = item.kind
    entry["title"] = item.title
    if item.level != section.level:
        entry["level"] = item.level
    for name in ("group", "description", "note"):
        if getattr(item, name):
            entry[name] = getattr(item, name)
    if item.optional:
        entry["optional"] = True
    if item.skills:
        entry["skills"] = _Flow(item.skills)
    if item.badge_url:
        entry["badge_url"] = item.badge_url
    entry["effort_hours"] = item.effort_hours
    if item.effort_note:
        entry["effort_note"] = item.effort_note
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
