"""Admin for roadmap content. Saves and deletes reach cached pages through page_cache's
signal receivers (archiving, a bulk update, invalidates itself); the importer's bookkeeping
fields (`key`, `imported_values`, `source_path`) are shown read-only because the next import
relies on them."""

from functools import partial

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import models, transaction
from django.db.models import Count, Q
from django.utils import timezone

from tracker import pace, page_cache
from tracker.content_io.schema import RESERVED_ITEM_SLUGS
from tracker.models import Item, Resource, Roadmap, RoadmapFollow, Section
from tracker.selectors import pace as pace_reads
from tracker.task_queue import QueueUnavailable, enqueue

IMPORTER_FIELDS = ("imported_values", "created_at", "updated_at")
# A URL typed without a scheme is taken as https (Django 6's default, set now).
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}
QUEUE_DOWN = (
    "Saved, but couldn't queue a check of its links: the task queue is unavailable. "
    "The scheduled check will pick them up."
)


class ArchivedFilter(admin.SimpleListFilter):
    title = "archived"
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [("no", "No"), ("yes", "Yes")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(archived_at__isnull=True)
        return queryset


class SectionFilter(admin.RelatedFieldListFilter):
    """Sections name their roadmap; load them with it in one query instead of one each."""

    def field_choices(self, field, request, model_admin):
        sections = Section.objects.select_related("roadmap").order_by("roadmap__order", "order")
        return [(section.pk, str(section)) for section in sections]


def check_new_links_after_commit(request) -> None:
    # With a worker, a new or edited URL is checked right away instead of at the next
    # five-minute run. In-process (no REDIS_URL) a check could hold the admin page for up to
    # 90 s a URL, so there the schedule or `manage.py check_links` does it.
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    transaction.on_commit(partial(_queue_new_link_check, request))


def _queue_new_link_check(request) -> None:
    from tracker.tasks import check_new_links

    try:
        enqueue(check_new_links)
    except QueueUnavailable:
        # The save stands; the five-minute schedule checks the links once the queue is back.
        messages.warning(request, QUEUE_DOWN)


@admin.action(description="Archive selected (hide from pages, keep progress)")
def archive(modeladmin, request, queryset):
    queryset.filter(archived_at__isnull=True).update(archived_at=timezone.now())
    page_cache.invalidate(content=True)  # a bulk update sends no signals


@admin.action(description="Restore selected from the archive")
def unarchive(modeladmin, request, queryset):
    queryset.update(archived_at=None)
    page_cache.invalidate(content=True)  # a bulk update sends no signals


class ContentAdmin(admin.ModelAdmin):
    """Shared behaviour: archive actions, importer fields read-only."""

    actions = [archive, unarchive]
    readonly_fields = IMPORTER_FIELDS
    formfield_overrides = URL_FIELDS
    list_per_page = 100

    @admin.display(boolean=True, description="archived", ordering="archived_at")
    def is_archived(self, obj) -> bool:
        return obj.archived_at is not None

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "section":
            # A section's name includes its roadmap's slug: one query, not one per section.
            kwargs["queryset"] = Section.objects.select_related("roadmap").order_by(
                "roadmap__order", "order"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if self.model in (Item, Resource):
            check_new_links_after_commit(request)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Resource:
            return super().save_formset(request, form, formset, change)
        # Inline resources take their owner's roadmap and the importer's default key.
        for resource in formset.save(commit=False):
            resource.roadmap_id = form.instance.roadmap_id
            if not resource.key:
                resource.key = default_resource_key(resource)
            resource.save()
        for resource in formset.deleted_objects:
            resource.delete()
        formset.save_m2m()


def default_resource_key(resource: Resource) -> str:
    """The importer's default key shape (content/README.md): `<owner>/<group>/<url or title>`."""
    owner = f"item:{resource.item.slug}" if resource.item_id else f"section:{resource.section.slug}"
    return f"{owner}/{resource.group}/{resource.url or resource.title}"


class ResourceInline(admin.TabularInline):
    model = Resource
    formfield_overrides = URL_FIELDS
    extra = 0
    fields = ["order", "title", "url", "kind", "level", "group", "row", "note", "key"]
    readonly_fields = ["key"]
    ordering = ["order", "id"]
    show_change_link = True


class ItemResourceInline(ResourceInline):
    fk_name = "item"


class SectionResourceInline(ResourceInline):
    fk_name = "section"
    verbose_name = "section resource"
    verbose_name_plural = "section resources (tables, recommended lists, group links)"

    def get_queryset(self, request):
        # Resources of the section's items are edited under their item.
        return super().get_queryset(request).filter(item__isnull=True)


class OwnedByRoadmapForm(forms.ModelForm):
    """Refuses a section or item that belongs to another roadmap than the row itself."""

    def clean(self):
        cleaned = super().clean()
        roadmap = cleaned.get("roadmap")
        for name in ("section", "item"):
            owner = cleaned.get(name)
            if roadmap and owner and owner.roadmap_id != roadmap.pk:
                self.add_error(name, f"This {name} belongs to another roadmap ({owner.roadmap}).")
        if "item" in self.fields and not (cleaned.get("item") or cleaned.get("section")):
            raise forms.ValidationError("A resource belongs to an item or to a section: pick one.")
        return cleaned


class ItemForm(OwnedByRoadmapForm):
    """Also refuses the slugs that name an item page's own URLs (status, note, follow, map…):
    an item with one of them could never be reached. The importer refuses them the same way."""

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_ITEM_SLUGS:
            raise forms.ValidationError(
                f"“{slug}” names a page of every roadmap; choose another slug "
                f"(reserved: {', '.join(sorted(RESERVED_ITEM_SLUGS))})."
            )
        return slug


@admin.register(Roadmap)
class RoadmapAdmin(ContentAdmin):
    list_display = ["title", "slug", "theme", "order", "item_count", "is_archived", "updated_at"]
    list_filter = ["theme", ArchivedFilter]
    search_fields = ["title", "slug", "summary"]
    ordering = ["order", "title"]
    readonly_fields = (*IMPORTER_FIELDS, "source_path")
    fields = [
        "title",
        "slug",
        "theme",
        "order",
        "summary",
        "intro",
        "tagline",
        "archived_at",
        "source_path",
        "imported_values",
        "created_at",
        "updated_at",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(_item_count=Count("items", filter=Q(items__archived_at__isnull=True)))
        )

    @admin.display(description="active items", ordering="_item_count")
    def item_count(self, obj) -> int:
        return obj._item_count


@admin.register(Section)
class SectionAdmin(ContentAdmin):
    list_display = ["title", "roadmap", "kind", "level", "order", "is_archived"]
    list_filter = ["roadmap", "kind", "level", ArchivedFilter]
    list_select_related = ["roadmap"]
    search_fields = ["title", "slug", "body"]
    ordering = ["roadmap", "order"]
    inlines = [SectionResourceInline]
    fields = [
        "roadmap",
        "title",
        "slug",
        "kind",
        "level",
        "order",
        "body",
        "entries",
        "table_headers",
        "callout",
        "archived_at",
        "imported_values",
        "created_at",
        "updated_at",
    ]


def _measured(actuals: pace_reads.ItemActuals | None) -> str:
    if actuals is None or actuals.median_hours is None:
        return f"not enough data ({actuals.learners if actuals else 0} learners)"
    return f"{actuals.median_hours:.1f} h, median of {actuals.learners} learners"


@admin.action(description="Use the measured median as the estimate")
def use_measured_estimate(modeladmin, request, queryset):
    """Each selected item's estimate becomes its learners' median (rounded, at least 1 h).

    A plain save, as an admin's edit: the importer keeps it (content/README.md), and
    `export_roadmap` writes it back to content/."""
    items = list(queryset)
    actuals = pace_reads.item_actuals(item.pk for item in items)
    changed, skipped = [], []
    for item in items:
        new = actuals[item.pk].suggested_estimate
        if new is None:
            skipped.append(f"{item.title} ({actuals[item.pk].learners} learners)")
        elif new != item.effort_hours:
            changed.append(f"{item.title}: {item.effort_hours} h → {new} h")
            item.effort_hours = new
            item.save(update_fields=["effort_hours", "updated_at"])
    if changed:
        messages.success(request, "Estimates changed: " + "; ".join(changed) + ".")
    if skipped:
        messages.warning(
            request,
            f"Left as they were, with fewer than {pace.MIN_LEARNERS} learners who started and "
            "finished them: " + "; ".join(skipped) + ".",
        )
    if not changed and not skipped:
        messages.info(request, "The estimates already match the measured medians.")


@admin.register(Item)
class ItemAdmin(ContentAdmin):
    list_display = [
        "title",
        "roadmap",
        "section",
        "kind",
        "level",
        "effort_hours",
        "measured_hours",
        "order",
        "is_archived",
    ]
    actions = [*ContentAdmin.actions, use_measured_estimate]
    readonly_fields = (*IMPORTER_FIELDS, "measured_hours")
    list_filter = [
        "roadmap",
        ("section", SectionFilter),
        "kind",
        "level",
        "optional",
        ArchivedFilter,
    ]
    list_select_related = ["roadmap", "section__roadmap"]
    search_fields = ["title", "slug", "resources__url", "resources__title"]
    ordering = ["roadmap", "order"]
    form = ItemForm
    filter_horizontal = ["prerequisites"]
    inlines = [ItemResourceInline]
    fieldsets = [
        (None, {"fields": ["roadmap", "section", "title", "slug", "kind", "level", "group"]}),
        ("Text", {"fields": ["description", "note", "optional", "skills", "badge_url"]}),
        (
            "Planning",
            {
                "fields": [
                    "effort_hours",
                    "measured_hours",
                    "effort_note",
                    "order",
                    "prerequisites",
                ]
            },
        ),
        ("Import", {"fields": ["archived_at", *IMPORTER_FIELDS], "classes": ["collapse"]}),
    ]

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            # The page's items, measured in one query; the rows render from the same objects.
            items = list(changelist.result_list)
            actuals = pace_reads.item_actuals(item.pk for item in items)
            for item in items:
                item.actuals = actuals[item.pk]
        return response

    @admin.display(description="measured hours")
    def measured_hours(self, obj) -> str:
        """The median of learners' inferred hours (their start-to-done time at their weekly
        hours), shown from pace.MIN_LEARNERS learners on."""
        if obj is None or obj.pk is None:
            return "–"
        actuals = getattr(obj, "actuals", None)
        if actuals is None:
            actuals = pace_reads.item_actuals([obj.pk])[obj.pk]
        return _measured(actuals)

    def get_form(self, request, obj=None, change=False, **kwargs):
        # formfield_for_manytomany has no access to the object being edited.
        request._editing_item = obj
        return super().get_form(request, obj, change, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "prerequisites":
            # Offer active items of the same roadmap, plus whatever is already chosen so an
            # archived prerequisite does not make the form invalid.
            item = getattr(request, "_editing_item", None)
            choices = Item.objects.active()
            if item is not None:
                choices = choices.filter(roadmap_id=item.roadmap_id).exclude(pk=item.pk)
                choices = choices | item.prerequisites.all()
            kwargs["queryset"] = (
                choices.select_related("roadmap").distinct().order_by("roadmap", "order")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Resource)
class ResourceAdmin(ContentAdmin):
    list_display = ["title", "url", "roadmap", "kind", "level", "group", "owner", "is_archived"]
    list_filter = [
        "roadmap",
        ("section", SectionFilter),
        "kind",
        "level",
        "group",
        ArchivedFilter,
    ]
    list_select_related = ["roadmap", "item", "section__roadmap"]
    search_fields = ["title", "url", "key", "note"]
    ordering = ["roadmap", "order"]
    raw_id_fields = ["item"]
    readonly_fields = (*IMPORTER_FIELDS, "key")
    form = OwnedByRoadmapForm

    def save_model(self, request, obj, form, change):
        if not obj.key:
            obj.key = default_resource_key(obj)
        super().save_model(request, obj, form, change)

    @admin.display(description="owner")
    def owner(self, obj) -> str:
        return str(obj.item or obj.section)


@admin.register(RoadmapFollow)
class RoadmapFollowAdmin(admin.ModelAdmin):
    """Learners choose what they follow; the admin mostly looks."""

    list_display = ["learner", "roadmap", "position", "created_at"]
    list_filter = ["roadmap"]
    list_select_related = ["learner", "roadmap"]
    search_fields = ["learner__email", "roadmap__title", "roadmap__slug"]
    ordering = ["learner", "position"]
    readonly_fields = ["learner", "roadmap", "created_at"]

    def has_add_permission(self, request):
        return False
