"""Roadmap content, imported from content/*.yaml (see content/README.md).

Rows are never deleted by an import: a row missing from the YAML gets `archived_at`.
`imported_values` keeps what the last import wrote to each field, so that the importer can
tell an admin's edit (database differs from it) from a YAML change (YAML differs from it).
"""

from django.db import models
from django.urls import reverse


class Level(models.TextChoices):
    BEGINNER = "beginner", "Beginner"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"


class Theme(models.TextChoices):
    """The catalogue's groups on /roadmaps/, in the order they are shown."""

    FOUNDATIONS = "foundations", "Foundations"
    DEEP_LEARNING = "deep-learning", "Deep learning and vision"
    LANGUAGE = "language", "Language and generative AI"
    PRODUCTION = "production", "Production"
    RESEARCH = "research", "Research and safety"


class ContentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(archived_at__isnull=True)

    def twins_of(self, item):
        """Active items of active roadmaps that share `item`'s topic, `item` left out."""
        if not item.topic:
            return self.none()
        return (
            self.active()
            .filter(topic=item.topic, roadmap__archived_at__isnull=True)
            .exclude(pk=item.pk)
        )

    def archived(self):
        return self.filter(archived_at__isnull=False)


class ImportedContent(models.Model):
    imported_values = models.JSONField(default=dict, blank=True, editable=False)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContentQuerySet.as_manager()

    class Meta:
        abstract = True


class Roadmap(ImportedContent):
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, help_text="One or two sentences for the roadmap list.")
    intro = models.TextField(blank=True, help_text="Markdown shown above the sections.")
    tagline = models.TextField(blank=True, help_text="The highlighted quote under the intro.")
    theme = models.CharField(
        max_length=20, choices=Theme.choices, blank=True, help_text="Its group on /roadmaps/."
    )
    order = models.PositiveIntegerField(default=0)
    source_path = models.CharField(max_length=300, blank=True, editable=False)

    class Meta:
        ordering = ["order", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("roadmap_detail", args=[self.slug])


class Section(ImportedContent):
    class Kind(models.TextChoices):
        PREREQUISITES = "prerequisites", "Prerequisites"
        LEVEL = "level", "Level"
        TECHNIQUES = "techniques", "Architectures & techniques"
        PROJECTS = "projects", "Projects"
        OUTCOMES = "outcomes", "Final outcome"
        CAREERS = "careers", "Career paths"
        NOTES = "notes", "Final notes"
        TEXT = "text", "Text"

    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="sections")
    slug = models.SlugField(max_length=80)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    level = models.CharField(max_length=20, choices=Level.choices, blank=True)
    body = models.TextField(blank=True, help_text="Markdown shown under the heading.")
    entries = models.JSONField(
        default=list, blank=True, help_text="Plain bullet list (outcomes, career paths)."
    )
    callout = models.TextField(blank=True, help_text="Markdown note shown after the section.")
    table_headers = models.JSONField(
        default=list, blank=True, help_text="Header row of the section's resource table."
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["roadmap", "order"]
        constraints = [
            models.UniqueConstraint(fields=["roadmap", "slug"], name="section_slug_per_roadmap")
        ]

    def __str__(self) -> str:
        return f"{self.roadmap.slug}: {self.title}"


class Item(ImportedContent):
    """Something a learner can tick off: a prerequisite topic, concept, technique or project."""

    class Kind(models.TextChoices):
        TOPIC = "topic", "Prerequisite topic"
        CONCEPT = "concept", "Core concept"
        TECHNIQUE = "technique", "Architecture / technique"
        PROJECT = "project", "Project"

    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="items")
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="items")
    slug = models.SlugField(max_length=80)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    # Items with the same topic, in any roadmaps, are one piece of progress (content/topics.yaml).
    topic = models.SlugField(
        max_length=80,
        blank=True,
        db_index=True,
        help_text="Shared topic, from content/topics.yaml.",
    )
    level = models.CharField(max_length=20, choices=Level.choices, blank=True)
    group = models.CharField(
        max_length=120, blank=True, help_text="Sub-heading within the section, e.g. 'Mathematics'."
    )
    description = models.TextField(blank=True, help_text="Markdown.")
    note = models.CharField(max_length=300, blank=True, help_text="Short aside, e.g. 'optional'.")
    optional = models.BooleanField(default=False)
    skills = models.JSONField(default=list, blank=True, help_text="Projects: skills practised.")
    badge_url = models.URLField(max_length=500, blank=True, help_text="Projects: badge image.")
    effort_hours = models.PositiveSmallIntegerField(help_text="Estimated hours to complete.")
    effort_note = models.TextField(blank=True, help_text="Why this estimate and prerequisites.")
    order = models.PositiveIntegerField(default=0, help_text="Position within the roadmap.")
    prerequisites = models.ManyToManyField(
        "self", symmetrical=False, related_name="dependents", blank=True
    )

    class Meta:
        ordering = ["roadmap", "order"]
        constraints = [
            models.UniqueConstraint(fields=["roadmap", "slug"], name="item_slug_per_roadmap"),
            models.CheckConstraint(condition=models.Q(effort_hours__gte=1), name="item_effort_1h"),
        ]
        indexes = [models.Index(fields=["roadmap", "order"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("item_detail", args=[self.roadmap.slug, self.slug])


class Resource(ImportedContent):
    """A link (or an unlinked title, e.g. a book) attached to an item or to a section."""

    class Kind(models.TextChoices):
        BOOK = "book", "Book"
        VIDEO = "video", "Video"
        PLAYLIST = "playlist", "Playlist"
        COURSE = "course", "Course"
        PAPER = "paper", "Paper"
        ARTICLE = "article", "Article"
        DOCUMENTATION = "documentation", "Documentation"

    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="resources")
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, related_name="resources", null=True, blank=True
    )
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="resources", null=True, blank=True
    )
    key = models.CharField(
        max_length=300, editable=False, help_text="Stable identity used by the importer."
    )
    title = models.CharField(max_length=300)
    url = models.URLField(max_length=500, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    level = models.CharField(max_length=20, choices=Level.choices, blank=True)
    group = models.CharField(
        max_length=120,
        blank=True,
        help_text="Where it shows: 'link' (an item's own link), 'table', 'highly-recommended'…",
    )
    row = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Table row (S.No).")
    note = models.CharField(max_length=300, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["roadmap", "order"]
        constraints = [
            models.UniqueConstraint(fields=["roadmap", "key"], name="resource_key_per_roadmap"),
            models.CheckConstraint(
                condition=models.Q(item__isnull=False) | models.Q(section__isnull=False),
                name="resource_has_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.title
