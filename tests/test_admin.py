"""The Django admin: every registered model's pages load, and content edits reach the pages."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    ItemFactory,
    ProgressFactory,
    ResourceFactory,
    RoadmapFactory,
    SectionFactory,
    UserFactory,
)
from tests.html_forms import form_data
from tracker.models import Item, Link, Resource, RoadmapFollow, Section
from tracker.page_cache import content_version

pytestmark = pytest.mark.django_db


def one_of_each_tracker_model() -> None:
    """Create a row for the content models, progress and a follow, so change pages have one.

    Models registered later by other areas still get their changelist and add page checked
    (and their change page when some other row creates one of theirs)."""
    item = ItemFactory(kind=Item.Kind.PROJECT)
    ResourceFactory(item=item)
    ResourceFactory(item=None, section=item.section, roadmap=item.roadmap, group="table", row=1)
    ProgressFactory(item=item)
    RoadmapFollow.objects.create(learner=UserFactory(), roadmap=item.roadmap)


def registered_models():
    # Imported lazily by Django's admin autodiscovery: the registry is complete at test time.
    return sorted(admin.site._registry, key=lambda model: model._meta.label)


def test_registry_covers_the_content_models():
    labels = {model._meta.label for model in registered_models()}
    assert {
        "tracker.Roadmap",
        "tracker.Section",
        "tracker.Item",
        "tracker.Resource",
        "tracker.RoadmapFollow",
    } <= labels


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_superuser_can_open_every_admin_page_of_every_model(admin_client, model):
    one_of_each_tracker_model()
    info = (model._meta.app_label, model._meta.model_name)
    model_admin = admin.site._registry[model]

    changelist = admin_client.get(reverse("admin:{}_{}_changelist".format(*info)))
    assert changelist.status_code == 200

    if model_admin.has_add_permission(changelist.wsgi_request):
        assert admin_client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200

    obj = model._default_manager.first()
    if obj is not None:
        change = admin_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
        assert change.status_code == 200


def test_changelists_answer_their_search_and_filters(admin_client):
    one_of_each_tracker_model()
    for model in registered_models():
        model_admin = admin.site._registry[model]
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        if model_admin.get_search_fields(None):
            assert admin_client.get(url, {"q": "example"}).status_code == 200
        for archived in ("yes", "no"):
            if "archived" in [getattr(f, "parameter_name", "") for f in model_admin.list_filter]:
                assert admin_client.get(url, {"archived": archived}).status_code == 200


def test_item_changelist_filters_by_kind_and_archived(admin_client):
    project = ItemFactory(kind=Item.Kind.PROJECT, title="Build A Chatbot")
    concept = ItemFactory(kind=Item.Kind.CONCEPT, title="Attention Concept")
    gone = ItemFactory(kind=Item.Kind.PROJECT, title="Old Project", archived_at=timezone.now())
    url = reverse("admin:tracker_item_changelist")

    projects = admin_client.get(url, {"kind": "project"}).content.decode()
    assert project.title in projects
    assert gone.title in projects
    assert concept.title not in projects

    active_projects = admin_client.get(url, {"kind": "project", "archived": "no"}).content.decode()
    assert project.title in active_projects
    assert gone.title not in active_projects

    archived = admin_client.get(url, {"archived": "yes"}).content.decode()
    assert gone.title in archived
    assert project.title not in archived


def test_item_search_finds_titles_slugs_and_resource_urls(admin_client):
    item = ItemFactory(title="Tokenization Basics", slug="tokenization-basics")
    ResourceFactory(item=item, url="https://huggingface.co/docs/tokenizers")
    other = ItemFactory(title="Unrelated Thing")
    url = reverse("admin:tracker_item_changelist")

    for query in ("Tokenization", "tokenization-basics", "huggingface.co/docs/tokenizers"):
        html = admin_client.get(url, {"q": query}).content.decode()
        assert item.title in html, query
        assert other.title not in html, query


def test_resource_search_finds_urls(admin_client):
    ResourceFactory(title="Illustrated Word2vec", url="https://jalammar.github.io/w2v/")
    ResourceFactory(title="Something Else")
    url = reverse("admin:tracker_resource_changelist")

    html = admin_client.get(url, {"q": "jalammar"}).content.decode()

    assert "Illustrated Word2vec" in html
    assert "Something Else" not in html


def test_section_changelist_filters_by_roadmap_and_kind(admin_client):
    llm = RoadmapFactory(slug="llm")
    mine = SectionFactory(roadmap=llm, kind=Section.Kind.PROJECTS, title="LLM Projects")
    SectionFactory(kind=Section.Kind.PROJECTS, title="Other Projects")
    url = reverse("admin:tracker_section_changelist")

    html = admin_client.get(url, {"roadmap__id__exact": llm.pk, "kind": "projects"}).content
    assert mine.title in html.decode()
    assert "Other Projects" not in html.decode()


def test_importer_bookkeeping_is_read_only_on_change_pages(admin_client):
    resource = ResourceFactory(key="item:x/link/https://example.org")
    item = resource.item
    item.imported_values = {"title": "Imported Title"}
    item.save()

    item_form = form_data(
        admin_client.get(reverse("admin:tracker_item_change", args=[item.pk])).content.decode(),
        "item_form",
    )
    resource_page = admin_client.get(reverse("admin:tracker_resource_change", args=[resource.pk]))
    roadmap_form = form_data(
        admin_client.get(
            reverse("admin:tracker_roadmap_change", args=[item.roadmap.pk])
        ).content.decode(),
        "roadmap_form",
    )

    assert "imported_values" not in item_form
    assert "key" not in form_data(resource_page.content.decode(), "resource_form")
    assert "item:x/link/https://example.org" in resource_page.content.decode()
    assert "source_path" not in roadmap_form


def test_editing_an_item_bumps_the_content_version_after_commit_and_keeps_its_resources(
    admin_client, django_capture_on_commit_callbacks
):
    item = ItemFactory()
    a = ResourceFactory(item=item)
    change = reverse("admin:tracker_item_change", args=[item.pk])
    data = form_data(admin_client.get(change).content.decode(), "item_form")
    before = content_version()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(change, {**data, "effort_hours": "7"})
        # Not before the commit, or a page rendered meanwhile would cache the old content.
        assert content_version() == before

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.effort_hours == 7
    assert list(item.resources.all()) == [a]
    assert content_version() > before


def test_adding_a_resource_inline_fills_its_roadmap_and_key(admin_client):
    item = ItemFactory(slug="embeddings")
    change = reverse("admin:tracker_item_change", args=[item.pk])
    data = form_data(admin_client.get(change).content.decode(), "item_form")
    prefix = "resources"
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": str(total + 1),
            f"{prefix}-{total}-title": "The Illustrated Word2vec",
            f"{prefix}-{total}-url": "https://jalammar.github.io/illustrated-word2vec/",
            f"{prefix}-{total}-kind": "article",
            f"{prefix}-{total}-group": "link",
            f"{prefix}-{total}-order": "0",
        }
    )

    response = admin_client.post(change, data)

    assert response.status_code == 302
    resource = Resource.objects.get(title="The Illustrated Word2vec")
    assert resource.item == item
    assert resource.roadmap == item.roadmap
    assert resource.key == "item:embeddings/link/https://jalammar.github.io/illustrated-word2vec/"


def test_section_page_edits_only_section_level_resources(admin_client):
    section = SectionFactory()
    own = ResourceFactory(item=None, section=section, roadmap=section.roadmap, title="Table Cell")
    ResourceFactory(item__section=section, title="An Item Link")

    html = admin_client.get(reverse("admin:tracker_section_change", args=[section.pk])).content

    assert own.title in html.decode()
    assert "An Item Link" not in html.decode()


def test_prerequisite_choices_are_active_items_of_the_same_roadmap(admin_client):
    item = ItemFactory(title="Attention")
    sibling = ItemFactory(section=item.section, title="Embeddings")
    archived = ItemFactory(section=item.section, title="Old Topic", archived_at=timezone.now())
    elsewhere = ItemFactory(title="Other Roadmap Item")

    html = admin_client.get(reverse("admin:tracker_item_change", args=[item.pk])).content.decode()
    select = html[html.index('name="prerequisites"') :]
    select = select[: select.index("</select>")]

    assert sibling.title in select
    assert archived.title not in select
    assert elsewhere.title not in select
    assert ">Attention<" not in select  # not its own prerequisite


def test_an_item_cannot_sit_in_another_roadmaps_section(admin_client):
    item = ItemFactory()
    foreign = SectionFactory(title="Foreign Section")
    change = reverse("admin:tracker_item_change", args=[item.pk])
    data = form_data(admin_client.get(change).content.decode(), "item_form")

    response = admin_client.post(change, {**data, "section": str(foreign.pk)})

    assert response.status_code == 200
    assert "belongs to another roadmap" in response.content.decode()
    item.refresh_from_db()
    assert item.section != foreign


def test_archive_action_hides_items_and_bumps_the_version(
    admin_client, django_capture_on_commit_callbacks
):
    items = [ItemFactory(), ItemFactory()]
    before = content_version()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:tracker_item_changelist"),
            {"action": "archive", "_selected_action": [items[0].pk]},
        )

    assert response.status_code == 302
    assert list(Item.objects.archived()) == [items[0]]
    assert content_version() > before


def test_follows_cannot_be_added_in_the_admin(admin_client):
    assert admin_client.get(reverse("admin:tracker_roadmapfollow_add")).status_code == 403


def test_learners_cannot_open_the_admin(learner_client):
    response = learner_client.get(reverse("admin:tracker_item_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize("model_name", ["item", "resource", "section", "roadmap"])
def test_content_changelists_cost_the_same_queries_for_5_and_60_rows(
    admin_client, model_name, django_assert_max_num_queries
):
    # session, user, count, filtered count, rows (+roadmap, section, item joined), the
    # roadmap and section filters' choices, and the admin's savepoints: under 14 at any size.
    counts = []
    for size in (5, 60):
        roadmap = RoadmapFactory()
        sections = [SectionFactory(roadmap=roadmap) for _ in range(3)]
        for n in range(size):
            item = ItemFactory(section=sections[n % 3])
            ResourceFactory(item=item)
        url = reverse(f"admin:tracker_{model_name}_changelist")
        admin_client.get(url)  # warm per-process caches (content types) before counting
        with django_assert_max_num_queries(14) as captured:
            assert admin_client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("model_name", ["item", "resource", "section"])
def test_content_change_pages_cost_the_same_queries_for_3_and_30_sections(
    admin_client, model_name, django_assert_max_num_queries
):
    counts = []
    for size in (3, 30):
        roadmap = RoadmapFactory()
        sections = [SectionFactory(roadmap=roadmap) for _ in range(size)]
        item = ItemFactory(section=sections[0])
        resource = ResourceFactory(item=item)
        obj = {"item": item, "resource": resource, "section": sections[0]}[model_name]
        url = reverse(f"admin:tracker_{model_name}_change", args=[obj.pk])
        admin_client.get(url)  # warm per-process caches (content types) before counting
        with django_assert_max_num_queries(20) as captured:
            assert admin_client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_saving_an_item_with_a_worker_queues_a_check_of_its_new_links(
    admin_client, django_capture_on_commit_callbacks, settings, monkeypatch
):
    from tracker import tasks

    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued = []
    monkeypatch.setattr(tasks.check_new_links, "apply_async", lambda *a, **k: queued.append(a))
    item = ItemFactory()
    change = reverse("admin:tracker_item_change", args=[item.pk])
    data = form_data(admin_client.get(change).content.decode(), "item_form")

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(change, {**data, "effort_hours": "7"})
        assert queued == []  # not before the commit: the worker must see the new URL

    assert queued == [((),)]


def test_saving_an_item_in_process_leaves_link_checks_to_the_schedule(
    admin_client, django_capture_on_commit_callbacks, monkeypatch, settings
):
    from tracker import tasks

    settings.CELERY_TASK_ALWAYS_EAGER = True  # the embedded default: no REDIS_URL, no worker
    queued = []
    monkeypatch.setattr(tasks.check_new_links, "apply_async", lambda *a, **k: queued.append(a))
    item = ItemFactory()
    change = reverse("admin:tracker_item_change", args=[item.pk])
    data = form_data(admin_client.get(change).content.decode(), "item_form")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(change, {**data, "effort_hours": "7"})

    assert response.status_code == 302
    assert queued == []


def test_the_link_health_list_shows_content_links_before_any_scheduled_check(client, db):
    ResourceFactory(url="https://example.org/guide")
    admin = UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    client.force_login(admin)

    page = client.get(reverse("admin:tracker_link_changelist")).content.decode()

    assert "https://example.org/guide" in page
    assert Link.objects.filter(url="https://example.org/guide").exists()


def test_admin_pages_carry_the_site_icon_so_browsers_do_not_ask_for_a_missing_one(
    admin_client,
):
    for name in ("admin:index", "admin:tracker_link_changelist"):
        page = admin_client.get(reverse(name)).content.decode()
        assert 'rel="icon"' in page and "favicon.svg" in page
        assert "Django administration" in page  # still the admin's own page


def test_the_admin_link_page_keeps_htmx_from_adding_a_style_the_csp_blocks(admin_client, db):
    ResourceFactory(url="https://example.org/guide")
    admin_client.get(reverse("admin:tracker_link_changelist"))  # lists the link
    link = Link.objects.get(url="https://example.org/guide")

    page = admin_client.get(reverse("admin:tracker_link_change", args=[link.id])).content.decode()

    head = page.split("</head>")[0]
    assert "includeIndicatorStyles" in head
    script = re.search(r"<script[^>]+htmx[^>]*\.js", head)
    assert script and head.index('name="htmx-config"') < script.start()  # read as htmx loads


def test_an_item_cannot_take_a_slug_that_names_a_roadmap_page(admin_client):
    # /roadmaps/<slug>/map/ is the map: an item slugged "map" could never be reached.
    item = ItemFactory(slug="attention")
    change = reverse("admin:tracker_item_change", args=[item.pk])
    data = form_data(admin_client.get(change).content.decode(), "item_form")

    response = admin_client.post(change, {**data, "slug": "map"})

    assert response.status_code == 200
    assert "“map” names a page of every roadmap" in response.content.decode()
    item.refresh_from_db()
    assert item.slug == "attention"
