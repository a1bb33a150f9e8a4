"""Findings of the security review, each pinned by a test: what one user must never see of
another's, and what the cached pages must never mix up."""

import pytest
from django.test import Client

from tests.factories import ItemFactory, SectionFactory
from tracker.services.follows import follow_roadmap
from tracker.services.progress import set_status


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_mentor_sees_no_item_of_the_learners_other_roadmaps_in_their_plan(
    mentor, learner, cohort
):
    # The join page promises mentors never see "your other roadmaps' progress"; the study
    # plan on the mentor's page of the learner covers every roadmap the learner follows.
    private = SectionFactory(title="Private studies")
    secret = ItemFactory(section=private, slug="secret-item", title="Secret side project")
    follow_roadmap(learner=learner, roadmap=private.roadmap)
    follow_roadmap(learner=learner, roadmap=cohort.roadmap)
    set_status(learner=learner, item=secret, status="in_progress")

    page = client_for(mentor).get(f"/cohorts/{cohort.pk}/learners/{learner.pk}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Cohort item 0" in html  # the cohort's own roadmap still shows in the plan
    assert "Secret side project" not in html
