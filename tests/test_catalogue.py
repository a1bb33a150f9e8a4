"""/roadmaps/ as a catalogue of twelve: groups by theme, a no-JS filter, cards with counts and
hours, and the roadmap page's Follow / "sign up to track" prompt. Also the YAML side of
themes (validation with path:line, the export round trip) and of the README.md#… rule."""

import io
import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.builders import make_roadmap
from tests.factories import ItemFactory, ProgressFactory, RoadmapFactory, SectionFactory
from tracker.content_io import load_yaml, validate_data
from tracker.models import Roadmap, RoadmapFollow, Status, Theme
from tracker.selectors.roadmaps import catalogue, roadmaps_for_list

CONTENT = Path(__file__).resolve().parent.parent / "content"
MINI = Path(__file__).resolve().parent / "data" / "import" / "mini.yaml"


def headings(html: str) -> list[str]:
    return re.findall(r'<h2 id="theme-[^"]*">([^<]*)</h2>', html)


def group_of(html: str, title: str) -> str:
    """The HTML of one theme's group on /roadmaps/."""
    start = html.index(f">{title}</h2>")
    end = html.find("<h2", start + 1)
    return html[start : end if end != -1 else len(html)]


def roadmap_header(html: str) -> str:
    start = html.index('<header class="roadmap-header">')
    return html[start : html.index("</header>", start)]


# --- Groups and the filter --------------------------------------------------------------------


@pytest.fixture
def themed(db):
    """Four roadmaps in three groups, listed out of theme order on purpose."""
    made = {}
    for slug, theme, order in [
        ("research-one", Theme.RESEARCH, 1),
        ("found-b", Theme.FOUNDATIONS, 3),
        ("found-a", Theme.FOUNDATIONS, 2),
        ("loose", "", 0),
    ]:
        roadmap = RoadmapFactory(slug=slug, title=slug.title(), theme=theme, order=order)
        ItemFactory(section=SectionFactory(roadmap=roadmap), effort_hours=4)
        made[slug] = roadmap
    return made


def test_the_list_groups_roadmaps_under_theme_headings_in_theme_order(client, themed):
    html = client.get(reverse("roadmap_list")).content.decode()

    assert headings(html) == ["Foundations", "Research and safety", "Other roadmaps"]
    foundations = group_of(html, "Foundations")
    assert foundations.index("Found-A") < foundations.index("Found-B")  # the roadmaps' order
    assert "Research-One" not in foundations
    assert "Loose" in group_of(html, "Other roadmaps")


def test_the_theme_filter_is_a_plain_link_that_shows_one_group(client, themed):
    listing = client.get(reverse("roadmap_list")).content.decode()
    assert 'href="/roadmaps/?theme=foundations"' in listing
    assert 'href="/roadmaps/" aria-current="page"' in listing

    html = client.get(reverse("roadmap_list"), {"theme": "foundations"}).content.decode()

    assert headings(html) == ["Foundations"]
    assert "Research-One" not in html and "Found-A" in html
    assert 'href="/roadmaps/?theme=foundations" aria-current="page"' in html


def test_an_unknown_theme_shows_every_group_rather_than_nothing(client, themed):
    html = client.get(reverse("roadmap_list"), {"theme": "nope<script>"}).content.decode()

    assert headings(html) == ["Foundations", "Research and safety", "Other roadmaps"]
    assert "nope<script>" not in html


def test_grouping_is_pure_and_keeps_each_groups_order():
    roadmaps = [
        Roadmap(slug="a", theme=Theme.LANGUAGE),
        Roadmap(slug="b", theme=""),
        Roadmap(slug="c", theme=Theme.FOUNDATIONS),
        Roadmap(slug="d", theme=Theme.LANGUAGE),
    ]

    groups = catalogue(roadmaps)

    assert [(g.slug, [r.slug for r in g.roadmaps]) for g in groups] == [
        ("foundations", ["c"]),
        ("language", ["a", "d"]),
        ("", ["b"]),
    ]


def test_the_twelve_roadmaps_each_have_a_theme_and_fill_every_group(db):
    call_command("import_roadmap", str(CONTENT), stdout=io.StringIO(), stderr=io.StringIO())

    assert Roadmap.objects.count() == 12
    assert not Roadmap.objects.filter(theme="").exists()
    assert set(Roadmap.objects.values_list("theme", flat=True)) == set(Theme.values)


# --- Cards: counts, hours, progress -----------------------------------------------------------


def test_a_card_gives_the_exact_item_count_and_hours_of_active_items(client, db):
    roadmap, items = make_roadmap(7)
    ItemFactory(section=items[0].section, effort_hours=500, archived_at=timezone.now())
    hours = sum(item.effort_hours for item in items)

    html = client.get(reverse("roadmap_list")).content.decode()

    assert f"7 items · about {hours} hours" in html
    listed = roadmaps_for_list().get(pk=roadmap.pk)
    assert (listed.item_count, listed.total_hours) == (7, hours)


def _list_queries(client) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("roadmap_list")).status_code == 200
    return len(captured.captured_queries)


def test_the_list_costs_the_same_queries_with_five_or_twelve_roadmaps(learner_client, learner):
    def add(n: int) -> None:
        for _ in range(n):
            count = Roadmap.objects.count()
            roadmap = RoadmapFactory(slug=f"r{count}", theme=Theme.values[count % 5])
            item = ItemFactory(section=SectionFactory(roadmap=roadmap))
            ProgressFactory(learner=learner, item=item, status=Status.DONE)
            RoadmapFollow.objects.create(learner=learner, roadmap=roadmap, position=count)

    add(5)
    with_five = _list_queries(learner_client)
    add(7)

    # session, user, follows, roadmaps with their item, hour and done counts: grouping by
    # theme reads nothing more.
    assert _list_queries(learner_client) == with_five == 4
    html = learner_client.get(reverse("roadmap_list")).content.decode()
    assert html.count("1 of 1 done (100%)") == 12


def test_signed_in_cards_show_progress_on_followed_and_unfollowed_roadmaps(
    learner_client, learner, themed
):
    RoadmapFollow.objects.create(learner=learner, roadmap=themed["found-a"], position=0)
    ProgressFactory(learner=learner, item=themed["found-b"].items.get(), status=Status.DONE)

    html = learner_client.get(reverse("roadmap_list")).content.decode()

    found_b = html[html.index("Found-B") :]
    assert re.match(r".*?>1 of 1 done \(100%\)</p>", found_b, re.DOTALL)
    # The label sits in its own line above a full-width bar, never beside it.
    assert re.search(
        r'<p class="roadmap-progress-label"[^>]*>0 of 1 done \(0%\)</p>\s*<progress', html
    )
    assert html.count("<progress") == 4


# --- The roadmap page: Follow, Following or sign up --------------------------------------------


def test_anonymous_visitors_get_a_sign_up_prompt_that_comes_back_to_the_roadmap(client, db):
    make_roadmap(3)

    html = client.get(reverse("roadmap_detail", args=["llm"])).content.decode()

    assert 'href="/accounts/signup/?next=%2Froadmaps%2Fllm%2F"' in html
    assert "Sign up to track your progress" in html
    assert 'href="/accounts/login/?next=%2Froadmaps%2Fllm%2F"' in html
    assert "follow-control" not in html


def test_a_learner_who_does_not_follow_gets_a_follow_button(learner_client, db):
    make_roadmap(3)

    html = learner_client.get(reverse("roadmap_detail", args=["llm"])).content.decode()

    header = roadmap_header(html)
    assert 'action="/roadmaps/llm/follow/"' in header
    assert "Sign up to track" not in html
    assert 'name="next" value="/roadmaps/llm/"' in header


def test_following_shows_on_the_page_at_once_and_unfollowing_takes_it_back(
    learner_client, db, django_capture_on_commit_callbacks
):
    make_roadmap(3)
    url = reverse("roadmap_detail", args=["llm"])
    learner_client.get(url)  # the learner's parts are cached now

    with django_capture_on_commit_callbacks(execute=True):  # pages change once it commits
        response = learner_client.post(reverse("roadmap_follow", args=["llm"]), {"next": url})
    assert response.status_code == 302

    header = roadmap_header(learner_client.get(url).content.decode())
    assert "✓ Following" in header
    assert 'action="/roadmaps/llm/unfollow/"' in header
    # The last followed roadmap can't be unfollowed: the learner follows another one first.
    with django_capture_on_commit_callbacks(execute=True):
        other = ItemFactory(section=SectionFactory(roadmap=RoadmapFactory(slug="other"))).roadmap
        learner_client.post(reverse("roadmap_follow", args=[other.slug]), {"next": url})
        learner_client.post(reverse("roadmap_unfollow", args=["llm"]), {"next": url})
    header = roadmap_header(learner_client.get(url).content.decode())
    assert "Following" not in header and 'action="/roadmaps/llm/follow/"' in header


def test_the_anonymous_prompt_never_leaks_into_a_learners_page_or_back(client, learner, db):
    make_roadmap(3)
    url = reverse("roadmap_detail", args=["llm"])
    client.force_login(learner)
    assert "Sign up to track" not in client.get(url).content.decode()
    client.logout()

    html = client.get(url).content.decode()

    assert "Sign up to track" in html and "follow-control" not in html


# --- YAML: the theme key and the README.md#… rule --------------------------------------------


def _problems(text: str) -> list[str]:
    data, problems = load_yaml(text, path="mini.yaml")
    assert problems == []
    return [str(p) for p in validate_data(data, path="mini.yaml")]


def _mini_with(after_summary: str) -> str:
    text = MINI.read_text(encoding="utf-8")
    marker = "summary: A tiny roadmap for the importer's tests.\n"
    assert marker in text
    return text.replace(marker, marker + after_summary)


def test_a_valid_theme_passes_and_an_unknown_one_is_refused_with_its_line():
    assert _problems(_mini_with("theme: vision\n")) != []
    assert _problems(_mini_with("theme: language\n")) == []

    line = _mini_with("theme: vision\n").splitlines().index("theme: vision") + 1
    assert _problems(_mini_with("theme: vision\n")) == [
        f"mini.yaml:{line}: 'theme' of the roadmap must be one of"
        f" {', '.join(Theme.values)}, not 'vision'"
    ]
    assert "must be one of" in _problems(_mini_with("theme: [language]\n"))[0]


def test_a_typo_in_the_theme_key_is_an_unknown_key():
    assert "did you mean 'theme'?" in _problems(_mini_with("them: language\n"))[0]


def test_a_roadmaps_theme_survives_export_and_import_unchanged(db, tmp_path):
    source = tmp_path / "mini.yaml"
    source.write_text(_mini_with("theme: research\n"), encoding="utf-8")
    call_command("import_roadmap", str(source), stdout=io.StringIO(), stderr=io.StringIO())
    assert Roadmap.objects.get(slug="mini").theme == "research"

    exported = io.StringIO()
    call_command("export_roadmap", "mini", stdout=exported, stderr=io.StringIO())
    assert "\ntheme: research\n" in exported.getvalue()
    again = tmp_path / "again" / "mini.yaml"
    again.parent.mkdir()
    again.write_text(exported.getvalue(), encoding="utf-8")
    out = io.StringIO()
    call_command("import_roadmap", str(again), stdout=out, stderr=io.StringIO())

    assert "nothing to do: content is up to date" in out.getvalue()


def test_an_admins_theme_change_exports_and_a_yaml_theme_change_imports(db, tmp_path):
    source = tmp_path / "mini.yaml"
    source.write_text(_mini_with("theme: research\n"), encoding="utf-8")
    call_command("import_roadmap", str(source), stdout=io.StringIO(), stderr=io.StringIO())
    source.write_text(_mini_with("theme: production\n"), encoding="utf-8")
    call_command("import_roadmap", str(source), stdout=io.StringIO(), stderr=io.StringIO())

    assert Roadmap.objects.get(slug="mini").theme == "production"


@pytest.mark.parametrize(
    ("title", "url", "key"),
    [
        ("See README.md#the-math-behind-it-all", "https://example.org/maths", "title"),
        ("The maths", "https://github.com/o/r/blob/main/README.md#the-math", "url"),
    ],
)
def test_a_resource_pointing_at_a_readme_section_is_refused_with_its_line(title, url, key):
    text = MINI.read_text(encoding="utf-8")
    text = text.replace("      - title: The maths\n        url: https://example.org/maths\n",
                        f"      - title: {title}\n        url: {url}\n", 1)  # fmt: skip
    lines = text.splitlines()
    line = next(
        n
        for n, row in enumerate(lines, 1)
        if row.strip().removeprefix("- ").startswith(f"{key}:") and (title in row or url in row)
    )

    problems = _problems(text)

    assert len(problems) == 1
    assert problems[0].startswith(f"mini.yaml:{line}: resource '{title}' of section")
    assert "README.md#" in problems[0] and "drop it" in problems[0]


def test_no_content_file_links_into_a_readme_section():
    for path in CONTENT.glob("*.yaml"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.lstrip().startswith("#"):
                assert "README.md#" not in line, (path.name, line)


def test_every_roadmap_exports_with_its_theme_and_imports_back_unchanged(db, tmp_path):
    call_command("import_roadmap", str(CONTENT), stdout=io.StringIO(), stderr=io.StringIO())
    for roadmap in Roadmap.objects.all():
        out = io.StringIO()
        call_command("export_roadmap", roadmap.slug, stdout=out, stderr=io.StringIO())
        assert f"\ntheme: {roadmap.theme}\n" in out.getvalue()
        (tmp_path / f"{roadmap.slug}.yaml").write_text(out.getvalue(), encoding="utf-8")

    out = io.StringIO()
    call_command("import_roadmap", *sorted(map(str, tmp_path.glob("*.yaml"))), stdout=out)

    assert "nothing to do: content is up to date" in out.getvalue()
