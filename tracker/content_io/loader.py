"""Reading one YAML file into plain data that remembers its line numbers, within limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tracker.content_io.schema import MAX_ALIASES, MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES


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


class _Rejected(Exception):
    """The file breaks a limit; reading stops at once."""


def _mark_line(mark: Any) -> int | None:
    return mark.line + 1 if mark is not None else None


def read_file(path: Path | str, *, display: str | None = None) -> tuple[Any, list[Problem]]:
    """Parse one YAML file with line numbers (syntax, encoding and size problems only)."""
    name = display or str(path)
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        return None, [Problem(name, None, f"cannot read the file: {error.strerror or error}")]
    if len(raw) > MAX_FILE_BYTES:
        message = f"the file is larger than {MAX_FILE_BYTES:,} bytes, the limit for content"
        return None, [Problem(name, None, message)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        bad = raw[error.start : error.end].hex(" ")
        return None, [Problem(name, line, f"not UTF-8 text: byte(s) {bad} ({error.reason})")]
    return load_yaml(text, path=name)


def load_yaml(text: str, *, path: str = "<string>") -> tuple[Any, list[Problem]]:
    """Parse one YAML document into MarkedDict/MarkedList/scalars, reporting syntax errors.

    PyYAML's own loader keeps the last of two equal keys silently; here that is a problem.
    Aliases are shared rather than copied, and depth, nodes and aliases are capped, so a
    hostile file is rejected quickly.
    """
    builder = _Builder(path)
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            builder.feed(event)
    except _Rejected as rejected:
        return None, [rejected.args[0]]
    except yaml.MarkedYAMLError as error:
        return None, [Problem(path, _mark_line(error.problem_mark), _syntax_message(error))]
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        message = f"character U+{error.character:04X} is not allowed in YAML; remove it"
        return None, [Problem(path, line, message)]
    if not builder.documents:
        return None, [Problem(path, 1, "the file is empty")]
    return builder.root, sorted(builder.problems, key=lambda p: p.line or 0)


def _syntax_message(error: yaml.MarkedYAMLError) -> str:
    context = error.context
    line = _mark_line(error.problem_mark)
    if context and error.context_mark and _mark_line(error.context_mark) != line:
        # "while parsing a flow sequence" is more useful with where that sequence began.
        context += f" (from line {_mark_line(error.context_mark)})"
    message = " ".join(part for part in (context, error.problem) if part) or "invalid YAML"
    return f"YAML syntax error: {message}"


@dataclass
class _Open:
    """A mapping or sequence being read, with its anchor and size so far."""

    value: MarkedDict | MarkedList
    anchor: str | None
    size: int = 1
    key: Any = None
    key_line: int | None = None
    expecting_key: bool = True
    skip_value: bool = False


_STANDARD_TAGS = {
    yaml.MappingStartEvent: "tag:yaml.org,2002:map",
    yaml.SequenceStartEvent: "tag:yaml.org,2002:seq",
}


@dataclass
class _Builder:
    """Builds the data from PyYAML's events without recursion (PyYAML's composer recurses)."""

    path: str
    problems: list[Problem] = field(default_factory=list)
    root: Any = None
    documents: int = 0
    first_document: yaml.Mark | None = None
    nodes: int = 0
    aliases: int = 0
    stack: list[_Open] = field(default_factory=list)
    anchors: dict[str, tuple[Any, int]] = field(default_factory=dict)
    anchor_marks: dict[str, yaml.Mark] = field(default_factory=dict)
    scalars: yaml.SafeLoader = field(default_factory=lambda: yaml.SafeLoader(""))

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def reject(self, line: int | None, message: str) -> None:
        raise _Rejected(Problem(self.path, line, message))

    def feed(self, event: yaml.Event) -> None:
        line = _mark_line(event.start_mark)
        if isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)) and event.anchor:
            self.name_anchor(event)
        if isinstance(event, yaml.DocumentStartEvent):
            self.start_document(event)
        elif isinstance(event, yaml.ScalarEvent):
            self.count(line, 1)
            self.add(self.scalar(event, line), line, event.anchor, size=1)
        elif isinstance(event, yaml.AliasEvent):
            self.alias(event, line)
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            self.open(event, line)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            done = self.stack.pop()
            self.add(done.value, done.value.line, done.anchor, size=done.size)

    def start_document(self, event: yaml.DocumentStartEvent) -> None:
        self.documents += 1
        if self.documents > 1:
            raise yaml.composer.ComposerError(
                "expected a single document in the stream",
                self.first_document,
                "but found another document",
                event.start_mark,
            )
        self.first_document = event.start_mark

    def name_anchor(self, event: yaml.NodeEvent) -> None:
        if event.anchor in self.anchor_marks:
            raise yaml.composer.ComposerError(
                f"found duplicate anchor {event.anchor!r}; first occurrence",
                self.anchor_marks[event.anchor],
                "second occurrence",
                event.start_mark,
            )
        self.anchor_marks[event.anchor] = event.start_mark

    def count(self, line: int | None, nodes: int) -> None:
        self.nodes += nodes
        if self.nodes > MAX_NODES:
            self.reject(line, f"the file has more than {MAX_NODES:,} values (aliases included)")

    def open(self, event: yaml.CollectionStartEvent, line: int | None) -> None:
        if len(self.stack) >= MAX_DEPTH:
            self.reject(line, f"values are nested more than {MAX_DEPTH} levels deep")
        self.count(line, 1)
        if event.tag not in (None, "!", _STANDARD_TAGS[type(event)]):
            self.problem(line, f"cannot read value: unsupported tag {event.tag!r}")
        value = MarkedDict() if isinstance(event, yaml.MappingStartEvent) else MarkedList()
        value.line = line
        self.stack.append(_Open(value, event.anchor))

    def scalar(self, event: yaml.ScalarEvent, line: int | None) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.scalars.resolve(yaml.ScalarNode, event.value, event.implicit)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self.scalars.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as error:
            reason = error.problem if isinstance(error, yaml.MarkedYAMLError) else error
            self.problem(line, f"cannot read value: {reason}")
            return None
        finally:
            self.scalars.constructed_objects.pop(node, None)

    def alias(self, event: yaml.AliasEvent, line: int | None) -> None:
        if any(entry.anchor == event.anchor for entry in self.stack):
            self.problem(line, "recursive YAML alias")
            self.add(None, line, None, size=1)
            return
        if event.anchor not in self.anchors:
            raise yaml.composer.ComposerError(
                None, None, f"found undefined alias {event.anchor!r}", event.start_mark
            )
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            self.reject(line, f"the file uses more than {MAX_ALIASES:,} YAML aliases")
        value, size = self.anchors[event.anchor]
        self.count(line, size)
        self.add(value, line, None, size=size)

    def add(self, value: Any, line: int | None, anchor: str | None, *, size: int) -> None:
        if anchor is not None:
            self.anchors[anchor] = (value, size)
        if not self.stack:
            self.root = value
            return
        parent = self.stack[-1]
        parent.size += size
        if isinstance(parent.value, MarkedList):
            parent.value.append(value)
            parent.value.item_lines.append(line)
        elif parent.expecting_key:
            self.take_key(parent, value, line)
        else:
            self.take_value(parent, value, line)

    def take_key(self, parent: _Open, key: Any, line: int | None) -> None:
        parent.expecting_key, parent.key, parent.key_line = False, key, line
        mapping = parent.value
        parent.skip_value = True
        if isinstance(key, (dict, list)) or key is None:
            self.problem(line, "a key must be plain text")
        elif key in mapping:
            first = mapping.key_lines[key]
            self.problem(line, f"duplicate key '{key}' (first at line {first})")
        else:
            parent.skip_value = False

    def take_value(self, parent: _Open, value: Any, line: int | None) -> None:
        parent.expecting_key = True
        if not parent.skip_value:
            parent.value[parent.key] = value
            parent.value.key_lines[parent.key] = parent.key_line
            parent.value.value_lines[parent.key] = line
