"""Default effort estimates, for items whose document says nothing about effort."""

from tracker.content_io.schema import LEVELS

# Hours per item kind and level. Topics are refreshers of roughly equal size whatever their
# place; an item with no level counts as intermediate. Keep in step with the table in
# content/README.md (a test compares them).
DEFAULT_EFFORT: dict[str, dict[str, int]] = {
    "topic": {"beginner": 6, "intermediate": 6, "advanced": 6},
    "concept": {"beginner": 4, "intermediate": 6, "advanced": 8},
    "technique": {"beginner": 5, "intermediate": 6, "advanced": 8},
    "project": {"beginner": 10, "intermediate": 16, "advanced": 24},
}


def default_effort(kind: str, level: str | None) -> tuple[int, str]:
    """Hours for an item, and the effort note that asks an editor to review them."""
    if kind == "topic":
        what = "a prerequisite topic"
    elif level in LEVELS:
        what = f"{'an' if level[0] in 'aeiou' else 'a'} {level} {kind}"
    else:
        what = f"a {kind} with no level (counted as intermediate)"
    hours = DEFAULT_EFFORT[kind][level if level in LEVELS else "intermediate"]
    return hours, f"default estimate for {what}; not yet reviewed (roadmap_from_markdown)"
