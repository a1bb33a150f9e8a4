"""The content schema's names and limits (content/README.md), shared by the importer,
the exporter and the markdown converter."""

import hashlib
import re

from tracker.models.content import Item, Level, Resource, Roadmap, Section, Theme

SCHEMA_VERSION = 1
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
# Item pages live at /roadmaps/<slug>/<item-slug>/, beside these roadmap-level actions.
RESERVED_ITEM_SLUGS = frozenset({"follow", "unfollow", "status", "note", "map"})

# Kinds and levels are the models' choices, in their order (the README lists them so).
LEVELS = tuple(Level.values)
THEMES = tuple(Theme.values)
SECTION_KINDS = tuple(Section.Kind.values)
ITEM_KINDS = tuple(Item.Kind.values)
RESOURCE_KINDS = tuple(Resource.Kind.values)
# README: an item's kind defaults from its section; other sections must say.
DEFAULT_ITEM_KIND = {
    Section.Kind.PREREQUISITES.value: Item.Kind.TOPIC.value,
    Section.Kind.LEVEL.value: Item.Kind.CONCEPT.value,
    Section.Kind.TECHNIQUES.value: Item.Kind.TECHNIQUE.value,
    Section.Kind.PROJECTS.value: Item.Kind.PROJECT.value,
}

# Schema keys in README order; export writes them in this order too.
ROADMAP_KEYS = (
    "schema",
    "slug",
    "title",
    "summary",
    "intro",
    "tagline",
    "theme",
    "order",
    "sections",
)
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
    "topic",
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
# content/topics.yaml: the shared topics, each declared once with why its items are one.
TOPICS_FILE = "topics.yaml"
TOPICS_KEYS = ("schema", "topics")
TOPIC_KEYS = ("slug", "title", "reason")

# The fields the importer writes and merges, per kind: the schema keys that are not
# identities or children, plus `order` (the position in the file), `section` and `owner`
# (slugs) and `prerequisites` (a sorted list of slugs).
_NOT_FIELDS = {"schema", "slug", "key", "sections", "items", "resources", "prerequisites"}


def _fields(keys: tuple[str, ...], before: tuple = (), after: tuple = ("order",)) -> tuple:
    return (*before, *(key for key in keys if key not in _NOT_FIELDS), *after)


TRACKED_FIELDS = {
    "roadmap": _fields(ROADMAP_KEYS, after=()),  # its order is written in the file
    "section": _fields(SECTION_KEYS),
    "item": _fields(ITEM_KEYS, before=("section",), after=("order", "prerequisites")),
    "resource": _fields(RESOURCE_KEYS, before=("owner",)),
}

_MODELS = {"roadmap": Roadmap, "section": Section, "item": Item, "resource": Resource}
_KEYS = {
    "roadmap": ROADMAP_KEYS,
    "section": SECTION_KEYS,
    "item": ITEM_KEYS,
    "resource": RESOURCE_KEYS,
}


def _column_limits() -> dict[tuple[str, str], int]:
    limits = {}
    for kind, model in _MODELS.items():
        for key in _KEYS[kind]:
            if key in ("slug", "topic", "kind", "level", "theme"):
                continue  # checked against SLUG_MAX and the choices instead
            column = next((f for f in model._meta.fields if f.name == key), None)
            if column is not None and column.max_length:
                limits[kind, key] = column.max_length
    return limits


# Column limits of the models, checked here so PostgreSQL never rejects a valid-looking file.
_MAX_LENGTH = _column_limits()
SLUG_MAX = Item._meta.get_field("slug").max_length
KEY_MAX = Resource._meta.get_field("key").max_length
_SMALLINT_MAX = 32767
_INT_MAX = 2147483647

# Limits of hostile or runaway input (content/README.md, "Limits"): far above any real
# roadmap, far below what would stall an import at deploy time.
MAX_FILE_BYTES = 1_000_000
MAX_TEXT_CHARS = 50_000  # any text without a column limit: markdown, notes, list entries
MAX_DEPTH = 50
MAX_NODES = 100_000  # counting each alias as the nodes it stands for
MAX_ALIASES = 1_000
# Characters no database column can hold (NUL for PostgreSQL) or no encoder can write.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(text: str) -> str | None:
    """Why `text` cannot be stored (a NUL character or a lone surrogate), or None."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    code = ord(found.group())
    name = "a NUL character" if code == 0 else "a lone surrogate"
    return f"contains {name} (U+{code:04X}), which cannot be stored; remove it"


# A link into a roadmap document's own repository ("See README.md#the-math-behind-it-all"):
# a pointer for readers of that repository, not something to learn from (issue 17.2).
_SOURCE_POINTER = re.compile(r"readme\.md#", re.IGNORECASE)


def source_pointer(title: str, url: str) -> bool:
    """Whether a resource's label or URL points at a README.md#… section."""
    return bool(_SOURCE_POINTER.search(title or "") or _SOURCE_POINTER.search(url or ""))


def default_resource_key(owner: str, group: str, url: str, title: str) -> str:
    """README: `<owner>/<group>/<url or title>`; shortened with a hash beyond 300 characters."""
    key = f"{owner}/{group}/{url or title}"
    if len(key) > KEY_MAX:
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        key = f"{key[: KEY_MAX - 17]}#{digest}"
    return key
