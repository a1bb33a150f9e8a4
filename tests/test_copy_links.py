"""Copy buttons beside the invite link and the calendar address, and the webcal link."""

import pytest

from tests.builders import client_for

pytestmark = pytest.mark.django_db


def test_the_invite_link_has_a_copy_button_that_waits_for_javascript(mentor, cohort):
    page = client_for(mentor).get(f"/cohorts/{cohort.pk}/settings/").content.decode()
    invite = f"http://testserver/cohorts/join/{cohort.invite_code}/"
    # Without JS the box is read-only and selectable, and the button stays hidden.
    assert f'id="invite-url" class="invite-url" value="{invite}" readonly' in page
    assert 'data-copy-target="invite-url" hidden>Copy invite link</button>' in page
    assert 'role="status" aria-live="polite" data-copy-status="invite-url"' in page
    assert "js/copy.js" in page


def test_an_empty_cohorts_dashboard_offers_the_invite_link_to_copy(mentor, cohort):
    cohort.memberships.all().delete()
    page = client_for(mentor).get(f"/cohorts/{cohort.pk}/").content.decode()
    assert "No learners yet" in page
    assert f'value="http://testserver/cohorts/join/{cohort.invite_code}/"' in page
    assert ">Copy invite link</button>" in page


def test_the_calendar_address_can_be_copied_or_subscribed_to_with_webcal(learner):
    client = client_for(learner)
    page = client.get("/me/").content.decode()
    path = f"/plan/calendar/{learner.calendar_token}.ics"
    assert path in page, "the calendar URL moved: update this test"
    assert f'value="http://testserver{path}"' in page
    assert f'href="webcal://testserver{path}"' in page
    assert 'data-copy-target="calendar-url" hidden>Copy address</button>' in page

    # The panel htmx swaps in after a new address carries both too.
    learner.refresh_from_db()
    fresh = client.post("/me/calendar-token/", headers={"HX-Request": "true"}).content.decode()
    learner.refresh_from_db()
    assert f'href="webcal://testserver/plan/calendar/{learner.calendar_token}.ics"' in fresh
    assert ">Copy address</button>" in fresh
