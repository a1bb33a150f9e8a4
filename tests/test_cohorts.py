"""Cohorts from both sides: creating, inviting, joining, leaving, removing, and who may see what.

Personas: `mentor` (Bob) mentors `cohort`; `learner` (Alice) is in it; `outsider` (Charlie) is
a learner elsewhere; `other_mentor` (Dora) mentors a different cohort.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import ItemFactory, ProgressFactory, SectionFactory, UserFactory
from tracker.models import Cohort, Membership, Status, User
from tracker.services import cohorts as services

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def other_mentor(db):
    return UserFactory(email="dora@example.com", display_name="Dora", is_mentor=True)


@pytest.fixture
def other_cohort(other_mentor, outsider):
    """Dora's cohort on another roadmap, with Charlie in it."""
    section = SectionFactory()
    ItemFactory(section=section, slug="other-item")
    cohort = Cohort.objects.create(name="Autumn cohort", roadmap=section.roadmap)
    cohort.mentors.add(other_mentor)
    Membership.objects.create(cohort=cohort, learner=outsider)
    return cohort


# ---- creating and managing -------------------------------------------------------------------


def test_mentor_creates_a_cohort_and_becomes_its_mentor(mentor, cohort):
    roadmap = cohort.roadmap
    response = client_for(mentor).post(
        "/cohorts/new/",
        {"name": "Summer cohort", "roadmap": roadmap.pk, "starts_on": "2026-06-01"},
    )
    created = Cohort.objects.get(name="Summer cohort")
    assert response.status_code == 302
    assert response["Location"] == reverse("cohort_settings", args=[created.pk])
    assert list(created.mentors.all()) == [mentor]
    assert str(created.starts_on) == "2026-06-01" and created.ends_on is None


def test_cohort_end_before_start_is_refused_and_nothing_is_created(mentor, cohort):
    response = client_for(mentor).post(
        "/cohorts/new/",
        {
            "name": "Backwards",
            "roadmap": cohort.roadmap.pk,
            "starts_on": "2026-06-01",
            "ends_on": "2026-05-01",
        },
    )
    assert response.status_code == 200
    assert "can&#x27;t be before the start date" in response.content.decode()
    assert not Cohort.objects.filter(name="Backwards").exists()


def test_learner_cannot_create_a_cohort(learner, cohort):
    response = client_for(learner).post(
        "/cohorts/new/", {"name": "Mine", "roadmap": cohort.roadmap.pk}
    )
    assert response.status_code == 403
    assert not Cohort.objects.filter(name="Mine").exists()
    with pytest.raises(services.CohortError):
        services.create_cohort(mentor=learner, name="Mine", roadmap=cohort.roadmap)


def test_invite_codes_are_long_random_and_distinct(cohort, mentor):
    other = services.create_cohort(mentor=mentor, name="Another", roadmap=cohort.roadmap)
    # token_urlsafe(24): 32 characters of base64, 192 bits.
    assert len(cohort.invite_code) >= 32
    assert cohort.invite_code != other.invite_code


def test_settings_page_shows_the_invite_link(mentor, cohort):
    response = client_for(mentor).get(f"/cohorts/{cohort.pk}/settings/")
    assert response.status_code == 200
    assert f"http://testserver/cohorts/join/{cohort.invite_code}/" in response.content.decode()


def test_regenerating_the_code_kills_the_old_link(mentor, cohort, outsider):
    old = cohort.invite_code
    response = client_for(mentor).post(f"/cohorts/{cohort.pk}/invite/regenerate/")
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert cohort.invite_code != old
    outsider_client = client_for(outsider)
    assert outsider_client.get(f"/cohorts/join/{old}/").status_code == 404
    assert outsider_client.post(f"/cohorts/join/{old}/").status_code == 404
    assert outsider_client.get(f"/cohorts/join/{cohort.invite_code}/").status_code == 200


def test_regenerate_needs_post(mentor, cohort):
    assert client_for(mentor).get(f"/cohorts/{cohort.pk}/invite/regenerate/").status_code == 405


def test_mentor_removes_a_learner(mentor, learner, cohort):
    response = client_for(mentor).post(f"/cohorts/{cohort.pk}/learners/{learner.pk}/remove/")
    assert response.status_code == 302
    assert not cohort.memberships.filter(learner=learner).exists()
    # Alice no longer appears, and her page is gone for the mentor too.
    dashboard = client_for(mentor).get(f"/cohorts/{cohort.pk}/")
    assert "Alice" not in dashboard.content.decode()
    assert client_for(mentor).get(f"/cohorts/{cohort.pk}/learners/{learner.pk}/").status_code == 404


def test_removing_a_learner_asks_first_and_offers_a_way_back(mentor, learner, cohort):
    settings_url = f"/cohorts/{cohort.pk}/settings/"
    remove_url = f"/cohorts/{cohort.pk}/learners/{learner.pk}/remove/"
    settings_page = client_for(mentor).get(settings_url).content.decode()
    assert f'href="{remove_url}"' in settings_page

    confirm = client_for(mentor).get(remove_url)

    page = confirm.content.decode()
    assert confirm.status_code == 200
    assert "Alice" in page and '<form method="post">' in page
    assert f'href="{settings_url}">Cancel</a>' in page
    assert cohort.memberships.filter(learner=learner).exists()  # only asking removes nothing


def test_an_empty_heatmap_points_the_mentor_to_the_invite_link(mentor, learner, cohort):
    cohort.memberships.all().delete()

    page = client_for(mentor).get(f"/cohorts/{cohort.pk}/heatmap/").content.decode()

    assert "No learners yet" in page
    assert f'href="/cohorts/{cohort.pk}/settings/">Share the invite link</a>' in page


def test_mentor_cannot_remove_a_learner_of_another_cohort(mentor, cohort, other_cohort, outsider):
    response = client_for(mentor).post(f"/cohorts/{cohort.pk}/learners/{outsider.pk}/remove/")
    assert response.status_code == 404
    assert other_cohort.memberships.filter(learner=outsider).exists()


def test_mentor_adds_another_mentor_by_email(mentor, cohort, other_mentor, learner):
    response = client_for(mentor).post(
        f"/cohorts/{cohort.pk}/mentors/", {"email": "DORA@example.com"}, follow=True
    )
    assert "Dora now mentors" in response.content.decode()
    assert client_for(other_mentor).get(f"/cohorts/{cohort.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("nobody@example.com", "No account uses nobody@example.com"),
        ("charlie@example.com", "charlie@example.com is not a mentor yet"),
    ],
)
def test_adding_a_mentor_explains_what_went_wrong(mentor, cohort, outsider, email, message):
    response = client_for(mentor).post(
        f"/cohorts/{cohort.pk}/mentors/", {"email": email}, follow=True
    )
    assert message in response.content.decode()
    assert list(cohort.mentors.all()) == [mentor]


def test_cohort_model_validation_rejects_end_before_start(cohort):
    from datetime import date

    from django.core.exceptions import ValidationError

    cohort.starts_on, cohort.ends_on = date(2026, 3, 2), date(2026, 3, 1)
    with pytest.raises(ValidationError):
        cohort.full_clean()


# ---- joining, the list, leaving ----------------------------------------------------------------


def test_join_page_says_exactly_what_mentors_will_see(outsider, cohort):
    response = client_for(outsider).get(f"/cohorts/join/{cohort.invite_code}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "What your mentors will see" in page
    assert "The status of each item" in page
    assert "study-plan status" in page
    assert "Your notes <strong>only if you tick the box below</strong>" in page
    assert 'name="share_notes"' in page
    # Looking is not joining.
    assert not cohort.memberships.filter(learner=outsider).exists()


def test_learner_joins_with_notes_private_by_default(outsider, cohort):
    response = client_for(outsider).post(f"/cohorts/join/{cohort.invite_code}/")
    assert response.status_code == 302 and response["Location"] == "/cohorts/"
    membership = cohort.memberships.get(learner=outsider)
    assert membership.share_notes is False


def test_learner_can_join_sharing_notes(outsider, cohort):
    client_for(outsider).post(f"/cohorts/join/{cohort.invite_code}/", {"share_notes": "on"})
    assert cohort.memberships.get(learner=outsider).share_notes is True


def test_joining_twice_keeps_one_membership(learner, cohort):
    response = client_for(learner).post(f"/cohorts/join/{cohort.invite_code}/", follow=True)
    assert "already in" in response.content.decode()
    assert cohort.memberships.filter(learner=learner).count() == 1
    assert services.join_cohort(learner=learner, code=cohort.invite_code).cohort == cohort


def test_a_mentor_cannot_join_their_own_cohort_as_a_learner(mentor, cohort):
    response = client_for(mentor).post(f"/cohorts/join/{cohort.invite_code}/", follow=True)
    assert "You mentor this cohort" in response.content.decode()
    assert not cohort.memberships.filter(learner=mentor).exists()


def test_unknown_invite_code_is_404(outsider, cohort):
    assert client_for(outsider).get("/cohorts/join/not-a-real-code/").status_code == 404


def test_anonymous_join_goes_through_sign_in_and_back_to_the_confirmation(outsider, cohort):
    client = Client()
    join = f"/cohorts/join/{cohort.invite_code}/"
    response = client.get(join)
    assert response.status_code == 302
    login_url = urlsplit(response["Location"])
    assert login_url.path == reverse("login")
    assert parse_qs(login_url.query) == {"next": [join]}

    response = client.post(
        response["Location"],
        {"username": outsider.email, "password": "correct-horse-battery", "next": join},
    )
    assert response.status_code == 302 and response["Location"] == join
    confirmation = client.get(join)
    assert "What your mentors will see" in confirmation.content.decode()
    assert not cohort.memberships.filter(learner=outsider).exists()


def test_anonymous_join_can_sign_up_and_land_on_the_confirmation(cohort):
    client = Client()
    join = f"/cohorts/join/{cohort.invite_code}/"
    login_page = client.get(client.get(join)["Location"]).content.decode()
    # The sign-in page offers sign-up without losing the way back.
    signup = f"{reverse('signup')}?next={join.replace('/', '%2F')}"
    assert signup in login_page
    response = client.post(
        signup,
        {
            "email": "newbie@example.com",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            "next": join,
        },
    )
    assert response.status_code == 302 and response["Location"] == join
    assert "What your mentors will see" in client.get(join).content.decode()


def test_cohort_list_shows_cohorts_as_learner_and_as_mentor(learner, mentor, cohort):
    learner_page = client_for(learner).get("/cohorts/").content.decode()
    assert "Spring cohort" in learner_page and "Leave this cohort" in learner_page
    assert reverse("roadmap_detail", args=[cohort.roadmap.slug]) in learner_page
    assert "Cohorts you mentor" not in learner_page
    mentor_page = client_for(mentor).get("/cohorts/").content.decode()
    assert "Cohorts you mentor" in mentor_page
    assert "1 learner" in mentor_page
    assert reverse("cohort_dashboard", args=[cohort.pk]) in mentor_page


def test_cohort_list_does_not_show_other_cohorts(outsider, cohort):
    page = client_for(outsider).get("/cohorts/").content.decode()
    assert "Spring cohort" not in page
    assert "You are not in a cohort" in page


def test_learner_leaves_after_confirming(learner, mentor, cohort):
    client = client_for(learner)
    confirm = client.get(f"/cohorts/{cohort.pk}/leave/")
    assert "Leave “Spring cohort”?" in confirm.content.decode()
    assert cohort.memberships.filter(learner=learner).exists()
    response = client.post(f"/cohorts/{cohort.pk}/leave/")
    assert response.status_code == 302
    assert not cohort.memberships.filter(learner=learner).exists()
    assert client_for(mentor).get(f"/cohorts/{cohort.pk}/learners/{learner.pk}/").status_code == 404


def test_leaving_a_cohort_you_are_not_in_is_404(outsider, cohort):
    assert client_for(outsider).post(f"/cohorts/{cohort.pk}/leave/").status_code == 404


# ---- the shared-notes switch -------------------------------------------------------------------


def test_notes_stay_hidden_until_the_learner_shares_them(learner, mentor, cohort):
    item = cohort.roadmap.items.first()
    ProgressFactory(learner=learner, item=item, status=Status.IN_PROGRESS, note="Secret thought")
    learner_page = f"/cohorts/{cohort.pk}/learners/{learner.pk}/"

    hidden = client_for(mentor).get(learner_page).content.decode()
    assert "Secret thought" not in hidden
    assert "Notes are private" in hidden

    client_for(learner).post(f"/cohorts/{cohort.pk}/share-notes/", {"share_notes": "on"})
    shown = client_for(mentor).get(learner_page).content.decode()
    assert "Secret thought" in shown

    # Unticking (the checkbox is absent from the form) hides them again.
    client_for(learner).post(f"/cohorts/{cohort.pk}/share-notes/", {})
    assert "Secret thought" not in client_for(mentor).get(learner_page).content.decode()


def test_share_notes_switch_with_htmx_returns_only_the_form(learner, cohort):
    response = client_for(learner).post(
        f"/cohorts/{cohort.pk}/share-notes/", {"share_notes": "on"}, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<form" in page and "checked" in page
    assert "Your mentors can read your notes" in page
    assert "<html" not in page and "Leave this cohort" not in page


def test_outsider_cannot_switch_sharing_in_a_cohort_they_are_not_in(outsider, cohort):
    url = f"/cohorts/{cohort.pk}/share-notes/"
    assert client_for(outsider).post(url, {"share_notes": "on"}).status_code == 404


# ---- the authorization matrix ------------------------------------------------------------------

MENTOR_PAGES = [
    "/cohorts/{c}/",
    "/cohorts/{c}/heatmap/",
    "/cohorts/{c}/items/cohort-item-0/",
    "/cohorts/{c}/learners/{learner}/",
    "/cohorts/{c}/export.csv",
    "/cohorts/{c}/settings/",
    "/cohorts/{c}/reviews/",
]
MENTOR_ACTIONS = [
    "/cohorts/{c}/invite/regenerate/",
    "/cohorts/{c}/learners/{learner}/remove/",
    "/cohorts/{c}/mentors/",
    "/cohorts/{c}/nudges/",
    "/cohorts/{c}/schedule/",
]
LEARNER_URLS = [("get", "/cohorts/{c}/leave/"), ("post", "/cohorts/{c}/share-notes/")]


def _persona(name, request):
    return None if name == "anonymous" else request.getfixturevalue(name)


@pytest.mark.parametrize("url", MENTOR_PAGES)
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
def test_mentor_pages_matrix(request, cohort, other_cohort, url, persona, expected):
    learner = request.getfixturevalue("learner")
    response = client_for(_persona(persona, request)).get(
        url.format(c=cohort.pk, learner=learner.pk)
    )
    assert response.status_code == expected
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("url", MENTOR_ACTIONS)
@pytest.mark.parametrize(
    ("persona", "expected"),
    [("other_mentor", 404), ("learner", 404), ("outsider", 404), ("anonymous", 302)],
)
def test_mentor_actions_matrix(request, cohort, other_cohort, url, persona, expected):
    learner = request.getfixturevalue("learner")
    code = cohort.invite_code
    response = client_for(_persona(persona, request)).post(
        url.format(c=cohort.pk, learner=learner.pk), {"email": "dora@example.com"}
    )
    assert response.status_code == expected
    cohort.refresh_from_db()
    assert cohort.invite_code == code
    assert cohort.memberships.filter(learner=learner).exists()
    assert cohort.mentors.count() == 1


@pytest.mark.parametrize(("method", "url"), LEARNER_URLS)
@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("learner", True),
        ("mentor", False),
        ("other_mentor", False),
        ("outsider", False),
        ("anonymous", False),
    ],
)
def test_learner_pages_matrix(request, cohort, other_cohort, method, url, persona, allowed):
    client = client_for(_persona(persona, request))
    response = getattr(client, method)(url.format(c=cohort.pk))
    if allowed:
        assert response.status_code in {200, 302}
        if response.status_code == 302:
            assert response["Location"] == "/cohorts/"
    elif persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == 404


def test_cohort_list_needs_sign_in():
    response = Client().get("/cohorts/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_mentor_gets_404_for_a_learner_of_another_cohort(mentor, cohort, other_cohort, outsider):
    response = client_for(mentor).get(f"/cohorts/{cohort.pk}/learners/{outsider.pk}/")
    assert response.status_code == 404


def test_mentor_gets_404_for_an_item_of_another_roadmap(mentor, cohort, other_cohort):
    assert client_for(mentor).get(f"/cohorts/{cohort.pk}/items/other-item/").status_code == 404


def test_mentor_gets_404_for_another_mentors_cohort_with_their_own_learner(
    mentor, learner, cohort, other_cohort
):
    # Bob asks about Alice (his learner) under Dora's cohort id: still a 404.
    response = client_for(mentor).get(f"/cohorts/{other_cohort.pk}/learners/{learner.pk}/")
    assert response.status_code == 404


def test_mentor_pages_refuse_post(mentor, cohort):
    assert client_for(mentor).post(f"/cohorts/{cohort.pk}/").status_code == 405
    assert client_for(mentor).post(f"/cohorts/{cohort.pk}/export.csv").status_code == 405


def test_admin_lists_cohorts_and_edits_their_mentors(cohort):
    admin = UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
    client = client_for(admin)
    changelist = client.get("/admin/tracker/cohort/")
    assert changelist.status_code == 200 and "Spring cohort" in changelist.content.decode()
    change = client.get(f"/admin/tracker/cohort/{cohort.pk}/change/").content.decode()
    assert 'name="mentors"' in change
    assert "Alice" in change or "alice@example.com" in change  # the membership inline


def test_mentor_renames_and_dates_the_cohort(mentor, cohort, time_machine):
    time_machine.move_to("2026-02-20T12:00:00Z")
    client = client_for(mentor)
    response = client.post(f"/cohorts/{cohort.pk}/settings/", {"name": "Spring cohort B"})
    assert response.status_code == 302
    # The dates are the schedule's, saved from its own form on the same page.
    response = client.post(
        f"/cohorts/{cohort.pk}/schedule/", {"starts_on": "2026-03-02", "ends_on": "2026-06-01"}
    )
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert (cohort.name, str(cohort.starts_on), str(cohort.ends_on)) == (
        "Spring cohort B",
        "2026-03-02",
        "2026-06-01",
    )


def test_saving_an_end_before_the_start_changes_nothing(mentor, cohort, time_machine):
    time_machine.move_to("2026-02-20T12:00:00Z")
    response = client_for(mentor).post(
        f"/cohorts/{cohort.pk}/schedule/", {"starts_on": "2026-03-02", "ends_on": "2026-03-01"}
    )
    assert response.status_code == 200
    assert "can&#x27;t be before the start date" in response.content.decode()
    cohort.refresh_from_db()
    assert cohort.starts_on is None and cohort.ends_on is None


@pytest.mark.parametrize("count", [1, 5])
def test_cohort_list_query_count_does_not_grow_with_cohorts(
    learner, mentor, cohort, django_assert_max_num_queries, count
):
    for n in range(count - 1):
        extra = services.create_cohort(mentor=mentor, name=f"Extra {n}", roadmap=cohort.roadmap)
        Membership.objects.create(cohort=extra, learner=learner)
    client = client_for(learner)
    # Session, user, memberships with cohort and roadmap, their mentors (prefetch),
    # cohorts mentored (none here).
    with django_assert_max_num_queries(5):
        page = client.get("/cohorts/").content.decode()
    assert page.count("Leave this cohort") == count


def test_taking_away_the_mentor_role_takes_away_access(mentor, cohort):
    User.objects.filter(pk=mentor.pk).update(is_mentor=False)
    mentor.refresh_from_db()
    client = client_for(mentor)
    assert client.get(f"/cohorts/{cohort.pk}/").status_code == 404
    assert "Spring cohort" not in client.get("/cohorts/").content.decode()


def test_signing_up_from_an_invite_does_not_point_at_settings_that_are_not_there(client, db):
    invite = "/cohorts/join/some-code/"
    form = {"email": "nina@example.com", "password1": "a-long-pass-9876"}
    form |= {"password2": "a-long-pass-9876", "next": invite}

    response = client.post(reverse("signup"), form, follow=True)

    assert response.redirect_chain[0][0] == invite
    page = response.content.decode()
    assert "Welcome! Your account is ready." in page
    assert "weekly hours below" not in page


def test_a_newcomer_with_an_invite_is_told_why_they_must_sign_in_and_can_sign_up(client, db):
    invite = "/cohorts/join/some-code/"

    page = client.get(invite, follow=True).content.decode()

    assert "You have an invite to a cohort" in page
    assert f'href="{reverse("signup")}?next=%2Fcohorts%2Fjoin%2Fsome-code%2F"' in page
    assert page.count(">Create an account<") == 1  # one link: browser tests click it by name
    plain = client.get(reverse("login")).content.decode()
    assert "You have an invite" not in plain
