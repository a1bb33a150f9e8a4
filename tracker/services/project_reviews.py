"""Writes for project reviews: a learner submits, a mentor decides, the learner gets an email.

In a cohort where projects need approval, approval is what marks a project done: the decision
goes through `progress.set_status`, so the project's shared-topic twins and cached pages follow.
"""

import logging
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from tracker.models import (
    Decision,
    Item,
    Progress,
    ProjectReview,
    ProjectSubmission,
    Status,
    SubmissionState,
    User,
)
from tracker.selectors import project_reviews as reads
from tracker.services.progress import set_status

logger = logging.getLogger(__name__)


class ReviewError(Exception):
    """A review request that can't be carried out; the message is meant for the user."""


def _submissions_of(learner: User, item: Item):
    same = Q(item=item)
    if item.topic:
        same |= Q(item__topic=item.topic)
    return ProjectSubmission.objects.filter(same, learner=learner)


@transaction.atomic
def submit_project(
    *, learner: User, item: Item, repo_url: str, writeup: str = ""
) -> ProjectSubmission:
    """Queue the learner's project for their cohort's mentors. A resubmission is a new row;
    one submission of a project (or its twins) waits at a time, and none follows approval.

    Where approval is required, submitting a project not yet started puts it in progress.
    """
    cohorts = reads.review_cohorts(learner, item)
    if not cohorts:
        raise ReviewError(
            "Only projects of your cohort's roadmap can be submitted for review. "
            "Join the cohort first."
        )
    waiting = "This project is already waiting for review; your mentor will get to it."
    latest = _submissions_of(learner, item).order_by("-submitted_at", "-id").first()
    if latest and latest.state == SubmissionState.PENDING:
        raise ReviewError(waiting)
    if latest and latest.state == SubmissionState.APPROVED:
        raise ReviewError("This project is already approved: nothing more to submit.")
    try:
        # A savepoint: a double click's IntegrityError must leave the transaction usable.
        with transaction.atomic():
            submission = ProjectSubmission.objects.create(
                learner=learner,
                item=item,
                cohort=cohorts[0],
                repo_url=repo_url,
                writeup=writeup.replace("\r\n", "\n"),
            )
    except IntegrityError:
        raise ReviewError(waiting) from None
    if reads.approval_required(cohorts):
        status = (
            Progress.objects.filter(learner=learner, item=item)
            .values_list("status", flat=True)
            .first()
        )
        if status in (None, Status.NOT_STARTED, Status.SKIPPED):
            set_status(learner=learner, item=item, status=Status.IN_PROGRESS)
    return submission


@transaction.atomic
def decide_submission(
    *, mentor: User, submission: ProjectSubmission, decision: str, comment: str = ""
) -> ProjectReview:
    """Record the mentor's decision once; a second decision (another tab, a double click, a
    co-mentor) raises ReviewError saying who decided first.

    Where the learner's cohorts require approval, approval sets the project done and a request
    for changes sets it in progress. The learner is emailed once the decision commits.
    """
    decision = Decision(decision)
    comment = comment.replace("\r\n", "\n").strip()
    if decision == Decision.CHANGES_REQUESTED and not comment:
        raise ReviewError("Say what should change: a comment is needed to ask for changes.")
    # The lock makes two mentors deciding at once take turns; the second sees the first.
    locked = ProjectSubmission.objects.select_for_update().get(pk=submission.pk)
    if locked.state != SubmissionState.PENDING:
        earlier = ProjectReview.objects.select_related("mentor").filter(submission=locked).first()
        who = earlier.mentor.name if earlier and earlier.mentor else "a mentor"
        state = locked.get_state_display().lower()
        raise ReviewError(f"This submission was already decided ({state}, by {who}).")
    now = timezone.now()
    review = ProjectReview.objects.create(
        submission=locked, mentor=mentor, decision=decision, comment=comment, created_at=now
    )
    locked.state = SubmissionState(decision.value)
    locked.decided_at = now
    locked.save(update_fields=["state", "decided_at"])
    item = submission.item
    if reads.approval_required(reads.review_cohorts(locked.learner, item)):
        status = Status.DONE if decision == Decision.APPROVED else Status.IN_PROGRESS
        set_status(learner=locked.learner, item=item, status=status)
    transaction.on_commit(partial(send_decision_email, review_id=review.pk), robust=True)
    return review


def send_decision_email(*, review_id: int) -> None:
    """Email the learner the mentor's decision, with a link back to the project's page."""
    review = ProjectReview.objects.select_related(
        "mentor", "submission__learner", "submission__item__roadmap"
    ).get(pk=review_id)
    submission = review.submission
    item = submission.item
    context = {
        "review": review,
        "submission": submission,
        "item": item,
        "learner": submission.learner,
        "item_url": f"{settings.SITE_URL}{item.get_absolute_url()}#project-review",
        "approved": review.decision == Decision.APPROVED,
    }
    if context["approved"]:
        subject = f"Your project “{item.title}” is approved"
    else:
        subject = f"Changes requested on your project “{item.title}”"
    body = render_to_string("email/project_review.txt", context)
    EmailMessage(subject=subject, body=body, to=[submission.learner.email]).send()
    logger.info("project review emailed", extra={"review": review_id})
