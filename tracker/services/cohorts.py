"""Cohort writes: creating cohorts, invitations, joining, leaving and mentor management.

Every function raises `CohortError` with a sentence fit to show the user when the request
makes no sense (a learner who is not a mentor creating a cohort, an unknown email…).
"""

from datetime import date

from django.db import IntegrityError, transaction

from tracker.models import Cohort, CohortMilestone, Item, Membership, Roadmap, User
from tracker.models.cohorts import new_invite_code
from tracker.services.follows import follow_roadmap


class CohortError(Exception):
    """A cohort request that can't be carried out; the message is meant for the user."""


@transaction.atomic
def create_cohort(
    *,
    mentor: User,
    name: str,
    roadmap: Roadmap,
    starts_on: date | None = None,
    ends_on: date | None = None,
    projects_need_approval: bool = False,
) -> Cohort:
    """Create a cohort on `roadmap` with `mentor` as its first mentor."""
    if not mentor.is_mentor:
        raise CohortError("Only mentors can create cohorts. Ask an admin to make you a mentor.")
    if starts_on and ends_on and ends_on < starts_on:
        raise CohortError("The end date can't be before the start date.")
    cohort = Cohort.objects.create(
        name=name.strip(),
        roadmap=roadmap,
        starts_on=starts_on,
        ends_on=ends_on,
        projects_need_approval=projects_need_approval,
    )
    cohort.mentors.add(mentor)
    return cohort


def update_cohort(
    *, cohort: Cohort, name: str, projects_need_approval: bool | None = None
) -> Cohort:
    """Rename the cohort (its dates are its schedule: `set_schedule`); `projects_need_approval`
    None leaves that setting alone."""
    cohort.name = name.strip()
    fields = ["name"]
    if projects_need_approval is not None:
        cohort.projects_need_approval = projects_need_approval
        fields.append("projects_need_approval")
    cohort.save(update_fields=fields)
    return cohort


@transaction.atomic
def set_schedule(
    *,
    cohort: Cohort,
    starts_on: date | None,
    ends_on: date | None,
    milestones: list[tuple[int, Item]],
) -> Cohort:
    """Replace the cohort's dates and week-by-week target items (week number, item).

    Saving the cohort refreshes its members' cached pages (page_cache's cohort hook), whose
    plans aim for these dates."""
    if starts_on and ends_on and ends_on < starts_on:
        raise CohortError("The finish date can't be before the start date.")
    if milestones and not starts_on:
        raise CohortError("Week targets count from the start date: set one.")
    CohortMilestone.objects.filter(cohort=cohort).delete()
    CohortMilestone.objects.bulk_create(
        CohortMilestone(cohort=cohort, week_number=week, item=item) for week, item in milestones
    )
    cohort.starts_on, cohort.ends_on = starts_on, ends_on
    cohort.save(update_fields=["starts_on", "ends_on"])
    return cohort


def regenerate_invite_code(*, cohort: Cohort) -> str:
    """Give the cohort a new invite code; links with the old one stop working at once."""
    cohort.invite_code = new_invite_code()
    cohort.save(update_fields=["invite_code"])
    return cohort.invite_code


@transaction.atomic
def join_cohort(*, learner: User, code: str, share_notes: bool = False) -> Membership:
    """Add `learner` to the cohort whose invite code is `code`, and follow its roadmap (the
    last in their order), so the cohort's work is on their dashboard and in their plan.

    Joining twice is harmless: the existing membership comes back unchanged.
    """
    try:
        cohort = Cohort.objects.get(invite_code=code)
    except Cohort.DoesNotExist:
        raise CohortError(
            "This invite link is not valid any more. Ask your mentor for a new one."
        ) from None
    if cohort.mentors.filter(pk=learner.pk).exists():
        raise CohortError("You mentor this cohort, so you can't also join it as a learner.")
    try:
        # A savepoint, so a concurrent double-click's IntegrityError leaves the outer
        # transaction usable and we can return the row the other request wrote.
        with transaction.atomic():
            membership, _ = Membership.objects.get_or_create(
                cohort=cohort, learner=learner, defaults={"share_notes": share_notes}
            )
    except IntegrityError:
        membership = Membership.objects.get(cohort=cohort, learner=learner)
    follow_roadmap(learner=learner, roadmap=cohort.roadmap)
    return membership


def leave_cohort(*, learner: User, cohort: Cohort) -> None:
    """The learner leaves; mentors stop seeing their data immediately."""
    Membership.objects.filter(cohort=cohort, learner=learner).delete()


def remove_learner(*, cohort: Cohort, learner: User) -> None:
    """A mentor removes a learner. They can rejoin only with a current invite link."""
    Membership.objects.filter(cohort=cohort, learner=learner).delete()


def set_share_notes(*, membership: Membership, share_notes: bool) -> Membership:
    membership.share_notes = share_notes
    membership.save(update_fields=["share_notes"])
    return membership


def add_mentor(*, cohort: Cohort, email: str) -> User:
    """Add another mentor by email. They must already have an account with the mentor role."""
    email = email.strip()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        raise CohortError(f"No account uses {email}. Ask them to sign up first.")
    if not user.is_mentor:
        raise CohortError(f"{email} is not a mentor yet. An admin can give them the mentor role.")
    if cohort.memberships.filter(learner=user).exists():
        raise CohortError(f"{email} is a learner in this cohort, so they can't also mentor it.")
    cohort.mentors.add(user)
    return user
