"""The content schema's names and limits (content/README.md), shared by the importer,
the exporter and the markdown converter."""

import hashlib
import re

SCHEMA_VERSION = 1
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
# Item pages live at /roadmaps/<slug>/<item-slug>/, beside these roadmap-level actions.
RESERVED_ITEM_SLUGS = frozenset({"follow", "unfollow", "status", "note"})
SLUG_MAX = 80
KEY_MAX = 300

LEVELS = ("beginner", "intermediate", "advanced")
SECTION_KINDS = (
    "prerequisites",
    "level",
    "techniques",
    "projects",
    "outcomes",
    "careers",
    "notes",
    "text",
)
ITEM_KINDS = ("topic", "concept", "technique", "project")
RESOURCE_KINDS = ("book", "video", "playlist", "course", "paper", "article", "documentation")
# README: an item's kind defaults from its section; other sections must say.
DEFAULT_ITEM_KIND = {
    "prerequisites": "topic",
    "level": "concept",
    "techniques": "technique",
    "projects": "project",
}

# Schema keys in README order; export writes them in this order too.
ROADMAP_KEYS = ("schema", "slug", "title", "summary", "intro", "tagline", "order", "sections")
SECTION_KEYS = (
    "slug",
    "kind",
    "title",
    "level",
    "body",
    "entries",
    "callout",
    "table_headers",
    "resources",
    "items",
)
ITEM_KEYS = (
    "slug",
    "kind",
    "title",
    "level",
    "group",
    "description",
    "note",
    "optional",
    "skills",
    "badge_url",
    "effort_hours",
    "effort_note",
    "prerequisites",
    "resources",
)
RESOURCE_KEYS = ("title", "url", "kind", "level", "group", "row", "note", "key")

# The fields the importer writes and merges, per kind (model field names, except `section`
# and `owner`, which are slugs, and `prerequisites`, a sorted list of slugs).
TRACKED_FIELDS = {
    "roadmap": ("title", "summary", "intro", "tagline", "order"),
    "section": (
        "kind",
        "title",
        "level",
        "body",
        "entries",
        "callout",
        "table_headers",
        "order",
    ),
    "item": (
        "section",
        "kind",
        "title",
        "level",
        "group",
        "description",
        "note",
        "optional",
        "skills",
        "badge_url",
        "effort_hours",
        "effort_note",
        "order",
        "prerequisites",
    ),
    "resource": ("owner", "title", "url", "kind", "level", "group", "row", "note", "order"),
}

# Column limits of the models, checked here so PostgreSQL never rejects a valid-looking file.
_MAX_LENGTH = {
    ("roadmap", "title"): 200,
    ("section", "title"): 200,
    ("item", "title"): 200,
    ("item", "group"): 120,
    ("item", "note"): 300,
    ("item", "badge_url"): 500,
    ("resource", "title"): 300,
    ("resource", "url"): 500,
    ("resource", "group"): 120,
    ("resource", "note"): 300,
    ("resource", "key"): KEY_MAX,
}
_SMALLINT_MAX = 32767
_INT_MAX = 2147483647


def default_resource_key(owner: str, group: str, url: str, title: str) -> str:
    """README: `<owner>/<group>/<url or title>`; shortened with a hash beyond 300 characters."""
    key = f"{owner}/{group}/{url or title}"
    if len(key) > KEY_MAX:
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        key = f"{key[: KEY_MAX - 17]}#{digest}"
    return key
