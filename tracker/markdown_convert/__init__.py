"""Roadmap markdown of the LLM-roadmap family → content YAML data (content/README.md,
"Converting markdown"): plain functions over text, no ORM, no files."""

from tracker.markdown_convert.document import Conversion, ConversionWarning, RoadmapFormatError
from tracker.markdown_convert.effort import DEFAULT_EFFORT
from tracker.markdown_convert.urls import document_urls, iter_urls
from tracker.markdown_convert.walk import convert

__all__ = [
    "DEFAULT_EFFORT",
    "Conversion",
    "ConversionWarning",
    "RoadmapFormatError",
    "convert",
    "document_urls",
    "iter_urls",
]
