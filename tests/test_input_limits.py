"""Limits on everything a person types: the form says the limit, and what is over it."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from tests.factories import ItemFactory, ProgressFactory
from tracker.forms import NoteForm
from tracker.models import Cohort, Item, Membership, Progress, RoadmapFollow, Status

TODAY = dt.date(2026, 6, 10)


@pytest.fixture
def on_today():
    # Noon UTC: the same date in every zone these tests use.
    with time_machine.travel(dt.datetime(2026, 6, 10, 12, tzinfo=dt.UTC), tick=False):
        yield


def _settings(user, **changes) -> dict:
    """What /me/ posts back, with `changes` made."""
    data = {
        "display_name": user.display_name,
        "time_zone": user.time_zone,
        "weekly_hours": user.weekly_hours,
        "target_date": user.target_date.isoformat() if user.target_date else "",
    }
    return data | changes


def _errors(response, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


# --- target date ---------------------------------------------------------------------------


def test_a_target_date_in_the_past_is_refused_and_the_form_says_why(
    learner_client, learner, on_today
):
    response = learner_client.post("/me/", _settings(learner, target_date="2020-01-01"))

    assert response.status_code == 200
    assert _errors(response, "target_date") == [
        "1 January 2020 has passed. Choose today or a later date, "
        "or leave it empty if you have no deadline."
    ]
    learner.refresh_from_db()
    assert learner.target_date is None


def test_a_target_date_of_today_or_later_is_saved(learner_client, learner, on_today):
    learner_client.post("/me/", _settings(learner, target_date=TODAY.isoformat()))
    learner.refresh_from_db()
    assert learner.target_date == TODAY


def test_yesterday_is_refused_by_the_learners_own_calendar(learner_client, learner):
    # 01:00 on 10 June in Auckland is still 9 June in UTC: the 9th is past there.
    learner.time_zone = "Pacific/Auckland"
    learner.save()
    with time_machine.travel(dt.datetime(2026, 6, 9, 13, 30, tzinfo=dt.UTC), tick=False):
        response = learner_client.post("/me/", _settings(learner, target_date="2026-06-09"))
    assert "has passed" in _errors(response, "target_date")[0]


def test_the_date_picker_starts_at_today(learner_client, on_today):
    response = learner_client.get("/me/")
    assert f'min="{TODAY.isoformat()}"' in response.content.decode()


def test_a_passed_target_shows_as_passed_and_does_not_block_other_settings(
    learner_client, learner, on_today
):
    learner.target_date = dt.date(2026, 5, 1)
    learner.save()

    page = learner_client.get("/me/").content.decode()
    assert "Your target of 1 May 2026 has passed." in page

    response = learner_client.post("/me/", _settings(learner, weekly_hours=9))
    assert response.status_code == 302
    learner.refresh_from_db()
    assert (learner.weekly_hours, learner.target_date) == (9, dt.date(2026, 5, 1))


# --- display name ---------------------------------------------------------------------------


def test_the_display_name_field_shows_and_enforces_its_limit(learner_client):
    page = learner_client.get("/me/").content.decode()
    assert 'maxlength="80"' in page
    assert "Up to 80 characters." in page


def test_a_display_name_over_the_limit_is_refused_with_its_length(learner_client, learner):
    response = learner_client.post("/me/", _settings(learner, display_name="n" * 81))
    assert _errors(response, "display_name") == [
        "A name can be up to 80 characters; this one has 81."
    ]
    learner.refresh_from_db()
    assert learner.display_name == "Alice"


# --- notes ----------------------------------------------------------------------------------


@pytest.fixture
def item(db):
    return ItemFactory(title="Attention")


def _note_url(item: Item) -> str:
    return reverse("save_item_note", args=[item.roadmap.slug, item.slug])


def test_the_note_field_shows_its_limit_of_10000_characters(learner_client, item):
    page = learner_client.get(item.get_absolute_url()).content.decode()
    assert 'maxlength="10000"' in page
    assert "Up to 10,000 characters." in page


def test_a_note_of_100000_characters_is_refused_and_what_was_typed_is_kept(
    learner_client, learner, item
):
    typed = "a" * 100_000
    response = learner_client.post(_note_url(item), {"note": typed})

    assert response.status_code == 400
    assert (
        "A note can be up to 10,000 characters; this one has 100,000." in response.content.decode()
    )
    # The page shows the note again so nothing is lost while it is shortened.
    assert typed in response.content.decode()
    assert not Progress.objects.filter(learner=learner, item=item).exists()


def test_a_note_at_the_limit_with_line_breaks_is_saved(learner_client, learner, item):
    # Browsers send a line break as two characters and count it as one against maxlength.
    note = "\r\n".join(["x" * 999] * 10) + "x"
    assert len(note.replace("\r\n", "\n")) == 10_000

    learner_client.post(_note_url(item), {"note": note})

    assert Progress.objects.get(learner=learner, item=item).note == note.replace("\r\n", "\n")


def test_a_longer_note_saved_before_the_limit_stays_whole(learner, item):
    progress = ProgressFactory(learner=learner, item=item, note="b" * 50_000)
    form = NoteForm(instance=progress, item=item)
    assert form["note"].value() == "b" * 50_000


# --- skip reason ----------------------------------------------------------------------------


def test_a_skip_reason_over_200_characters_is_refused_with_its_own_message(
    learner_client, learner, item
):
    url = reverse("set_item_status", args=[item.roadmap.slug, item.slug])
    response = learner_client.post(
        url, {"status": "skipped", "skip_reason": "r" * 201}, follow=True
    )

    shown = [str(message) for message in response.context["messages"]]
    assert shown == ["A reason can be up to 200 characters; this one has 201. Nothing changed."]
    assert not Progress.objects.filter(learner=learner, item=item).exists()


def test_a_skip_reason_over_the_limit_gets_a_readable_reason_with_htmx(learner_client, item):
    url = reverse("set_item_status", args=[item.roadmap.slug, item.slug])
    response = learner_client.post(
        url, {"status": "skipped", "skip_reason": "r" * 201}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    assert response.content.decode().startswith("A reason can be up to 200 characters")


# --- project link ---------------------------------------------------------------------------


@pytest.fixture
def project(db):
    return ItemFactory(title="Build a chatbot", kind=Item.Kind.PROJECT)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "https://example.org/" + "p" * 580,
            "A link can be up to 500 characters; this one has 600.",
        ),
        (
            "https://" + "a" * 590 + ".com",
            "A link can be up to 500 characters; this one has 602.",
        ),
        (
            "not a link",
            "Enter a web address starting with http:// or https://, "
            "such as https://github.com/you/project.",
        ),
        (
            "ftp://example.org/repo",
            "Enter a web address starting with http:// or https://, "
            "such as https://github.com/you/project.",
        ),
    ],
)
def test_a_bad_project_link_gets_one_clear_message(project, typed, message):
    form = NoteForm({"note": "", "project_url": typed}, item=project)
    assert form.errors["project_url"] == [message]


def test_a_600_character_project_link_is_refused_on_the_page_with_one_message(
    learner_client, project
):
    response = learner_client.post(
        _note_url(project), {"note": "my work", "project_url": "https://example.org/" + "p" * 580}
    )
    page = response.content.decode()
    assert page.count("A link can be up to 500 characters") == 1
    assert "Enter a valid URL." not in page
    assert 'value="https://example.org/ppp' in page


def test_a_good_project_link_is_saved(learner_client, learner, project):
    learner_client.post(_note_url(project), {"note": "", "project_url": "github.com/alice/bot"})
    assert (
        Progress.objects.get(learner=learner, item=project).project_url
        == "https://github.com/alice/bot"
    )


# --- cohort name ----------------------------------------------------------------------------


def test_the_cohort_name_field_shows_its_limit(client, mentor):
    client.force_login(mentor)
    page = client.get("/cohorts/new/").content.decode()
    assert 'maxlength="120"' in page
    assert "Up to 120 characters." in page


def test_a_cohort_name_over_the_limit_is_refused_with_its_length(client, mentor, item):
    client.force_login(mentor)
    response = client.post("/cohorts/new/", {"name": "c" * 121, "roadmap": item.roadmap.pk})
    assert _errors(response, "name") == ["A name can be up to 120 characters; this one has 121."]
    assert not Cohort.objects.exists()


# --- the mentor's table ---------------------------------------------------------------------


def test_a_long_shared_note_is_folded_in_the_mentors_table_but_kept_whole(
    client, cohort, learner, mentor
):
    Membership.objects.filter(cohort=cohort, learner=learner).update(share_notes=True)
    first, second = cohort.roadmap.items.order_by("order")[:2]
    long_note = "start " + "word " * 20_000 + "the end"
    ProgressFactory(learner=learner, item=first, status=Status.IN_PROGRESS, note=long_note)
    ProgressFactory(learner=learner, item=second, status=Status.DONE, note="Short and sweet.")
    client.force_login(mentor)

    page = client.get(f"/cohorts/{cohort.pk}/learners/{learner.pk}/").content.decode()

    assert page.count('<details class="long-note">') == 1
    assert "Show the whole note" in page
    assert long_note in page  # inside the <details>, never cut
    assert "Short and sweet." in page


# --- a passed target on /plan/ --------------------------------------------------------------


@pytest.fixture
def planning_learner(learner, item):
    RoadmapFollow.objects.create(learner=learner, roadmap=item.roadmap)
    return learner


@pytest.mark.parametrize("finished", [False, True])
def test_a_passed_target_shows_as_passed_on_the_plan_with_a_link_to_set_a_new_one(
    learner_client, planning_learner, item, on_today, finished
):
    planning_learner.target_date = dt.date(2026, 5, 1)
    planning_learner.save()
    if finished:
        # Everything done used to read "within reach" for a date already gone.
        ProgressFactory(learner=planning_learner, item=item, status=Status.DONE)

    page = learner_client.get("/plan/").content.decode()

    assert "Your target of 1 May 2026 has passed." in page
    assert '<a href="/me/">Set a new target</a>' in page
    assert "within reach" not in page
    assert "can&#x27;t be met" not in page


def test_a_target_of_today_is_not_called_passed_on_the_plan(
    learner_client, planning_learner, on_today
):
    planning_learner.target_date = TODAY
    planning_learner.save()
    page = learner_client.get("/plan/").content.decode()
    assert "has passed" not in page
    assert "Your target of 10 June 2026" in page
