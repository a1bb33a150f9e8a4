"""Slugs for the roadmap, its sections and its items, made from titles the way
content/llm.yaml was made by hand."""

import re

from django.utils.text import slugify

from tracker.content_io.schema import DEFAULT_ITEM_KIND, RESERVED_ITEM_SLUGS, SLUG_MAX

_PARENS = re.compile(r"\s*\([^()]*\)")
# Sections of these kinds are named by their kind; levels by their level; others by title.
_NAMED_BY_KIND = ("prerequisites", "techniques", "projects", "outcomes", "careers", "notes")


def roadmap_slug(title: str) -> str:
    """'Large Language Models (LLM) Roadmap' → 'llm'; 'Data Science Roadmap' → 'data-science'."""
    match = re.search(r"\(([A-Za-z0-9 &/-]{2,20})\)", title)
    if match:
        return slugify(match.group(1)) or "roadmap"
    base = re.sub(r"\broad\s*map\b", "", title, flags=re.I)
    return slugify_title(base, "roadmap")


def slugify_title(title: str, fallback: str) -> str:
    # Dashes between words ("Deutsch–Jozsa") separate them; slugify alone would glue them.
    slug = slugify(re.sub("[\u2013\u2014]", " ", title))[:SLUG_MAX].strip("-")
    return slug or fallback


def unique_slug(base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3`… when taken; the result is added to `taken`."""
    slug, n = base, 1
    while slug in taken:
        n += 1
        suffix = f"-{n}"
        slug = f"{base[: SLUG_MAX - len(suffix)]}{suffix}"
    taken.add(slug)
    return slug


def assign_slugs(sections: list[dict], previous: dict[tuple[str, str], str]) -> None:
    """Slugs for every section and item, unique within the roadmap."""
    taken: set[str] = set()
    for section in sections:
        kind = section["kind"]
        if kind == "level":
            base = section["level"]
        elif kind in _NAMED_BY_KIND:
            base = kind
        else:
            base = slugify_title(section["title"], "section")
        section["slug"] = unique_slug(base, taken)
    assign_item_slugs([i for s in sections for i in s.get("items", [])], previous)


def assign_item_slugs(items: list[dict], previous: dict[tuple[str, str], str]) -> None:
    """Item slugs from titles (see `wanted_slug`); an item found in `previous` (same kind and
    title) keeps its earlier slug, so that re-converting a revised document never orphans
    learners' progress; anything still taken, or reserved for a roadmap page ("follow"),
    gets ``-2``, ``-3``."""
    bases = [slugify_title(_PARENS.sub("", item["title"]), item["kind"]) for item in items]
    concept_slugs = {b for b, i in zip(bases, items, strict=True) if i["kind"] == "concept"}
    topic_slugs = {b for b, i in zip(bases, items, strict=True) if i["kind"] == "topic"}
    technique_slugs = {b for b, i in zip(bases, items, strict=True) if i["kind"] == "technique"}
    keys = [(item["kind"], item["title"].casefold()) for item in items]
    wanted = [
        previous.get(key, wanted_slug(base, item, concept_slugs, topic_slugs, technique_slugs))
        for base, item, key in zip(bases, items, keys, strict=True)
    ]
    # Slugs kept from `previous` are claimed first, so that no new item takes one of them.
    reserved = {slug for slug, key in zip(wanted, keys, strict=True) if key in previous}
    # Slugs that name roadmap pages (/roadmaps/<slug>/follow/) are never an item's.
    taken: set[str] = set(RESERVED_ITEM_SLUGS)
    for slug, key, item in zip(wanted, keys, items, strict=True):
        if key in previous and slug not in taken:
            item["slug"] = slug
        else:
            avoid = taken if key in previous else taken | reserved
            item["slug"] = unique_slug(slug, set(avoid))
        taken.add(item["slug"])


def wanted_slug(
    base: str, item: dict, concept_slugs: set[str], topic_slugs: set[str], technique_slugs: set[str]
) -> str:
    """The slug an item's title asks for, before clashes with earlier items are settled.

    - the title without parenthetical asides ("Evaluation Metrics (Perplexity, …)" →
      ``evaluation-metrics``);
    - a prerequisite topic whose slug a concept also wants is ``prereq-<slug>`` and the concept
      keeps its full title ("Tokenization" vs "Tokenization (BPE, WordPiece)");
    - a technique row that names a concept's or topic's subject (same slug, or a slug starting
      with it) is ``technique-<slug>``; a project clashing with a concept, topic or technique
      row is ``project-<slug>``.
    """
    kind = item["kind"]
    slug = base
    if kind == "topic" and base in concept_slugs:
        slug = f"prereq-{base}"
    elif kind == "concept" and base in topic_slugs:
        # The topic gives way (prereq-…), so the concept's own title is free even when it
        # has no aside to lengthen it.
        slug = slugify_title(item["title"], base)
    elif kind == "technique" and any(
        c == base or c.startswith(f"{base}-") for c in concept_slugs | topic_slugs
    ):
        slug = f"technique-{base}"
    elif kind == "project" and base in concept_slugs | topic_slugs | technique_slugs:
        slug = f"project-{base}"
    return slug[:SLUG_MAX].strip("-")


def previous_slugs(data: dict) -> dict[tuple[str, str], str]:
    """(kind, title) → slug of every item of an existing roadmap YAML (see assign_item_slugs)."""
    found = {}
    for section in data.get("sections", []):
        default_kind = DEFAULT_ITEM_KIND.get(section.get("kind", ""), "")
        for item in section.get("items", []) or []:
            kind = item.get("kind", default_kind)
            found[(kind, str(item.get("title", "")).casefold())] = item["slug"]
    return found
