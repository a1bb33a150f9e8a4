from datetime import UTC, datetime, timedelta

import factory
from factory.django import DjangoModelFactory

from tracker.models import (
    Cohort,
    Decision,
    Item,
    Membership,
    Nudge,
    Progress,
    ProjectReview,
    ProjectSubmission,
    Rating,
    Resource,
    ReviewCard,
    ReviewLog,
    Roadmap,
    Section,
    Status,
    SubmissionState,
    User,
    WeekPlan,
)
from tracker.models.review_cards import topic_key

# Fixed dates, so an export's timestamps can be compared with what a test wrote.
WHEN = datetime(2026, 3, 2, 18, tzinfo=UTC)


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


class CohortFactory(DjangoModelFactory):
    class Meta:
        model = Cohort
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Cohort {n}")
    roadmap = factory.SubFactory(RoadmapFactory)

    @factory.post_generation
    def mentors(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.mentors.add(*extracted)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    cohort = factory.SubFactory(CohortFactory)
    learner = factory.SubFactory(UserFactory)
    joined_at = WHEN


class WeekPlanFactory(DjangoModelFactory):
    """A stored week; `entries` name the items as the planner does (id, copied title, hours)."""

    class Meta:
        model = WeekPlan

    learner = factory.SubFactory(UserFactory)
    week_start = factory.Sequence(lambda n: (WHEN + timedelta(weeks=n)).date())
    weekly_hours = 5
    entries = factory.LazyFunction(list)


class NudgeFactory(DjangoModelFactory):
    class Meta:
        model = Nudge

    cohort = factory.SubFactory(CohortFactory)
    mentor = factory.SubFactory(UserFactory, is_mentor=True)
    learner = factory.SubFactory(UserFactory)
    message = factory.Sequence(lambda n: f"Nudge {n}: try the next item")
    created_at = WHEN


class ProjectSubmissionFactory(DjangoModelFactory):
    class Meta:
        model = ProjectSubmission

    learner = factory.SubFactory(UserFactory)
    item = factory.SubFactory(ItemFactory, kind=Item.Kind.PROJECT)
    cohort = factory.SubFactory(CohortFactory, roadmap=factory.SelfAttribute("..item.roadmap"))
    repo_url = factory.Sequence(lambda n: f"https://github.com/learner/project-{n}")
    state = SubmissionState.PENDING
    submitted_at = WHEN


class ProjectReviewFactory(DjangoModelFactory):
    """A mentor's decision; the submission's state and date follow it, as the service sets them."""

    class Meta:
        model = ProjectReview

    submission = factory.SubFactory(
        ProjectSubmissionFactory, state=factory.SelfAttribute("..decision"), decided_at=WHEN
    )
    mentor = factory.SubFactory(UserFactory, is_mentor=True)
    decision = Decision.APPROVED
    comment = "Looks good."
    created_at = WHEN


class ReviewCardFactory(DjangoModelFactory):
    class Meta:
        model = ReviewCard

    learner = factory.SubFactory(UserFactory)
    item = factory.SubFactory(ItemFactory)
    topic_key = factory.LazyAttribute(lambda card: topic_key(card.item))
    stability = 3.2
    difficulty = 5.0
    due = WHEN + timedelta(days=3)
    last_review = WHEN
    reps = 0


class ReviewLogFactory(DjangoModelFactory):
    class Meta:
        model = ReviewLog

    card = factory.SubFactory(ReviewCardFactory)
    rating = Rating.GOOD
    reviewed_at = WHEN + timedelta(days=3)
    next_due = WHEN + timedelta(days=10)
