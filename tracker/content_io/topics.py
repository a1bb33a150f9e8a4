"""Shared topics: content/topics.yaml, and checking the roadmaps' `topic:` keys against it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tracker.content_io.loader import Problem, read_file
from tracker.content_io.schema import SCHEMA_VERSION, TOPIC_KEYS, TOPICS_KEYS
from tracker.content_io.validate import (
    Node,
    RoadmapSpec,
    _check_keys,
    _children,
    _first,
    _slug,
    _text,
)


@dataclass(frozen=True)
class TopicSpec:
    slug: str
    title: str
    reason: str
    line: int | None


def load_topics(path: Path, *, display: str) -> tuple[dict[str, TopicSpec], list[Problem]]:
    """The topics a topics.yaml declares, by slug; none (and no problem) when it is absent."""
    if not path.exists():
        return {}, []
    data, problems = read_file(path, display=display)
    if problems:
        return {}, problems
    if not isinstance(data, dict):
        return {}, [
            Problem(display, getattr(data, "line", None), "the top level must be a mapping")
        ]
    root = Node(display, "", getattr(data, "line", None), data, what="the topics file")
    _check_keys(root, TOPICS_KEYS, ("schema", "topics"))
    if "schema" in data and data["schema"] != SCHEMA_VERSION:
        root.problem(f"unsupported schema version {data['schema']!r}", "schema")
    topics: dict[str, TopicSpec] = {}
    seen: dict[str, int | None] = {}
    for node in _children(root, "topics", what=lambda i: f"topic {i + 1}", kind="topic"):
        slug = _slug(node)
        if slug:
            node.what = f"topic '{slug}'"
            message = f"duplicate topic '{slug}' (first at line {{first}})"
            _first(node, seen, slug, node.line_of("slug"), message, "slug")
        _check_keys(node, TOPIC_KEYS, TOPIC_KEYS)
        title = _text(node, "title", required=True)
        # The reason is the point of the file: identity is a judgement, so it is written down.
        reason = _text(node, "reason", required=True)
        if slug and slug not in topics:
            topics[slug] = TopicSpec(slug, title, reason, node.line)
    return topics, sorted(root.problems, key=lambda p: p.line or 0)


def check_topics(
    specs: Sequence[RoadmapSpec], topics: dict[str, TopicSpec], *, complete: bool, path: str
) -> list[Problem]:
    """Problems with the `topic:` keys of `specs` (the roadmaps of one directory).

    Every topic must be declared in topics.yaml. When `complete` (every roadmap of the
    directory is being read), every declared topic must also be used by two items or more:
    a topic of one item shares nothing, and is usually a typo in the other file.
    """
    problems: list[Problem] = []
    used: dict[str, int] = defaultdict(int)
    for spec in specs:
        for row in spec.items:
            topic = row.values.get("topic")
            if not topic:
                continue
            used[topic] += 1
            if topic not in topics:
                message = f"unknown topic \"{topic}\" of item '{row.ident}'; declare it in {path}"
                problems.append(Problem(spec.path, row.line_of("topic"), message))
    if complete:
        for slug, topic in topics.items():
            if used[slug] < 2:
                count = "no item" if not used[slug] else "only one item"
                message = f"topic '{slug}' is used by {count}; a shared topic needs two or more"
                problems.append(Problem(path, topic.line, message))
    return problems
