"""Project reviews: a learner submits a project, their cohort's mentor approves it or asks for
changes, the learner sees the feedback and gets an email, and the history stays.

Personas: `mentor` (Bob) mentors `cohort`; `learner` (Alice) is in it; `outsider` (Charlie) is
in Dora's cohort; `other_mentor` (Dora) mentors that other cohort on another roadmap.
"""

from html import unescape

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from tests.builders import client_for
from tests.factories import ItemFactory, RoadmapFactory, SectionFactory, UserFactory
from tracker.models import (
    Cohort,
    Item,
    Membership,
    Progress,
    ProjectReview,
    ProjectSubmission,
    Section,
    Status,
    SubmissionState,
)
from tracker.services import project_reviews as services
from tracker.services.progress import set_status

pytestmark = pytest.mark.django_db

REPO = "https://github.com/alice/chatbot"


@pytest.fixture
def project(cohort):
    """A project of the cohort's roadmap."""
    section = SectionFactory(roadmap=cohort.roadmap, kind=Section.Kind.PROJECTS, level="")
    return ItemFactory(section=section, kind=Item.Kind.PROJECT, slug="chatbot", title="Chatbot")


@pytest.fixture
def other_mentor(db):
    return UserFactory(email="dora@example.com", display_name="Dora", is_mentor=True)


@pytest.fixture
def other_cohort(other_mentor, outsider):
    """Dora's cohort on another roadmap, with Charlie in it."""
    section = SectionFactory(kind=Section.Kind.PROJECTS, level="")
    ItemFactory(section=section, slug="other-project", kind=Item.Kind.PROJECT)
    cohort = Cohort.objects.create(name="Autumn cohort", roadmap=section.roadmap)
    cohort.mentors.add(other_mentor)
    Membership.objects.create(cohort=cohort, learner=outsider)
    return cohort


def submit_url(item) -> str:
    return reverse("submit_project", args=[item.roadmap.slug, item.slug])


def decide_url(submission) -> str:
    return reverse("review_decide", args=[submission.pk])


def submit(client, item, **data):
    return client.post(submit_url(item), {"repo_url": REPO, "writeup": "It works.", **data})


def needs_approval(cohort):
    cohort.projects_need_approval = True
    cohort.save()


def status_of(learner, item) -> str:
    row = Progress.objects.filter(learner=learner, item=item).first()
    return row.status if row else Status.NOT_STARTED


# ---- the learner submits ------------------------------------------------------------------------


def test_learner_submits_a_project_and_it_waits_in_the_mentors_queue(learner, mentor, project):
    alice = client_for(learner)
    page = alice.get(project.get_absolute_url()).content.decode()
    assert 'id="project-review"' in page
    assert "Submit for review" in page

    response = submit(alice, project)

    assert response.status_code == 302
    assert response["Location"] == project.get_absolute_url() + "#project-review"
    submission = ProjectSubmission.objects.get()
    assert (submission.learner, submission.item, submission.state) == (
        learner,
        project,
        SubmissionState.PENDING,
    )
    page = alice.get(response["Location"]).content.decode()
    assert "is submitted for review" in page
    assert "Waiting for a mentor since" in page
    queue = client_for(mentor).get("/cohorts/reviews/").content.decode()
    assert "Reviews (1)" in queue
    assert "Alice: <a" in queue and "Chatbot" in queue and REPO in queue


def test_the_form_shows_its_limits_and_prefills_the_project_link(learner, project):
    set_status(learner=learner, item=project, status=Status.IN_PROGRESS)
    Progress.objects.filter(learner=learner).update(project_url="https://github.com/alice/old")
    page = client_for(learner).get(project.get_absolute_url()).content.decode()
    review = page[page.index('id="project-review"') :]
    assert 'maxlength="5000"' in review and "Up to 5,000 characters." in review
    assert 'maxlength="500"' in review and "up to 500 characters" in review
    assert 'value="https://github.com/alice/old"' in review


def test_no_review_block_outside_a_cohort_or_on_items_that_are_not_projects(
    learner, outsider, project, cohort
):
    concept = cohort.roadmap.items.exclude(kind=Item.Kind.PROJECT).first()
    assert (
        'id="project-review"'
        not in client_for(learner).get(concept.get_absolute_url()).content.decode()
    )
    page = client_for(outsider).get(project.get_absolute_url()).content.decode()
    assert 'id="project-review"' not in page
    assert submit(client_for(outsider), project).status_code == 404
    assert submit(client_for(learner), concept).status_code == 404
    assert not ProjectSubmission.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"writeup": "x" * 5001}, "A write-up can be up to 5,000 characters; this one has 5,001."),
        ({"repo_url": "https://e.org/" + "a" * 500}, "A link can be up to 500 characters"),
        ({"repo_url": "javascript:alert(1)"}, "Enter a web address starting with http://"),
        ({"repo_url": ""}, "Add the link to your repository."),
    ],
)
def test_bad_input_is_refused_with_the_form_shown_again(learner, project, data, message):
    response = submit(client_for(learner), project, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ProjectSubmission.objects.exists()


def test_a_second_submission_waits_for_the_first_decision(learner, project):
    alice = client_for(learner)
    submit(alice, project)
    response = submit(alice, project, writeup="again")
    assert "already waiting for review" in alice.get(response["Location"]).content.decode()
    assert ProjectSubmission.objects.count() == 1
    # The database holds the rule too: two racing requests can't both queue one.
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectSubmission.objects.create(learner=learner, item=project, repo_url=REPO)


def test_hostile_markdown_is_rendered_harmless_for_the_mentor_and_the_learner(
    learner, mentor, project
):
    hostile = (
        "<script>alert(1)</script> [click](javascript:alert(2)) "
        "![pixel](https://tracker.example/p.png) [fine](https://example.org)"
    )
    submit(client_for(learner), project, writeup=hostile)
    for page in (
        client_for(mentor).get("/cohorts/reviews/").content.decode(),
        client_for(learner).get(project.get_absolute_url()).content.decode(),
    ):
        assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
        assert 'href="javascript:' not in page
        assert "<img" not in page.split('id="project-review"')[-1].split("review-writeup")[-1]
        assert 'href="https://example.org" rel="nofollow ugc noopener noreferrer"' in page


# ---- the mentor decides ------------------------------------------------------------------------


def test_mentor_approves_and_the_learner_sees_it_and_gets_an_email(
    learner, mentor, project, mailoutbox, django_capture_on_commit_callbacks
):
    submit(client_for(learner), project)
    submission = ProjectSubmission.objects.get()
    bob = client_for(mentor)

    with django_capture_on_commit_callbacks(execute=True):
        response = bob.post(decide_url(submission), {"decision": "approved", "comment": "**Nice**"})

    assert response.status_code == 302
    assert "Alice's “Chatbot” is approved" in unescape(
        bob.get(response["Location"]).content.decode()
    )
    submission.refresh_from_db()
    assert submission.state == SubmissionState.APPROVED and submission.decided_at
    assert submission.review.mentor == mentor
    [email] = mailoutbox
    assert email.to == [learner.email]
    assert email.subject == "Your project “Chatbot” is approved"
    assert f"{settings.SITE_URL}{project.get_absolute_url()}#project-review" in email.body
    assert "**Nice**" in email.body and "Bob approved" in email.body
    page = client_for(learner).get(project.get_absolute_url()).content.decode()
    assert "✓ Approved" in page and "<strong>Nice</strong>" in page
    assert "Approved: nothing more to do" in page and "Submit again" not in page
    alice = client_for(learner)
    response = submit(alice, project)
    assert "already approved" in alice.get(response["Location"]).content.decode()
    assert ProjectSubmission.objects.count() == 1


def test_asking_for_changes_needs_a_comment(learner, mentor, project, mailoutbox):
    submit(client_for(learner), project)
    submission = ProjectSubmission.objects.get()
    bob = client_for(mentor)

    response = bob.post(decide_url(submission), {"decision": "changes_requested", "comment": " "})

    assert "a comment is needed" in bob.get(response["Location"]).content.decode()
    submission.refresh_from_db()
    assert submission.state == SubmissionState.PENDING
    assert not ProjectReview.objects.exists() and mailoutbox == []
    with pytest.raises(services.ReviewError):
        services.decide_submission(
            mentor=mentor, submission=submission, decision="changes_requested", comment=""
        )


def test_a_comment_over_the_limit_is_refused(learner, mentor, project):
    submit(client_for(learner), project)
    submission = ProjectSubmission.objects.get()
    bob = client_for(mentor)
    response = bob.post(
        decide_url(submission), {"decision": "changes_requested", "comment": "x" * 5001}
    )
    assert (
        "A comment can be up to 5,000 characters" in bob.get(response["Location"]).content.decode()
    )
    assert not ProjectReview.objects.exists()
    page = bob.get("/cohorts/reviews/").content.decode()
    assert 'maxlength="5000"' in page and "Up to 5,000 characters." in page


def test_a_decided_submission_cannot_be_decided_twice(
    learner, mentor, project, cohort, other_mentor, mailoutbox, django_capture_on_commit_callbacks
):
    cohort.mentors.add(other_mentor)
    submit(client_for(learner), project)
    submission = ProjectSubmission.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(mentor).post(decide_url(submission), {"decision": "approved"})
        dora = client_for(other_mentor)
        response = dora.post(
            decide_url(submission), {"decision": "changes_requested", "comment": "no"}
        )

    assert response.status_code == 302
    page = unescape(dora.get(response["Location"]).content.decode())
    assert "This submission was already decided (approved, by Bob)." in page
    submission.refresh_from_db()
    assert submission.state == SubmissionState.APPROVED
    assert ProjectReview.objects.count() == 1 and len(mailoutbox) == 1


def test_changes_then_a_resubmission_keeps_the_whole_history(
    learner, mentor, project, mailoutbox, django_capture_on_commit_callbacks
):
    alice, bob = client_for(learner), client_for(mentor)
    submit(alice, project, repo_url=REPO + "-v1")
    first = ProjectSubmission.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        bob.post(decide_url(first), {"decision": "changes_requested", "comment": "Add *tests*."})
    assert mailoutbox[0].subject == "Changes requested on your project “Chatbot”"
    assert "Add *tests*." in mailoutbox[0].body

    page = alice.get(project.get_absolute_url()).content.decode()
    assert "↻ Changes requested" in page and "Add <em>tests</em>." in page
    assert "Submit again" in page

    submit(alice, project, repo_url=REPO + "-v2")
    queue = bob.get("/cohorts/reviews/").content.decode()
    assert REPO + "-v2" in queue
    assert "Earlier submissions (1)" in queue and "Add <em>tests</em>." in queue
    second = ProjectSubmission.objects.get(state=SubmissionState.PENDING)
    bob.post(decide_url(second), {"decision": "approved"})

    assert ProjectSubmission.objects.count() == 2
    first.refresh_from_db()
    assert first.state == SubmissionState.CHANGES_REQUESTED  # the old row stays as it was
    page = alice.get(project.get_absolute_url()).content.decode()
    assert "Your submissions (2)" in page
    assert REPO + "-v1" in page and REPO + "-v2" in page


def test_the_queue_is_oldest_first_and_filters_by_cohort(
    learner, mentor, project, cohort, outsider, other_cohort
):
    # Bob also mentors Dora's cohort; Charlie submits there first.
    other_cohort.mentors.add(mentor)
    other_project = other_cohort.roadmap.items.get(slug="other-project")
    submit(client_for(outsider), other_project)
    submit(client_for(learner), project)
    bob = client_for(mentor)

    page = bob.get("/cohorts/reviews/").content.decode()
    assert "Reviews (2)" in page
    assert page.index("Charlie: <a") < page.index("Alice: <a")

    response = bob.get(f"/cohorts/reviews/?cohort={cohort.pk}")
    assert response["Location"] == f"/cohorts/{cohort.pk}/reviews/"
    page = bob.get(response["Location"]).content.decode()
    assert "Alice: <a" in page and "Charlie: <a" not in page
    assert bob.get(f"/cohorts/reviews/?cohort={other_cohort.pk + 99}").status_code == 404
    assert bob.get("/cohorts/reviews/?cohort=x").status_code == 404


def test_a_learner_who_leaves_the_cohort_leaves_the_queue(learner, mentor, project, cohort):
    submit(client_for(learner), project)
    submission = ProjectSubmission.objects.get()
    Membership.objects.filter(learner=learner).delete()
    bob = client_for(mentor)
    assert "Alice" not in bob.get("/cohorts/reviews/").content.decode()
    assert bob.post(decide_url(submission), {"decision": "approved"}).status_code == 404


# ---- approval required: what "done" means -------------------------------------------------


def test_without_the_setting_reviews_are_feedback_and_leave_the_status_alone(
    learner, mentor, project
):
    alice = client_for(learner)
    alice.post(
        reverse("set_item_status", args=[project.roadmap.slug, project.slug]), {"status": "done"}
    )
    assert status_of(learner, project) == Status.DONE
    submit(alice, project)
    submission = ProjectSubmission.objects.get()
    client_for(mentor).post(
        decide_url(submission), {"decision": "changes_requested", "comment": "More."}
    )
    assert status_of(learner, project) == Status.DONE


def test_with_the_setting_done_is_refused_and_approval_marks_the_project_done(
    learner, mentor, project, cohort
):
    needs_approval(cohort)
    alice = client_for(learner)
    status_url = reverse("set_item_status", args=[project.roadmap.slug, project.slug])

    page = alice.get(project.get_absolute_url()).content.decode()
    assert f'id="status-{project.id}-done" href="#project-review">Submit for review</a>' in page
    assert 'value="done"' not in page
    assert "a project counts as done when a mentor approves it" in page

    response = alice.post(status_url, {"status": "done"})
    assert response["Location"] == project.get_absolute_url() + "#project-review"
    assert (
        "counts as done once a mentor approves it"
        in alice.get(response["Location"]).content.decode()
    )
    response = alice.post(status_url, {"status": "done"}, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == project.get_absolute_url() + "#project-review"
    assert status_of(learner, project) == Status.NOT_STARTED
    # Other statuses are the learner's to set, and the item page keeps its review link.
    response = alice.post(
        status_url, {"status": "in_progress", "place": "item"}, HTTP_HX_REQUEST="true"
    )
    assert "Submit for review</a>" in response.content.decode()

    submit(alice, project)
    assert status_of(learner, project) == Status.IN_PROGRESS
    submission = ProjectSubmission.objects.get()
    bob = client_for(mentor)
    bob.post(decide_url(submission), {"decision": "changes_requested", "comment": "Tests?"})
    assert status_of(learner, project) == Status.IN_PROGRESS
    submit(alice, project)
    bob.post(decide_url(ProjectSubmission.objects.get(state="pending")), {"decision": "approved"})
    assert status_of(learner, project) == Status.DONE
    page = alice.get(project.get_absolute_url()).content.decode()
    assert "✓ Done: approved" in page


def test_approval_is_needed_if_any_of_the_learners_cohorts_needs_it(
    learner, mentor, project, cohort
):
    relaxed = Cohort.objects.create(name="Relaxed", roadmap=cohort.roadmap)
    Membership.objects.create(cohort=relaxed, learner=learner)
    needs_approval(cohort)
    url = reverse("set_item_status", args=[project.roadmap.slug, project.slug])
    client_for(learner).post(url, {"status": "done"})
    assert status_of(learner, project) == Status.NOT_STARTED


def test_a_shared_topic_twin_is_the_same_project_for_review_and_status(learner, mentor, cohort):
    """Alice submits on another roadmap's twin of her cohort's project: Bob reviews it, and
    approval marks both done (one status everywhere)."""
    needs_approval(cohort)
    mine = ItemFactory(
        section=SectionFactory(roadmap=cohort.roadmap, kind=Section.Kind.PROJECTS, level=""),
        kind=Item.Kind.PROJECT,
        topic="rag-app",
        title="RAG app",
    )
    elsewhere = ItemFactory(
        section=SectionFactory(roadmap=RoadmapFactory(), kind=Section.Kind.PROJECTS, level=""),
        kind=Item.Kind.PROJECT,
        topic="rag-app",
        title="RAG app (elsewhere)",
    )
    alice = client_for(learner)
    assert 'id="project-review"' in alice.get(elsewhere.get_absolute_url()).content.decode()
    submit(alice, elsewhere)
    assert submit(alice, mine).status_code == 302
    assert ProjectSubmission.objects.count() == 1  # one waits, whichever page it came from

    submission = ProjectSubmission.objects.get()
    assert "RAG app (elsewhere)" in client_for(mentor).get("/cohorts/reviews/").content.decode()
    client_for(mentor).post(decide_url(submission), {"decision": "approved"})
    assert status_of(learner, mine) == status_of(learner, elsewhere) == Status.DONE
    assert "Your submissions (1)" in alice.get(mine.get_absolute_url()).content.decode()


def test_the_setting_is_in_the_cohort_settings_form(mentor, cohort):
    bob = client_for(mentor)
    page = bob.get(f"/cohorts/{cohort.pk}/settings/").content.decode()
    assert "projects count as done only when a mentor approves them" in page.lower()
    bob.post(
        f"/cohorts/{cohort.pk}/settings/",
        {"name": cohort.name, "projects_need_approval": "on"},
    )
    cohort.refresh_from_db()
    assert cohort.projects_need_approval


# ---- who may see what ---------------------------------------------------------------------------


def _persona(name, request):
    return None if name == "anonymous" else request.getfixturevalue(name)


@pytest.fixture
def pending(learner, project, other_cohort):
    return services.submit_project(learner=learner, item=project, repo_url=REPO)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("mentor", 200),
        ("other_mentor", 404),
        ("learner", 404),
        ("outsider", 404),
        ("anonymous", 302),
    ],
)
def test_cohort_review_queue_matrix(request, cohort, pending, persona, expected):
    response = client_for_persona(_persona(persona, request)).get(f"/cohorts/{cohort.pk}/reviews/")
    assert response.status_code == expected
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize(
    ("persona", "expected", "sees_alice"),
    [
        ("mentor", 200, True),
        ("other_mentor", 200, False),  # Dora's own (empty) queue, never Bob's learners
        ("learner", 404, False),
        ("outsider", 404, False),
        ("anonymous", 302, False),
    ],
)
def test_review_queue_matrix(request, pending, persona, expected, sees_alice):
    response = client_for_persona(_persona(persona, request)).get("/cohorts/reviews/")
    assert response.status_code == expected
    assert (REPO in response.content.decode()) is sees_alice
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("other_mentor", 404), ("learner", 404), ("outsider", 404), ("anonymous", 302)],
)
def test_decision_matrix(request, pending, persona, expected, mailoutbox):
    response = client_for_persona(_persona(persona, request)).post(
        decide_url(pending), {"decision": "approved"}
    )
    assert response.status_code == expected
    pending.refresh_from_db()
    assert pending.state == SubmissionState.PENDING and mailoutbox == []


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("mentor", 404), ("other_mentor", 404), ("outsider", 404), ("anonymous", 302)],
)
def test_submit_matrix(request, project, other_cohort, persona, expected):
    response = client_for_persona(_persona(persona, request)).post(
        submit_url(project), {"repo_url": REPO}
    )
    assert response.status_code == expected
    assert not ProjectSubmission.objects.exists()


def client_for_persona(user) -> Client:
    return Client() if user is None else client_for(user)


def test_decisions_and_submissions_refuse_get_and_a_post_without_the_csrf_token(
    learner, mentor, project, pending
):
    for user, url in ((mentor, decide_url(pending)), (learner, submit_url(project))):
        assert client_for(user).get(url).status_code == 405
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(user)
        assert strict.post(url, {"decision": "approved", "repo_url": REPO}).status_code == 403
    pending.refresh_from_db()
    assert pending.state == SubmissionState.PENDING
    assert ProjectSubmission.objects.count() == 1


# ---- the menu's count and query budgets ---------------------------------------------------


def test_only_mentors_see_the_reviews_count_in_the_menu(learner, mentor, pending):
    assert "Reviews (1)" in client_for(mentor).get("/cohorts/").content.decode()
    assert "/cohorts/reviews/" not in client_for(learner).get("/cohorts/").content.decode()


def test_a_new_submission_refreshes_the_mentors_cached_pages(learner, mentor, project):
    bob = client_for(mentor)
    response = bob.get("/")
    assert "Reviews (0)" in response.content.decode()
    services.submit_project(learner=learner, item=project, repo_url=REPO)
    again = bob.get("/", headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 200 and "Reviews (1)" in again.content.decode()


def test_the_count_is_one_query_per_request_for_mentors_and_none_for_learners(
    learner, mentor, pending, rf, django_assert_num_queries
):
    from tracker.selectors.project_reviews import pending_count

    request = rf.get("/")
    request.user = mentor
    with django_assert_num_queries(1):
        assert pending_count(request) == 1
        assert pending_count(request) == 1  # asked again by the menu: no second query
    request = rf.get("/")
    request.user = learner
    with django_assert_num_queries(0):
        assert pending_count(request) is None


@pytest.mark.parametrize("n", [2, 12])
def test_the_queue_page_runs_a_fixed_number_of_queries(
    mentor, cohort, project, n, django_assert_max_num_queries
):
    for _ in range(n):
        learner = UserFactory()
        Membership.objects.create(cohort=cohort, learner=learner)
        first = services.submit_project(learner=learner, item=project, repo_url=REPO)
        services.decide_submission(
            mentor=mentor, submission=first, decision="changes_requested", comment="More"
        )
        services.submit_project(learner=learner, item=project, repo_url=REPO + "/2")
    bob = client_for(mentor)
    # session, user, the menu's count, the mentor's cohorts, the page count, the page of
    # submissions, their earlier submissions with reviews.
    with django_assert_max_num_queries(7):
        page = bob.get("/cohorts/reviews/").content.decode()
    assert page.count('class="panel review-entry"') == n


def test_a_project_page_adds_two_queries_for_a_cohort_learner(
    learner, project, django_assert_max_num_queries
):
    # Item page (9 signed in, tests/test_pages.py) plus the learner's cohorts holding the
    # project and their submissions of it.
    alice = client_for(learner)
    with django_assert_max_num_queries(11):
        assert alice.get(project.get_absolute_url()).status_code == 200
