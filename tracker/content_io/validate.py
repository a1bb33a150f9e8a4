"""Checking one roadmap's data against the schema and normalising it into specs."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from tracker.content_io.loader import MarkedDict, MarkedList, Problem, read_file
from tracker.content_io.schema import (
    _INT_MAX,
    _MAX_LENGTH,
    _SMALLINT_MAX,
    DEFAULT_ITEM_KIND,
    ITEM_KEYS,
    ITEM_KINDS,
    LEVELS,
    MAX_TEXT_CHARS,
    RESERVED_ITEM_SLUGS,
    RESOURCE_KEYS,
    RESOURCE_KINDS,
    ROADMAP_KEYS,
    SCHEMA_VERSION,
    SECTION_KEYS,
    SECTION_KINDS,
    SLUG_MAX,
    SLUG_RE,
    THEMES,
    TOPICS_FILE,
    default_resource_key,
    source_pointer,
    unstorable,
)

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


# --------------------------------------------------------------------------------------------
# A place in the data


def _lines_of(container: Any, key: Any) -> tuple[int | None, int | None]:
    """(key line, value line) of `key` in a mapping, or (entry line, entry line) in a list."""
    if isinstance(container, MarkedDict):
        return container.key_lines.get(key), container.value_lines.get(key)
    if isinstance(container, MarkedList) and isinstance(key, int):
        line = container.item_lines[key] if key < len(container.item_lines) else None
        return line, line
    return None, None


@dataclass
class Node:
    """One mapping of a roadmap file: its data, what to call it, its place and its line."""

    path: str
    where: str  # e.g. sections[0].items[1]; "" for the roadmap
    line: int | None
    data: dict
    what: str = "the roadmap"
    kind: str = "roadmap"
    problems: list[Problem] = field(default_factory=list, compare=False)

    def place(self, key: Any = None) -> str:
        if key is None:
            return self.where
        return f"{self.where}.{key}" if self.where else str(key)

    def line_of(self, key: Any) -> int | None:
        key_line, value_line = _lines_of(self.data, key)
        return key_line or value_line or self.line

    def get(self, key: str) -> Any:
        """The value of `key`; None when it is missing or empty in YAML (`key:`)."""
        return self.data.get(key)

    def problem(self, message: str, key: Any = None, *, line: int | None = None) -> None:
        """Report `message` about `key` (or the whole mapping), at `line` if given."""
        at = line or (self.line_of(key) if key is not None else self.line)
        self.problems.append(Problem(self.path, at, message, self.place(key)))

    def child(self, key: str, index: int, data: dict, *, what: str, kind: str) -> Node:
        """The node of entry `index` of the list under `key`."""
        lines = _lines_of(self.data[key], index)[0]
        line = getattr(data, "line", None) or lines or self.line_of(key)
        where = f"{self.place(key)}[{index}]"
        return Node(self.path, where, line, data, what, kind, self.problems)


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
        # A hostile file's megabyte-long value need not be echoed back whole.
        return repr(value) if len(value) <= 100 else f"{value[:80]!r}… ({len(value):,} characters)"
    return f"{value!r} ({type(value).__name__})"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --------------------------------------------------------------------------------------------
# Field checks: each takes a node and a key, reports what is wrong, returns the clean value


def _check_keys(node: Node, allowed: Sequence[str], required: Sequence[str]) -> None:
    for key in node.data:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            node.problem(f"unknown key '{key}' in {node.what}{suggestion}", key)
    for key in required:
        if node.get(key) is None:
            node.problem(f"{node.what} is missing required key '{key}'", line=node.line_of(key))


def _text(node: Node, key: str, *, required: bool = False) -> str:
    value = node.get(key)
    if value is None:
        return ""  # a missing required key is reported by _check_keys
    if not isinstance(value, str):
        node.problem(f"'{key}' of {node.what} must be text, not {_describe(value)} (quote it)", key)
        return ""
    value = clean_text(value)
    limit = _MAX_LENGTH.get((node.kind, key), MAX_TEXT_CHARS)
    if required and not value:
        node.problem(f"'{key}' of {node.what} must not be empty", key)
    elif len(value) > limit:
        node.problem(
            f"'{key}' of {node.what} is {len(value):,} characters long; at most {limit:,} fit",
            key,
        )
    elif reason := unstorable(value):
        node.problem(f"'{key}' of {node.what} {reason}", key)
    return value


def _slug(node: Node) -> str:
    value = node.get("slug")
    if value is None:
        return ""
    if not isinstance(value, str) or not SLUG_RE.match(value) or len(value) > SLUG_MAX:
        node.problem(
            f"slug of {node.what} must be lowercase letters and digits joined by single hyphens"
            f" (at most {SLUG_MAX} characters), not {_describe(value)}",
            "slug",
        )
        return ""
    return value


def _topic(node: Node, key: str) -> str:
    value = node.get(key)
    if value is None:
        return ""
    if not isinstance(value, str) or not SLUG_RE.match(value) or len(value) > SLUG_MAX:
        node.problem(
            f"'{key}' of {node.what} must be a topic slug from {TOPICS_FILE}, not"
            f" {_describe(value)}",
            key,
        )
        return ""
    return value


def _choice(node: Node, key: str, choices: Sequence[str]) -> str:
    value = node.get(key)
    if value is None:
        return ""
    if not isinstance(value, str) or value not in choices:
        node.problem(
            f"'{key}' of {node.what} must be one of {', '.join(choices)}, not {_describe(value)}",
            key,
        )
        return ""
    return value


def _integer(node: Node, key: str, *, minimum: int, maximum: int, default: int | None) -> Any:
    value = node.get(key)
    if value is None:
        return default
    if not _is_int(value) or not minimum <= value <= maximum:
        node.problem(
            f"'{key}' of {node.what} must be an integer from {minimum} to {maximum},"
            f" not {_describe(value)}",
            key,
        )
        return default
    return value


def _boolean(node: Node, key: str) -> bool:
    value = node.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        node.problem(f"'{key}' of {node.what} must be true or false, not {_describe(value)}", key)
        return False
    return value


def _url(node: Node, key: str) -> str:
    value = _text(node, key)
    reason = url_problem(value) if value else None
    if reason:
        node.problem(f"'{key}' of {node.what} {reason}: {value!r}", key)
        return ""
    return value


def _list(node: Node, key: str, *, of: str = "a list") -> list:
    value = node.get(key)
    if value is not None and not isinstance(value, list):
        node.problem(f"'{key}' of {node.what} must be {of}, not {_describe(value)}", key)
        return []
    return value or []


def _text_list(node: Node, key: str, *, allow_empty_entries: bool = False) -> list[str]:
    result = []
    value = _list(node, key)
    for index, entry in enumerate(value):
        line = _lines_of(value, index)[0] or node.line_of(key)
        name, place = f"entry {index + 1} of '{key}' of {node.what}", f"{key}[{index}]"
        if not isinstance(entry, str):
            message = f"{name} must be text, not {_describe(entry)} (quote it)"
            node.problem(message, place, line=line)
            continue
        entry = clean_text(entry)
        if not entry and not allow_empty_entries:
            node.problem(f"{name} is empty", place, line=line)
        elif len(entry) > MAX_TEXT_CHARS:
            node.problem(f"{name} is longer than {MAX_TEXT_CHARS:,} characters", place, line=line)
        elif reason := unstorable(entry):
            node.problem(f"{name} {reason}", place, line=line)
        result.append(entry)
    return result


def _children(node: Node, key: str, *, what: Callable[[int], str], kind: str) -> list[Node]:
    """The nodes of a list-of-mappings field; `what(index)` names an entry until it has a slug."""
    result = []
    entries = _list(node, key)
    for index, entry in enumerate(entries):
        if isinstance(entry, dict):
            result.append(node.child(key, index, entry, what=what(index), kind=kind))
            continue
        line = _lines_of(entries, index)[0] or getattr(entry, "line", None)
        node.problem(
            f"entry {index + 1} of '{key}' of {node.what} must be a mapping (key: value),"
            f" not {_describe(entry)}",
            f"{key}[{index}]",
            line=line or node.line_of(key),
        )
    return result


# The plain fields of each kind, table-driven; slugs, kinds, levels and links are the walk's.
_Check = Callable[[Node, str], Any]
_SMALLINT = partial(_integer, minimum=1, maximum=_SMALLINT_MAX, default=None)
ROADMAP_FIELDS: dict[str, _Check] = {
    "title": partial(_text, required=True),
    "summary": _text,
    "intro": _text,
    "tagline": _text,
    "order": partial(_integer, minimum=0, maximum=_INT_MAX, default=0),
}
SECTION_FIELDS: dict[str, _Check] = {
    "title": partial(_text, required=True),
    "body": _text,
    "entries": _text_list,
    "callout": _text,
    "table_headers": partial(_text_list, allow_empty_entries=True),
}
ITEM_FIELDS: dict[str, _Check] = {
    "title": partial(_text, required=True),
    "topic": _topic,
    "group": _text,
    "description": _text,
    "note": _text,
    "optional": _boolean,
    "skills": _text_list,
    "badge_url": _url,
    "effort_hours": _SMALLINT,
    "effort_note": _text,
}
RESOURCE_FIELDS: dict[str, _Check] = {
    "title": partial(_text, required=True),
    "url": _url,
    "group": _text,
    "row": _SMALLINT,
    "note": _text,
}


def _values(node: Node, fields: dict[str, _Check]) -> dict[str, Any]:
    return {key: check(node, key) for key, check in fields.items()}


def _row(node: Node, ident: str, values: dict[str, Any]) -> RowSpec:
    """A spec row, with where each field (and the slug or key) is written."""
    lines = {key: _lines_of(node.data, key)[0] for key in (*values, "slug", "key")}
    return RowSpec(node.kind, ident, values, node.line, lines)


# --------------------------------------------------------------------------------------------
# The roadmap, its sections, items and resources


@dataclass
class _Walk:
    """One roadmap's spec as it is built, with the slugs and keys seen so far."""

    spec: RoadmapSpec
    sections: dict[str, int | None] = field(default_factory=dict)
    items: dict[str, int | None] = field(default_factory=dict)
    resources: dict[str, int | None] = field(default_factory=dict)
    # item slug -> its prerequisite slugs, each with its line
    prerequisites: dict[str, list[tuple[str, int | None]]] = field(default_factory=dict)


def _first(node: Node, seen: dict, ident: str, line: int | None, message: str, key: Any) -> None:
    """Remember where `ident` is first used; report it again at `line` as a duplicate."""
    if ident not in seen:
        seen[ident] = line
    else:
        node.problem(message.format(first=seen[ident]), key, line=line)


def _roadmap(node: Node) -> RoadmapSpec:
    _check_keys(node, ROADMAP_KEYS, ("schema", "slug", "title", "sections"))
    schema = node.get("schema")
    if "schema" in node.data and (not _is_int(schema) or schema != SCHEMA_VERSION):
        node.problem(
            f"unsupported schema version {schema!r}; this importer reads schema {SCHEMA_VERSION}",
            "schema",
        )
    slug = _slug(node)
    values = _values(node, ROADMAP_FIELDS)
    roadmap = _row(node, slug, {**values, "theme": _choice(node, "theme", THEMES)})
    walk = _Walk(RoadmapSpec(node.path, roadmap, [], [], []))
    if node.get("sections") is not None and not node.get("sections"):
        node.problem("the roadmap has no sections", line=node.line_of("sections"))
    sections = _children(node, "sections", what=lambda i: f"section {i + 1}", kind="section")
    for index, section in enumerate(sections):
        _section(walk, section, index)
    _check_prerequisites(node, walk)
    return walk.spec


def _section(walk: _Walk, node: Node, index: int) -> None:
    slug = _slug(node)
    if slug:
        node.what = f"section '{slug}'"
    _check_keys(node, SECTION_KEYS, ("slug", "kind", "title"))
    if slug:
        message = f"duplicate section slug '{slug}' (first at line {{first}})"
        _first(node, walk.sections, slug, node.line_of("slug"), message, "slug")
    kind = _choice(node, "kind", SECTION_KINDS)
    level = _choice(node, "level", LEVELS)
    if kind == "level" and "level" not in node.data:
        node.problem(f"{node.what} has kind 'level' but no 'level' ({', '.join(LEVELS)})")
    values = {"kind": kind, "level": level, **_values(node, SECTION_FIELDS), "order": index}
    walk.spec.sections.append(_row(node, slug, values))
    for resource in _children(node, "resources", what=lambda i: "a resource", kind="resource"):
        _resource(walk, resource, f"section:{slug}", node.what, level)
    for item in _children(node, "items", what=lambda i: "an item", kind="item"):
        _item(walk, item, slug, kind, level)


def _item(walk: _Walk, node: Node, section: str, section_kind: str, section_level: str) -> None:
    slug = _slug(node)
    if slug:
        node.what = f"item '{slug}'"
    _check_keys(node, ITEM_KEYS, ("slug", "title", "effort_hours"))
    if slug in RESERVED_ITEM_SLUGS:
        node.problem(
            f"item slug '{slug}' is reserved for a page of the roadmap; choose another", "slug"
        )
    elif slug:
        message = f"duplicate item slug '{slug}' (first at line {{first}})"
        _first(node, walk.items, slug, node.line_of("slug"), message, "slug")
    kind = _choice(node, "kind", ITEM_KINDS)
    if "kind" not in node.data and section_kind:
        kind = DEFAULT_ITEM_KIND.get(section_kind, "")
        if not kind:
            node.problem(
                f"{node.what} needs a 'kind' ({', '.join(ITEM_KINDS)}): items of a"
                f" '{section_kind}' section have no default kind"
            )
    level = _choice(node, "level", LEVELS) or section_level
    needs = _prerequisite_slugs(node)
    if slug and slug not in walk.prerequisites:
        walk.prerequisites[slug] = needs
    values = {"section": section, "kind": kind, "level": level, **_values(node, ITEM_FIELDS)}
    values |= {"order": len(walk.spec.items), "prerequisites": sorted(s for s, _ in needs)}
    walk.spec.items.append(_row(node, slug, values))
    for resource in _children(node, "resources", what=lambda i: "a resource", kind="resource"):
        _resource(walk, resource, f"item:{slug}", node.what, level)


def _prerequisite_slugs(node: Node) -> list[tuple[str, int | None]]:
    raw = _list(node, "prerequisites", of="a list of item slugs")
    slugs: list[tuple[str, int | None]] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        line = _lines_of(raw, index)[0] or node.line_of("prerequisites")
        place = f"prerequisites[{index}]"
        if not isinstance(entry, str) or not SLUG_RE.match(entry):
            message = f"prerequisite {index + 1} of {node.what} must be an item slug"
            node.problem(f"{message}, not {_describe(entry)}", place, line=line)
        elif entry in seen:
            node.problem(f"{node.what} lists prerequisite '{entry}' twice", place, line=line)
        else:
            seen.add(entry)
            slugs.append((entry, line))
    return slugs


def _resource(walk: _Walk, node: Node, owner: str, owner_what: str, owner_level: str) -> None:
    title = node.get("title")
    number = len(walk.spec.resources) + 1
    label = f"'{clean_text(title)}'" if isinstance(title, str) else str(number)
    node.what = f"resource {label} of {owner_what}"
    _check_keys(node, RESOURCE_KEYS, ("title", "kind"))
    values = {
        "owner": owner,
        **_values(node, RESOURCE_FIELDS),
        "kind": _choice(node, "kind", RESOURCE_KINDS),
        "level": _choice(node, "level", LEVELS) or owner_level,
        "order": len(walk.spec.resources),
    }
    if source_pointer(values["title"], values["url"]):
        where = "url" if source_pointer("", values["url"]) else "title"
        node.problem(
            f"{node.what} points into the roadmap document's own repository (README.md#…),"
            " not at something to learn from: link the resources it stands for, or drop it"
            " and say so in the file's header",
            where,
        )
    key = _text(node, "key")
    line = node.line_of("key") if key else node.line
    if isinstance(node.get("key"), str) and not key:
        node.problem(f"'key' of {node.what} must not be empty", "key", line=line)
    if not key:
        key = default_resource_key(owner, values["group"], values["url"], values["title"])
    message = (
        f"duplicate resource key '{key}' (first at line {{first}});"
        " give one of them an explicit 'key'"
    )
    _first(node, walk.resources, key, line, message, None)
    walk.spec.resources.append(_row(node, key, values))


def _check_prerequisites(node: Node, walk: _Walk) -> None:
    for slug, needs in walk.prerequisites.items():
        for need, line in needs:
            if need not in walk.items:
                message = f"item '{slug}' lists unknown prerequisite '{need}'"
                node.problems.append(Problem(node.path, line, message, f"item '{slug}'"))
    graph = {
        slug: [need for need, _ in needs if need in walk.items]
        for slug, needs in walk.prerequisites.items()
    }
    for cycle in _cycles(graph):
        last, first = cycle[-2], cycle[-1]
        line = dict(walk.prerequisites[last]).get(first) or walk.items.get(last)
        message = "prerequisite cycle: " + " → ".join(cycle)
        node.problems.append(Problem(node.path, line, message, f"item '{last}'"))


def _cycles(graph: dict[str, list[str]], most: int = 20) -> list[list[str]]:
    """Cycles of `graph` as [a, b, ..., a], each once and `most` at the most.

    An iterative depth-first search; the limit keeps a hostile file's thousands of cycles from
    costing quadratic time.
    """
    found: list[list[str]] = []
    reported: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in graph:
        if state.get(start):
            continue
        stack = [(start, iter(graph[start]))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif state.get(child) == 1:
                cycle = [*path[path.index(child) :], child]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    found.append(cycle)
                    if len(found) >= most:
                        return found
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(graph.get(child, []))))
    return found


# --------------------------------------------------------------------------------------------
# The public entry points


def build_spec(data: Any, *, path: str = "<string>") -> tuple[RoadmapSpec | None, list[Problem]]:
    """Validate `data` (parsed YAML or plain dicts) and normalise it for the importer."""
    if not isinstance(data, dict):
        message = f"the top level must be a mapping, not {_describe(data)}"
        return None, [Problem(path, getattr(data, "line", None), message)]
    node = Node(path, "", getattr(data, "line", None), data)
    spec = _roadmap(node)
    problems = sorted(node.problems, key=lambda p: p.line or 0)
    return (spec if not problems else None), problems


def validate_data(data: Any, *, path: str = "<string>") -> list[Problem]:
    """Every problem in one roadmap's data, in line order; empty when it would import.

    Works on `load_yaml` output (exact lines) and on plain dicts and lists, such as a
    converter's output (then a problem's `where` names its place, and `line` is None).
    """
    return build_spec(data, path=path)[1]


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
    by_directory: dict[Path, list[RoadmapSpec]] = {}
    paths = [Path(path) for path in paths if Path(path).name != TOPICS_FILE]
    for path in paths:
        display = _display(Path(path), base)
        data, file_problems = read_file(path, display=display)
        spec = None
        if not file_problems:
            spec, file_problems = build_spec(data, path=display)
        problems.extend(file_problems)
        if spec is None:
            continue
        slug, line = spec.roadmap.ident, spec.roadmap.line_of("slug")
        if slug in seen:
            first_path, first_line = seen[slug]
            message = f"duplicate roadmap slug '{slug}' (also in {first_path}:{first_line})"
            problems.append(Problem(display, line, message))
            continue
        seen[slug] = (display, line)
        specs.append(spec)
        by_directory.setdefault(path.resolve().parent, []).append(spec)
    problems += _topic_problems(by_directory, paths, base)
    return specs, problems


def _topic_problems(
    by_directory: dict[Path, list[RoadmapSpec]], paths: Sequence[Path], base: Path | None
) -> list[Problem]:
    """Each directory's `topic:` keys against its topics.yaml (see content_io/topics.py)."""
    # topics.py builds on this module's checks, so it is imported here, not at the top.
    from tracker.content_io.topics import check_topics, load_topics

    problems: list[Problem] = []
    loaded = {path.resolve() for path in paths}
    for directory, specs in by_directory.items():
        topics_path = directory / TOPICS_FILE
        if not topics_path.exists():
            # A roadmap alone elsewhere (an export, say) shares the project's topics.
            topics_path = Path(settings.CONTENT_DIR) / TOPICS_FILE
        display = _display(topics_path, base)
        topics, file_problems = load_topics(topics_path, display=display)
        problems += file_problems
        siblings = {p.resolve() for p in directory.glob("*.yaml") if p.name != TOPICS_FILE}
        complete = topics_path.parent.resolve() == directory and siblings <= loaded
        complete = complete and not file_problems
        problems += check_topics(specs, topics, complete=complete, path=display)
    return problems


def _display(path: Path, base: Path | None) -> str:
    if base is not None:
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            pass
    return str(path)
