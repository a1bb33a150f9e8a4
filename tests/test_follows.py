"""Following several roadmaps, ordering them, and what that changes elsewhere.

Personas: `learner` (Alice) follows and orders roadmaps; `outsider` (Charlie) is another
learner whose follows must never be touched by Alice's requests, nor hers by his.
"""

import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from tests.factories import (
    ItemFactory,
    ProgressFactory,
    ResourceFactory,
    RoadmapFactory,
    UserFactory,
)
from tracker.models import Roadmap, RoadmapFollow, Status
from tracker.selectors.plans import load_plan_inputs, plan_view
from tracker.selectors.roadmaps import followed_roadmaps, item_twins, with_done_counts
from tracker.services.cohorts import join_cohort
from tracker.services.follows import (
    FollowError,
    UnfollowNeedsConfirmation,
    follow_roadmap,
    move_follow,
    unfollow_roadmap,
)
from tracker.services.progress import set_status


@pytest.fixture
def roadmaps(db):
    """Three roadmaps with two items each; `order` puts llm first on /roadmaps/."""
    made = []
    for order, slug in enumerate(["llm", "mlops", "ai-safety"]):
        roadmap = RoadmapFactory(slug=slug, title=slug.upper(), order=order)
        for n in range(2):
            ItemFactory(
                section__roadmap=roadmap, slug=f"{slug}-item-{n}", title=f"{slug} {n}", order=n
            )
        made.append(roadmap)
    return made


def follow_block(html: str, slug: str) -> str:
    """The follow/unfollow control of one roadmap's card."""
    match = re.search(rf'id="follow-{slug}">(.*?)</div>', html, re.DOTALL)
    assert match, f"no follow control for {slug}"
    return match.group(1)


def slugs(learner) -> list[str]:
    return [roadmap.slug for roadmap in followed_roadmaps(learner)]


def positions(learner) -> list[int]:
    return list(
        RoadmapFollow.objects.filter(learner=learner)
        .order_by("position")
        .values_list("position", flat=True)
    )


# ---- services ---------------------------------------------------------------------------------


def test_following_a_second_roadmap_keeps_the_one_already_started(learner, roadmaps):
    llm, mlops, _ = roadmaps
    set_status(learner=learner, item=llm.items.first(), status=Status.IN_PROGRESS)
    assert slugs(learner) == ["llm"]  # ticking followed it

    follow_roadmap(learner=learner, roadmap=mlops)

    assert slugs(learner) == ["llm", "mlops"]
    assert positions(learner) == [0, 1]


def test_a_new_learner_following_a_roadmap_follows_only_that_one(learner, roadmaps):
    _, mlops, _ = roadmaps
    assert slugs(learner) == []  # nothing is followed for them

    follow_roadmap(learner=learner, roadmap=mlops)

    assert slugs(learner) == ["mlops"]


def test_following_twice_changes_nothing(learner, roadmaps):
    llm, mlops, _ = roadmaps
    follow_roadmap(learner=learner, roadmap=llm)
    follow_roadmap(learner=learner, roadmap=mlops)

    again = follow_roadmap(learner=learner, roadmap=llm)

    assert again.position == 0
    assert slugs(learner) == ["llm", "mlops"]
    assert RoadmapFollow.objects.filter(learner=learner).count() == 2


def test_unfollowing_closes_the_gap_and_keeps_progress(learner, roadmaps):
    _llm, mlops, _safety = roadmaps
    for roadmap in roadmaps:
        follow_roadmap(learner=learner, roadmap=roadmap)
    ProgressFactory(learner=learner, item=mlops.items.first())

    unfollow_roadmap(learner=learner, roadmap=mlops, confirmed=True)

    assert slugs(learner) == ["llm", "ai-safety"]
    assert positions(learner) == [0, 1]
    assert learner.progress.filter(item__roadmap=mlops).count() == 1


def test_the_last_followed_roadmap_cannot_be_unfollowed(learner, roadmaps):
    llm = roadmaps[0]
    follow_roadmap(learner=learner, roadmap=llm)

    with pytest.raises(FollowError, match="only roadmap you follow"):
        unfollow_roadmap(learner=learner, roadmap=llm)

    assert slugs(learner) == ["llm"]


def test_unfollowing_a_roadmap_not_followed_is_an_error(learner, roadmaps):
    follow_roadmap(learner=learner, roadmap=roadmaps[0])

    with pytest.raises(RoadmapFollow.DoesNotExist):
        unfollow_roadmap(learner=learner, roadmap=roadmaps[1])


def test_moving_swaps_neighbours_and_stops_at_the_ends(learner, roadmaps):
    llm, mlops, safety = roadmaps
    for roadmap in roadmaps:
        follow_roadmap(learner=learner, roadmap=roadmap)

    move_follow(learner=learner, roadmap=safety, direction="up")
    assert slugs(learner) == ["llm", "ai-safety", "mlops"]
    move_follow(learner=learner, roadmap=safety, direction="up")
    assert slugs(learner) == ["ai-safety", "llm", "mlops"]
    move_follow(learner=learner, roadmap=safety, direction="up")
    assert slugs(learner) == ["ai-safety", "llm", "mlops"]
    move_follow(learner=learner, roadmap=mlops, direction="down")
    assert slugs(learner) == ["ai-safety", "llm", "mlops"]
    move_follow(learner=learner, roadmap=llm, direction="down")
    assert slugs(learner) == ["ai-safety", "mlops", "llm"]
    assert positions(learner) == [0, 1, 2]


def test_moving_needs_a_known_direction(learner, roadmaps):
    follow_roadmap(learner=learner, roadmap=roadmaps[0])

    with pytest.raises(ValueError, match="up' or 'down"):
        move_follow(learner=learner, roadmap=roadmaps[0], direction="sideways")


def test_one_learners_changes_leave_another_learners_follows_alone(learner, outsider, roadmaps):
    llm, mlops, _safety = roadmaps
    for roadmap in roadmaps:
        follow_roadmap(learner=outsider, roadmap=roadmap)
    follow_roadmap(learner=learner, roadmap=mlops)
    follow_roadmap(learner=learner, roadmap=llm)

    move_follow(learner=learner, roadmap=llm, direction="up")
    unfollow_roadmap(learner=learner, roadmap=mlops)

    assert slugs(outsider) == ["llm", "mlops", "ai-safety"]
    assert slugs(learner) == ["llm"]


def test_the_study_plan_covers_followed_roadmaps_in_their_order(learner, roadmaps):
    llm, mlops, _ = roadmaps
    follow_roadmap(learner=learner, roadmap=llm)
    follow_roadmap(learner=learner, roadmap=mlops)
    first = plan_view(learner=learner).upcoming.order

    move_follow(learner=learner, roadmap=mlops, direction="up")
    second = plan_view(learner=learner).upcoming.order

    llm_ids = list(llm.items.order_by("order").values_list("id", flat=True))
    mlops_ids = list(mlops.items.order_by("order").values_list("id", flat=True))
    assert list(first) == llm_ids + mlops_ids
    assert list(second) == mlops_ids + llm_ids


def test_done_counts_come_per_roadmap_in_one_query(
    learner, outsider, roadmaps, django_assert_num_queries
):
    llm, mlops, _ = roadmaps
    for item in llm.items.all():
        ProgressFactory(learner=learner, item=item, status=Status.DONE)
    ProgressFactory(learner=learner, item=mlops.items.first(), status=Status.IN_PROGRESS)
    ProgressFactory(learner=outsider, item=mlops.items.first(), status=Status.DONE)

    with django_assert_num_queries(1):  # the roadmaps with a correlated count subquery
        counts = {r.slug: r.done_count for r in with_done_counts(Roadmap.objects.all(), learner)}

    assert counts == {"llm": 2, "mlops": 0, "ai-safety": 0}


# ---- twins ------------------------------------------------------------------------------------


def test_an_item_finds_the_other_items_of_its_declared_topic(roadmaps, django_assert_num_queries):
    llm, mlops, safety = roadmaps
    rlhf = ItemFactory(section__roadmap=llm, slug="rlhf", title="RLHF", topic="rlhf")
    in_safety = ItemFactory(section__roadmap=safety, slug="rlhf", topic="rlhf")
    technique = ItemFactory(section__roadmap=llm, slug="technique-rlhf", topic="rlhf")
    # Same slug or same link but no declared topic: identity is never guessed.
    ItemFactory(section__roadmap=mlops, slug="rlhf")
    alignment = ItemFactory(section__roadmap=mlops, slug="model-alignment")
    for item in (rlhf, alignment):
        ResourceFactory(item=item, url="https://arxiv.org/abs/2203.02155", group="link")

    with django_assert_num_queries(1):  # the twins with their roadmaps
        twins = item_twins(rlhf)

    assert twins == [technique, in_safety]  # roadmap order (llm, then ai-safety)


def test_archived_items_are_not_twins(roadmaps):
    llm, mlops, _ = roadmaps
    item = ItemFactory(section__roadmap=llm, slug="shared", topic="shared")
    twin = ItemFactory(section__roadmap=mlops, slug="shared", topic="shared")
    twin.archived_at = twin.created_at
    twin.save()

    assert item_twins(item) == []


# ---- views ------------------------------------------------------------------------------------


def test_learner_follows_a_roadmap_with_a_plain_form_and_is_sent_back(learner_client, roadmaps):
    url = reverse("roadmap_follow", args=["mlops"])

    response = learner_client.post(url, {"next": "/roadmaps/"})

    assert response.status_code == 302 and response.url == "/roadmaps/"
    assert [f.roadmap.slug for f in RoadmapFollow.objects.all()] == ["mlops"]


def test_follow_refuses_a_foreign_next_url(learner_client, roadmaps):
    response = learner_client.post(
        reverse("roadmap_follow", args=["mlops"]), {"next": "https://evil.example/"}
    )

    assert response.url == reverse("my_roadmaps")


def test_follow_with_htmx_returns_only_the_button(learner_client, roadmaps):
    response = learner_client.post(
        reverse("roadmap_follow", args=["mlops"]), HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="follow-mlops"' in html and "Following" in html and "Unfollow" in html


def test_the_follow_button_keeps_its_id_so_focus_returns_to_it_after_the_swap(
    learner_client, roadmaps
):
    # htmx moves focus back only to an element with the same id as the one pressed.
    page = learner_client.get(reverse("roadmap_list")).content.decode()
    swapped = learner_client.post(
        reverse("roadmap_follow", args=["mlops"]), HTTP_HX_REQUEST="true"
    ).content.decode()

    assert 'id="follow-toggle-mlops"' in page
    assert 'id="follow-toggle-mlops"' in swapped and "Unfollow" in swapped


def test_follow_endpoints_need_post_and_a_signed_in_learner(client, learner_client, roadmaps):
    url = reverse("roadmap_follow", args=["mlops"])

    assert learner_client.get(url).status_code == 405
    anonymous = client.__class__().post(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.url
    assert not RoadmapFollow.objects.exists()


def test_following_an_unknown_or_archived_roadmap_is_404(learner_client, roadmaps):
    archived = roadmaps[2]
    archived.archived_at = archived.created_at
    archived.save()

    assert learner_client.post(reverse("roadmap_follow", args=["nope"])).status_code == 404
    assert learner_client.post(reverse("roadmap_follow", args=["ai-safety"])).status_code == 404


def test_unfollowing_the_last_roadmap_explains_why_not(learner, learner_client, roadmaps):
    follow_roadmap(learner=learner, roadmap=roadmaps[0])

    response = learner_client.post(reverse("roadmap_unfollow", args=["llm"]), follow=True)

    assert "only roadmap you follow" in response.content.decode()
    assert slugs(learner) == ["llm"]


def test_outsider_cannot_unfollow_or_move_for_the_learner(learner, outsider_client, roadmaps):
    llm, mlops, _ = roadmaps
    follow_roadmap(learner=learner, roadmap=llm)
    follow_roadmap(learner=learner, roadmap=mlops)

    # Charlie follows neither explicitly; his requests only ever reach his own follows.
    unfollow = outsider_client.post(reverse("roadmap_unfollow", args=["mlops"]))
    move = outsider_client.post(reverse("follow_move", args=["mlops"]), {"direction": "up"})

    assert unfollow.status_code == 404 and move.status_code == 404
    assert slugs(learner) == ["llm", "mlops"]


def test_my_roadmaps_lists_followed_in_order_with_progress_and_up_down_buttons(
    learner, learner_client, roadmaps, django_assert_max_num_queries
):
    llm, mlops, _safety = roadmaps
    follow_roadmap(learner=learner, roadmap=mlops)
    follow_roadmap(learner=learner, roadmap=llm)
    ProgressFactory(learner=learner, item=llm.items.first(), status=Status.DONE)

    # session, user, follows (followed_roadmaps), roadmaps with counts
    with django_assert_max_num_queries(4):
        response = learner_client.get(reverse("my_roadmaps"))

    html = response.content.decode()
    assert html.index("MLOPS") < html.index("LLM") < html.index("AI-SAFETY")
    assert "1 of 2 done (50%)" in html
    assert 'name="direction" value="up"' in html and 'value="down"' in html
    assert "csrfmiddlewaretoken" in html


def test_moving_without_js_redirects_to_my_roadmaps(learner, learner_client, roadmaps):
    llm, mlops, _ = roadmaps
    follow_roadmap(learner=learner, roadmap=llm)
    follow_roadmap(learner=learner, roadmap=mlops)

    response = learner_client.post(reverse("follow_move", args=["mlops"]), {"direction": "up"})

    assert response.status_code == 302 and response.url == reverse("my_roadmaps")
    assert slugs(learner) == ["mlops", "llm"]


def test_moving_with_htmx_returns_the_reordered_list_only(learner, learner_client, roadmaps):
    llm, mlops, _ = roadmaps
    follow_roadmap(learner=learner, roadmap=llm)
    follow_roadmap(learner=learner, roadmap=mlops)

    response = learner_client.post(
        reverse("follow_move", args=["mlops"]), {"direction": "up"}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert "<html" not in html and html.lstrip().startswith('<div id="follow-list">')
    assert html.index("MLOPS") < html.index("LLM")


def test_moving_with_a_bad_direction_is_a_bad_request(learner, learner_client, roadmaps):
    follow_roadmap(learner=learner, roadmap=roadmaps[0])

    response = learner_client.post(reverse("follow_move", args=["llm"]), {"direction": "left"})

    assert response.status_code == 400


# ---- /roadmaps/ and the item page ------------------------------------------------------------


@pytest.mark.parametrize("extra", [0, 8])
def test_roadmap_list_shows_each_roadmaps_progress_and_follow_button_in_few_queries(
    learner, learner_client, roadmaps, extra, django_assert_max_num_queries
):
    _, mlops, _ = roadmaps
    for n in range(extra):
        ItemFactory(section__roadmap=RoadmapFactory(slug=f"more-{n}", order=10 + n))
    follow_roadmap(learner=learner, roadmap=mlops)
    ProgressFactory(learner=learner, item=mlops.items.first(), status=Status.DONE)

    # session, user, roadmaps with item counts, hours and done counts, follows
    with django_assert_max_num_queries(4):
        response = learner_client.get(reverse("roadmap_list"))

    html = response.content.decode()
    assert "1 of 2 done (50%)" in html and "0 of 2 done (0%)" in html
    assert "Unfollow" in follow_block(html, "mlops")
    assert "Unfollow" not in follow_block(html, "llm") and "Follow" in follow_block(html, "llm")
    assert html.count('class="follow-control"') == 3 + extra


def test_anonymous_roadmap_list_has_no_progress_or_follow_buttons(client, roadmaps):
    html = client.get(reverse("roadmap_list")).content.decode()

    assert "LLM" in html
    assert "follow-control" not in html and "<progress" not in html


def test_item_page_links_to_the_same_concept_in_another_roadmap(client, roadmaps):
    llm, _, safety = roadmaps
    item = ItemFactory(section__roadmap=llm, slug="rlhf", title="RLHF", topic="rlhf")
    twin = ItemFactory(section__roadmap=safety, slug="rlhf", title="RLHF for safety", topic="rlhf")

    html = client.get(item.get_absolute_url()).content.decode()

    assert "Also in" in html
    assert f'href="{twin.get_absolute_url()}"' in html and "AI-SAFETY" in html
    lonely = llm.items.first()
    assert "Also in" not in client.get(lonely.get_absolute_url()).content.decode()


def test_a_button_swapped_in_by_htmx_still_sends_a_browser_back_to_the_list(
    learner_client, roadmaps
):
    response = learner_client.post(
        reverse("roadmap_follow", args=["mlops"]), {"next": "/roadmaps/"}, HTTP_HX_REQUEST="true"
    )

    assert 'name="next" value="/roadmaps/"' in response.content.decode()


def test_a_signed_in_roadmap_page_leads_to_following_it_for_the_plan(client, db):
    item = ItemFactory()
    client.force_login(UserFactory())

    page = client.get(reverse("roadmap_detail", args=[item.roadmap.slug])).content.decode()

    assert f'href="{reverse("my_roadmaps")}"' in page
    assert "Your study plan covers the roadmaps you follow: " in page


# ---- issue 13: follows are explicit and durable -----------------------------------------------


def plan_slugs(learner) -> list[str]:
    return [roadmap.slug for roadmap in load_plan_inputs(learner).roadmaps]


def status_url(item) -> str:
    return reverse("set_item_status", args=[item.roadmap.slug, item.slug])


def test_the_default_follow_never_vanishes_when_a_second_roadmap_is_followed(
    learner, learner_client, roadmaps
):
    _, mlops, _ = roadmaps
    # What the learner is shown as followed before is what they chose: nothing by default.
    shown = learner_client.get(reverse("roadmap_list")).content.decode()
    before = slugs(learner)
    assert "✓ Following" not in shown

    follow_roadmap(learner=learner, roadmap=mlops)

    assert set(before) <= set(slugs(learner))


def test_items_ticked_on_the_first_roadmap_count_on_the_dashboard_after_following_a_second(
    learner, learner_client, roadmaps
):
    llm, _, _ = roadmaps
    learner_client.post(reverse("roadmap_follow", args=["mlops"]))
    for item in llm.items.all():
        learner_client.post(status_url(item), {"status": "done"})

    html = learner_client.get("/").content.decode()

    assert "2 done · 4 in all" in html
    assert slugs(learner) == ["mlops", "llm"]


def test_the_plan_keeps_the_first_roadmap_when_a_second_is_followed(learner, roadmaps):
    llm, mlops, safety = roadmaps
    before = plan_slugs(learner)

    follow_roadmap(learner=learner, roadmap=mlops)

    assert plan_slugs(learner)[: len(before)] == before
    follow_roadmap(learner=learner, roadmap=llm)
    follow_roadmap(learner=learner, roadmap=safety)
    assert plan_slugs(learner) == ["mlops", "llm", "ai-safety"]


def test_ticking_an_item_of_an_unfollowed_roadmap_follows_it_and_says_so_without_js(
    learner, learner_client, roadmaps
):
    llm, mlops, _ = roadmaps
    follow_roadmap(learner=learner, roadmap=llm)

    response = learner_client.post(status_url(mlops.items.first()), {"status": "done"}, follow=True)

    assert slugs(learner) == ["llm", "mlops"]  # appended at the end of the order
    assert "You now follow “MLOPS”" in response.content.decode()


def test_ticking_an_item_of_an_unfollowed_roadmap_follows_it_and_says_so_with_htmx(
    learner, learner_client, roadmaps
):
    llm, mlops, _ = roadmaps
    follow_roadmap(learner=learner, roadmap=llm)
    item = mlops.items.first()

    html = learner_client.post(
        status_url(item), {"status": "in_progress"}, HTTP_HX_REQUEST="true"
    ).content.decode()

    assert slugs(learner) == ["llm", "mlops"]
    notice = re.search(r'<div[^>]*hx-swap-oob="afterbegin:#main"[^>]*>(.*?)</div>', html, re.S)
    assert notice and 'role="status"' in notice.group(1) and "You now follow “MLOPS”" in html
    # A second tick on a followed roadmap says nothing more.
    again = learner_client.post(status_url(item), {"status": "done"}, HTTP_HX_REQUEST="true")
    assert "You now follow" not in again.content.decode()


def test_setting_an_item_back_to_not_started_follows_nothing(learner, roadmaps):
    llm, mlops, _ = roadmaps
    follow_roadmap(learner=learner, roadmap=llm)

    set_status(learner=learner, item=mlops.items.first(), status=Status.NOT_STARTED)

    assert slugs(learner) == ["llm"]


def test_unfollowing_a_roadmap_with_progress_asks_first_and_keeps_progress(
    learner, learner_client, roadmaps
):
    llm, mlops, _ = roadmaps
    follow_roadmap(learner=learner, roadmap=llm)
    follow_roadmap(learner=learner, roadmap=mlops)
    set_status(learner=learner, item=mlops.items.first(), status=Status.DONE)
    url = reverse("roadmap_unfollow", args=["mlops"])

    # The plain POST (the old button) no longer unfollows: it sends to the question.
    asked = learner_client.post(url, {"next": "/roadmaps/"})
    assert asked.status_code == 302 and asked.url.startswith(url)
    assert slugs(learner) == ["llm", "mlops"]
    question = learner_client.get(asked.url).content.decode()
    assert "You have 1 item done on MLOPS" in question
    assert "your progress is kept and comes back if you follow it again" in question
    assert 'name="confirm" value="1"' in question and 'method="post"' in question

    done = learner_client.post(url, {"confirm": "1", "next": "/roadmaps/"})

    assert done.status_code == 302 and done.url == "/roadmaps/"
    assert slugs(learner) == ["llm"]
    assert learner.progress.filter(item__roadmap=mlops, status=Status.DONE).count() == 1
    follow_roadmap(learner=learner, roadmap=mlops)
    assert "1 of 2 done (50%)" in learner_client.get(reverse("my_roadmaps")).content.decode()


def test_unfollowing_with_progress_asks_first_with_htmx_too(learner, learner_client, roadmaps):
    llm, mlops, _ = roadmaps
    follow_roadmap(learner=learner, roadmap=llm)
    follow_roadmap(learner=learner, roadmap=mlops)
    set_status(learner=learner, item=mlops.items.first(), status=Status.IN_PROGRESS)
    url = reverse("roadmap_unfollow", args=["mlops"])

    response = learner_client.post(url, {"place": "list"}, HTTP_HX_REQUEST="true")

    assert response["HX-Redirect"].startswith(url)
    assert slugs(learner) == ["llm", "mlops"]
    with pytest.raises(UnfollowNeedsConfirmation):
        unfollow_roadmap(learner=learner, roadmap=mlops)


def test_roadmaps_page_shows_progress_on_roadmaps_not_followed(learner, learner_client, roadmaps):
    llm, mlops, _ = roadmaps
    follow_roadmap(learner=learner, roadmap=llm)
    follow_roadmap(learner=learner, roadmap=mlops)
    set_status(learner=learner, item=mlops.items.first(), status=Status.DONE)
    unfollow_roadmap(learner=learner, roadmap=mlops, confirmed=True)

    html = learner_client.get(reverse("roadmap_list")).content.decode()

    card = html[html.index(">MLOPS<") : html.index(">AI-SAFETY<")]
    assert "1 of 2 done (50%)" in card and "Unfollow" not in follow_block(html, "mlops")


def test_joining_a_cohort_follows_its_roadmap(outsider, cohort, roadmaps):
    follow_roadmap(learner=outsider, roadmap=roadmaps[0])

    join_cohort(learner=outsider, code=cohort.invite_code)

    assert slugs(outsider) == ["llm", cohort.roadmap.slug]
    join_cohort(learner=outsider, code=cohort.invite_code)  # joining again changes nothing
    assert RoadmapFollow.objects.filter(learner=outsider).count() == 2


def _explicit_follows_migration():
    return importlib.import_module("tracker.migrations.0012_explicit_follows")


def test_the_data_migration_follows_the_roadmaps_learners_have_progress_in(
    learner, outsider, mentor, roadmaps
):
    llm, mlops, safety = roadmaps
    ProgressFactory(learner=learner, item=safety.items.first(), status=Status.DONE)
    ProgressFactory(learner=learner, item=llm.items.first(), status=Status.IN_PROGRESS)
    follow_roadmap(learner=mentor, roadmap=mlops)  # already chose: left alone
    ProgressFactory(learner=mentor, item=llm.items.first(), status=Status.DONE)

    _explicit_follows_migration().create_explicit_follows(django_apps, None)

    assert slugs(learner) == ["llm", "ai-safety"]  # the order /roadmaps/ lists them in
    assert positions(learner) == [0, 1]
    assert slugs(outsider) == []  # no progress: no follow, the first-run step asks
    assert slugs(mentor) == ["mlops"]
