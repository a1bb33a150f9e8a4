"""Roadmap YAML <-> plain data (content/README.md): load with line numbers, validate, export."""

from tracker.content_io.export import dump_yaml, export_data, export_roadmap, leading_comments
from tracker.content_io.loader import MarkedDict, MarkedList, Problem, load_yaml, read_file
from tracker.content_io.schema import TRACKED_FIELDS
from tracker.content_io.validate import (
    Node,
    RoadmapSpec,
    RowSpec,
    build_spec,
    clean_text,
    load_roadmaps,
    url_problem,
    validate_data,
    validate_file,
)

__all__ = [
    "TRACKED_FIELDS",
    "MarkedDict",
    "MarkedList",
    "Node",
    "Problem",
    "RoadmapSpec",
    "RowSpec",
    "build_spec",
    "clean_text",
    "dump_yaml",
    "export_data",
    "export_roadmap",
    "leading_comments",
    "load_roadmaps",
    "load_yaml",
    "read_file",
    "url_problem",
    "validate_data",
    "validate_file",
]
