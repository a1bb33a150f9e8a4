import factory
from factory.django import DjangoModelFactory

from tracker.models import Item, Progress, Resource, Roadmap, Section, Status, User


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class RoadmapFactory(DjangoModelFactory):
    class Meta:
        model = Roadmap
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"roadmap-{n}")
    title = factory.Sequence(lambda n: f"Roadmap {n}")


class SectionFactory(DjangoModelFactory):
    class Meta:
        model = Section

    roadmap = factory.SubFactory(RoadmapFactory)
    slug = factory.Sequence(lambda n: f"section-{n}")
    kind = Section.Kind.LEVEL
    level = "beginner"
    title = factory.Sequence(lambda n: f"Section {n}")
    order = factory.Sequence(lambda n: n)


class ItemFactory(DjangoModelFactory):
    class Meta:
        model = Item

    section = factory.SubFactory(SectionFactory)
    roadmap = factory.SelfAttribute("section.roadmap")
    slug = factory.Sequence(lambda n: f"item-{n}")
    kind = Item.Kind.CONCEPT
    level = "beginner"
    title = factory.Sequence(lambda n: f"Item {n}")
    effort_hours = 4
    order = factory.Sequence(lambda n: n)


class ResourceFactory(DjangoModelFactory):
    class Meta:
        model = Resource

    item = factory.SubFactory(ItemFactory)
    roadmap = factory.SelfAttribute("item.roadmap")
    key = factory.Sequence(lambda n: f"resource-{n}")
    title = factory.Sequence(lambda n: f"Resource {n}")
    url = factory.Sequence(lambda n: f"https://example.org/resource/{n}")
    kind = Resource.Kind.ARTICLE


class ProgressFactory(DjangoModelFactory):
    class Meta:
        model = Progress

    learner = factory.SubFactory(UserFactory)
    item = factory.SubFactory(ItemFactory)
    status = Status.DONE
