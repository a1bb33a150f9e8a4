"""The walk over a document: the title, intro and tagline, then one parser per ``##``
section, then slugs and the finishing pass."""

from collections.abc import Callable
from typing import Any

from markdown_it.tree import SyntaxTreeNode

from tracker.content_io.schema import SCHEMA_VERSION, source_pointer
from tracker.markdown_convert.document import (
    Block,
    Conversion,
    Document,
    RoadmapFormatError,
    split_at_headings,
)
from tracker.markdown_convert.finish import finish_sections
from tracker.markdown_convert.inline import (
    inline_children,
    parse_markdown,
    plain_text,
    plain_text_of_markdown,
)
from tracker.markdown_convert.levels import level_section
from tracker.markdown_convert.prerequisites import prerequisites_section
from tracker.markdown_convert.projects import projects_section
from tracker.markdown_convert.slugs import assign_slugs, previous_slugs, roadmap_slug
from tracker.markdown_convert.techniques import techniques_section
from tracker.markdown_convert.text import heading_key, level_of, normalize_text
from tracker.markdown_convert.text_sections import (
    careers_section,
    notes_section,
    outcomes_section,
    recommended_section,
    text_section,
)

_TECHNIQUE_WORDS = {"techniques", "technique", "architectures", "tools", "domains", "practices"}

# What a "##" heading announces → the function that reads the section under it.
SECTION_PARSERS: dict[str, Callable[[Document, Block], dict[str, Any]]] = {
    "prerequisites": prerequisites_section,
    "projects": projects_section,
    "outcomes": outcomes_section,
    "careers": careers_section,
    "notes": notes_section,
    "techniques": techniques_section,
    "level": level_section,
    "highly-recommended": recommended_section,
    "text": text_section,
}


def convert(text: str, *, slug: str | None = None, previous: dict | None = None) -> Conversion:
    """Convert a roadmap markdown document; raises RoadmapFormatError for non-roadmaps.

    `previous` is an existing YAML's data for the same roadmap: its items' slugs are kept.
    """
    text = normalize_text(text)
    doc = Document(text)
    nodes = list(parse_markdown(text).children)
    h1 = next((i for i, n in enumerate(nodes) if n.type == "heading" and n.tag == "h1"), None)
    if h1 is None:
        raise RoadmapFormatError("no '# Title' heading: this is not a roadmap document")
    title = plain_text(inline_children(nodes[h1]))
    data: dict[str, Any] = {"schema": SCHEMA_VERSION, "slug": slug or roadmap_slug(title)}
    data["title"] = title
    for node in nodes[:h1]:
        doc.warn(node, "text before the '#' title; kept in the intro")
    preamble, parts = split_at_headings(nodes[h1 + 1 :], 2)
    data.update(front_matter(doc, nodes[:h1], preamble))

    sections = []
    for part in parts:
        kind = heading_kind(part.title)
        if kind is not None:
            sections.append(SECTION_PARSERS[kind](doc, part))
    assign_slugs(sections, previous_slugs(previous) if previous else {})
    if previous:
        keep_topics(sections, previous)
    if not any(s["kind"] == "level" for s in sections) or not any(s.get("items") for s in sections):
        raise RoadmapFormatError(
            "no level sections ('## Beginner Level …') with concepts or projects: "
            "this does not look like a roadmap document"
        )
    data["sections"] = sections
    drop_source_pointers(sections)
    finish_sections(doc, sections)
    return Conversion(data, doc.warnings)


def drop_source_pointers(sections: list[dict]) -> None:
    """Links into the document's own repository ("See README.md#…") are left out: they are
    pointers for that repository's readers, which the content validator refuses."""
    owners = [*sections, *(item for section in sections for item in section.get("items", []))]
    for owner in owners:
        resources = owner.get("resources", [])
        kept = [r for r in resources if not source_pointer(r["title"], r.get("url", ""))]
        if len(kept) < len(resources):
            owner["resources"] = kept


def keep_topics(sections: list[dict], previous: dict) -> None:
    """Items that keep their slug keep the shared topic the existing file declares for them
    (content/README.md, "Shared topics"): identity is content's decision, not the document's."""
    topics = {
        item["slug"]: item["topic"]
        for section in previous.get("sections", [])
        for item in section.get("items", []) or []
        if item.get("topic") and item.get("slug")
    }
    for section in sections:
        for item in section.get("items", []):
            if item["slug"] in topics:
                item["topic"] = topics[item["slug"]]


def front_matter(
    doc: Document, before_title: list[SyntaxTreeNode], preamble: list[SyntaxTreeNode]
) -> dict[str, str]:
    """Summary, intro and tagline: the first quote is the tagline, the rest the intro."""
    intro = [doc.source(n) for n in before_title if n.type != "hr"]
    tagline = None
    for node in preamble:
        if node.type == "hr":
            continue
        if node.type == "blockquote" and tagline is None:
            tagline = doc.block_markdown(node)
        elif node.type == "paragraph":
            intro.append(doc.block_markdown(node))
        else:
            if node.type == "heading":
                doc.warn(node, "a heading before the first '##' section; kept in the intro")
            intro.append(doc.source(node))
    found = {}
    summary = plain_text_of_markdown(tagline or (intro[0] if intro else ""))
    if summary:
        found["summary"] = summary
    if intro:
        found["intro"] = "\n\n".join(filter(None, intro))
    if tagline:
        found["tagline"] = tagline
    return found


def heading_kind(title: str) -> str | None:
    """What a ``##`` heading announces (a key of SECTION_PARSERS), whatever its emoji, case,
    colons and dash style; None for a table of contents, which pages build themselves."""
    key = heading_key(title)
    if key in ("table of contents", "contents", "toc"):
        return None
    if "prerequisite" in key or key in ("requirements", "before you start"):
        return "prerequisites"
    # Checked before levels and techniques: "Beginner Projects", "Career Tools".
    for word, kind in (("project", "projects"), ("outcome", "outcomes"), ("career", "careers")):
        if word in key:
            return kind
    if key in ("final notes", "notes", "final note", "final words"):
        return "notes"
    if "learning resources" in key or set(key.split()) & _TECHNIQUE_WORDS:
        return "techniques"
    if level_of(title):
        return "level"
    if key.startswith("highly recommended"):
        return "highly-recommended"
    return "text"
