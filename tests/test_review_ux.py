"""Rough edges found by walking the app as each persona (review-ux)."""

import re

from django.template.loader import render_to_string
from django.urls import reverse

from tests.factories import ItemFactory, ResourceFactory, UserFactory
from tracker.models import Link


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


def test_the_note_field_does_not_promise_privacy_that_sharing_with_mentors_breaks(client, db):
    item = ItemFactory()
    client.force_login(UserFactory())

    page = client.get(reverse("item_detail", args=[item.roadmap.slug, item.slug])).content.decode()

    assert "Private note" in page
    assert "unless you share your notes with a cohort's mentors" in page


def test_a_signed_in_roadmap_page_leads_to_following_it_for_the_plan(client, db):
    item = ItemFactory()
    client.force_login(UserFactory())

    page = client.get(reverse("roadmap_detail", args=[item.roadmap.slug])).content.decode()

    assert f'href="{reverse("my_roadmaps")}"' in page
    assert "Your study plan covers the roadmaps you follow: " in page


def test_a_missing_page_keeps_the_site_around_it_and_offers_a_way_on(client, db):
    response = client.get("/roadmaps/no-such-roadmap/")

    page = response.content.decode()
    assert response.status_code == 404
    assert "<title>Page not found · Roadmap Tracker</title>" in page
    assert 'href="/roadmaps/"' in page and 'class="site-nav"' in page


def test_a_server_error_page_needs_no_request_context_and_links_home():
    page = render_to_string("500.html")

    assert "Something went wrong" in page and 'href="/"' in page


def test_signing_up_from_an_invite_does_not_point_at_settings_that_are_not_there(client, db):
    invite = "/cohorts/join/some-code/"
    form = {"email": "nina@example.com", "password1": "a-long-pass-9876"}
    form |= {"password2": "a-long-pass-9876", "next": invite}

    response = client.post(reverse("signup"), form, follow=True)

    assert response.redirect_chain[0][0] == invite
    page = response.content.decode()
    assert "Welcome! Your account is ready." in page
    assert "weekly hours below" not in page


def test_the_password_reset_pages_lead_back_to_sign_in(client, db):
    login = f'href="{reverse("login")}"'
    form = client.get(reverse("password_reset")).content.decode()
    done = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)

    assert login in form.split('class="site-footer"')[0].split('id="main"')[1]
    assert "Check your email" in done.content.decode()
    assert login in done.content.decode().split('id="main"')[1]


def test_the_note_and_calendar_buttons_keep_their_ids_across_htmx_swaps(client, db):
    # htmx gives focus back only to an element with the id of the one pressed.
    item = ItemFactory()
    client.force_login(UserFactory())
    note_url = reverse("save_item_note", args=[item.roadmap.slug, item.slug])

    note = client.post(note_url, {"note": "Read ch. 2"}, headers={"HX-Request": "true"})
    token = client.post(reverse("calendar_token"), headers={"HX-Request": "true"})

    assert 'id="save-note-button"' in note.content.decode()
    assert 'id="calendar-token-button"' in token.content.decode()


def test_a_newcomer_with_an_invite_is_told_why_they_must_sign_in_and_can_sign_up(client, db):
    invite = "/cohorts/join/some-code/"

    page = client.get(invite, follow=True).content.decode()

    assert "You have an invite to a cohort" in page
    assert f'href="{reverse("signup")}?next=%2Fcohorts%2Fjoin%2Fsome-code%2F"' in page
    assert page.count(">Create an account<") == 1  # one link: browser tests click it by name
    plain = client.get(reverse("login")).content.decode()
    assert "You have an invite" not in plain
