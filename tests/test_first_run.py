"""The first-run step: a new learner chooses the roadmaps they follow; nothing is followed for
them. Personas: `learner` (Alice) has just signed up and follows nothing yet.
"""

import pytest
from django.urls import reverse

from tests.factories import ItemFactory, RoadmapFactory
from tracker.models import RoadmapFollow, User

PASSWORD = "a-long-unusual-passphrase"


@pytest.fixture
def roadmaps(db):
    """Two active roadmaps (LLM with 3 items of 2 h, MLOps with 1 of 5 h) and an archived one."""
    llm = RoadmapFactory(slug="llm", title="LLM", order=0)
    for n in range(3):
        ItemFactory(section__roadmap=llm, slug=f"llm-{n}", effort_hours=2, order=n)
    mlops = RoadmapFactory(slug="mlops", title="MLOps", order=1)
    ItemFactory(section__roadmap=mlops, slug="deploy", effort_hours=5)
    old = RoadmapFactory(slug="old", title="Old roadmap", order=2)
    old.archived_at = old.created_at
    old.save()
    return llm, mlops


def followed(user) -> list[str]:
    return list(
        RoadmapFollow.objects.filter(learner=user)
        .order_by("position")
        .values_list("roadmap__slug", flat=True)
    )


def test_a_new_learner_sees_the_first_run_step_after_signing_up(client, roadmaps):
    signup = {"email": "dana@example.com", "password1": PASSWORD, "password2": PASSWORD}

    response = client.post(reverse("signup"), signup)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('choose_roadmaps')}?next=/me/"
    page = client.get(response["Location"]).content.decode()
    assert "Choose what to follow" in page
    assert 'type="checkbox" name="roadmaps" value="llm"' in page
    assert "3 items · about 6 hours" in page and "1 item · about 5 hours" in page
    assert "Old roadmap" not in page
    assert followed(User.objects.get(email="dana@example.com")) == []


def test_choosing_roadmaps_follows_them_in_the_order_listed(learner, learner_client, roadmaps):
    response = learner_client.post(
        reverse("choose_roadmaps"), {"roadmaps": ["mlops", "llm"], "next": "/me/"}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/me/"
    assert followed(learner) == ["llm", "mlops"]
    assert "You follow LLM and MLOps" in response.content.decode()


def test_choosing_nothing_asks_for_one_and_follows_nothing(learner, learner_client, roadmaps):
    response = learner_client.post(reverse("choose_roadmaps"), {"next": "/me/"})

    assert response.status_code == 400
    assert "Choose at least one roadmap, or decide later." in response.content.decode()
    assert followed(learner) == []


def test_choosing_an_unknown_or_archived_roadmap_is_refused(learner, learner_client, roadmaps):
    response = learner_client.post(reverse("choose_roadmaps"), {"roadmaps": ["llm", "old"]})

    assert response.status_code == 400
    assert followed(learner) == []


def test_deciding_later_leaves_empty_states_that_say_how_to_follow(learner_client, roadmaps):
    page = learner_client.get(f"{reverse('choose_roadmaps')}?next=/me/").content.decode()
    assert '<a href="/me/">Decide later</a>' in page

    dashboard = learner_client.get("/").content.decode()
    plan = learner_client.get(reverse("plan")).content.decode()

    for html in (dashboard, plan):
        assert "You don’t follow any roadmap yet" in html
        assert f'action="{reverse("choose_roadmaps")}"' in html
        assert 'name="roadmaps" value="mlops"' in html


def test_a_learner_who_follows_a_roadmap_is_not_asked_again(learner, learner_client, roadmaps):
    learner_client.post(reverse("choose_roadmaps"), {"roadmaps": ["llm"]})

    dashboard = learner_client.get("/").content.decode()

    assert "You don’t follow any roadmap yet" not in dashboard
    assert "3 in all" in dashboard


def test_the_first_run_step_needs_a_signed_in_learner(client, roadmaps):
    response = client.get(reverse("choose_roadmaps"))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_signing_up_from_a_cohort_invite_goes_to_the_invite_and_joining_follows_its_roadmap(
    client, cohort, roadmaps
):
    join = f"/cohorts/join/{cohort.invite_code}/"
    signup = {"email": "erin@example.com", "password1": PASSWORD, "password2": PASSWORD}

    response = client.post(reverse("signup"), {**signup, "next": join})
    client.post(join)

    assert response["Location"] == join
    assert followed(User.objects.get(email="erin@example.com")) == [cohort.roadmap.slug]
