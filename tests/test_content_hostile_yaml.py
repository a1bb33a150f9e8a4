"""Hostile roadmap YAML: each attack is rejected by import_roadmap as path:line before any
write, instead of hanging, crashing or failing in the database (issue 14)."""

import io
import itertools
import string
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tracker.content_io import load_yaml
from tracker.content_io.schema import MAX_FILE_BYTES, MAX_TEXT_CHARS
from tracker.models import Item, Roadmap

# A valid roadmap; the comments are line numbers the cases below refer to.
VALID = """\
schema: 1
slug: tiny
title: Tiny
sections:
  - slug: basics
    kind: level
    level: beginner
    title: Basics
    items:
      - slug: one
        title: One
        effort_hours: 2
        resources:
          - title: One explained
            url: https://example.org/one
            kind: article
"""


def write(tmp_path: Path, content: str | bytes, name: str = "hostile.yaml") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8", "surrogatepass")
    path.write_bytes(content)
    return path


def rejected(path: Path) -> list[str]:
    """Import `path`, expecting a refusal; the problem lines printed. Nothing may be written."""
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_roadmap", str(path), stdout=io.StringIO(), stderr=err)
    assert not Roadmap.objects.exists()
    return err.getvalue().splitlines()


def alias_bomb(levels: int) -> str:
    """The "billion laughs": each level lists the one before nine times."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = string.ascii_lowercase[:levels]
    for previous, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "schema: 1\nslug: bomb\ntitle: Bomb\n" + "\n".join(lines) + f"\nsections: *{names[-1]}\n"


def test_the_valid_roadmap_of_these_cases_imports(db, tmp_path):
    call_command("import_roadmap", str(write(tmp_path, VALID)), stdout=io.StringIO())

    assert Item.objects.get().title == "One"


def test_a_yaml_alias_bomb_is_rejected_at_the_line_where_it_grows_too_large(db, tmp_path):
    bomb = alias_bomb(9)  # 9**9 = 387 million strings once expanded
    assert len(bomb) < 400
    path = write(tmp_path, bomb)

    # Line 9 is `f: &f [*e, ...]`: the first level whose expansion passes the cap.
    assert rejected(path) == [f"{path}:9: the file has more than 100,000 values (aliases included)"]


def test_aliases_within_the_limits_still_read_as_the_values_they_stand_for():
    data, problems = load_yaml("a: &x [1, {b: 2}]\nc: *x\n")

    assert problems == []
    assert data["c"] == [1, {"b": 2}]


def test_a_recursive_alias_is_an_error_not_an_endless_loop(db, tmp_path):
    path = write(tmp_path, "schema: 1\nslug: loop\ntitle: Loop\nsections: &s [*s]\n")

    assert rejected(path) == [f"{path}:4: recursive YAML alias"]


@pytest.mark.parametrize(
    ("nesting", "line"),
    [
        pytest.param("sections: " + "[" * 20_000 + "\n", 4, id="20000-flow-levels"),
        pytest.param("sections:\n" + "- " * 3_000 + "x\n", 5, id="3000-block-levels"),
    ],
)
def test_deep_nesting_is_an_error_not_a_recursion_error(db, tmp_path, nesting, line):
    path = write(tmp_path, "schema: 1\nslug: deep\ntitle: Deep\n" + nesting)

    assert rejected(path) == [f"{path}:{line}: values are nested more than 50 levels deep"]


@pytest.mark.parametrize(
    ("escape", "name", "code"),
    [
        pytest.param("\\0", "a NUL character", "U+0000", id="nul"),
        pytest.param("\\x00", "a NUL character", "U+0000", id="nul-hex"),
        pytest.param("\\ud800", "a lone surrogate", "U+D800", id="lone-surrogate"),
    ],
)
def test_text_no_database_can_store_is_an_error_with_its_line(db, tmp_path, escape, name, code):
    # On PostgreSQL a NUL used to fail the import with a DataError; SQLite stored it.
    path = write(tmp_path, VALID.replace("title: One\n", f'title: "O{escape}ne"\n'))

    assert rejected(path) == [
        f"{path}:11: 'title' of item 'one' contains {name} ({code}), which cannot be stored;"
        " remove it"
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param(b"O\x00ne", "character U+0000 is not allowed in YAML; remove it", id="nul"),
        pytest.param(b"O\x07ne", "character U+0007 is not allowed in YAML; remove it", id="bell"),
        pytest.param(
            b"Caf\xe9", "not UTF-8 text: byte(s) e9 (invalid continuation byte)", id="latin-1"
        ),
    ],
)
def test_bytes_that_are_not_yaml_text_are_an_error_with_their_line(db, tmp_path, raw, message):
    path = write(tmp_path, VALID.encode().replace(b"title: One\n", b"title: " + raw + b"\n"))

    assert rejected(path) == [f"{path}:11: {message}"]


def test_a_file_over_the_size_limit_is_not_read(db, tmp_path):
    description = "x" * MAX_FILE_BYTES
    path = write(
        tmp_path, VALID.replace("title: One\n", f"title: One\n        description: {description}\n")
    )

    assert rejected(path) == [
        f"{path}: the file is larger than {MAX_FILE_BYTES:,} bytes, the limit for content"
    ]


def test_a_markdown_field_over_the_limit_is_an_error_with_its_line(db, tmp_path):
    long = "word " * (MAX_TEXT_CHARS // 5 + 1)
    path = write(
        tmp_path, VALID.replace("title: One\n", f"title: One\n        description: {long}\n")
    )

    assert rejected(path) == [
        f"{path}:12: 'description' of item 'one' is {len(long.strip()):,} characters long;"
        f" at most {MAX_TEXT_CHARS:,} fit"
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(
            "!!python/object/apply:os.system [echo hi]",
            "cannot read value: unsupported tag 'tag:yaml.org,2002:python/object/apply:os.system'",
            id="python-object-on-a-list",
        ),
        pytest.param(
            "!!python/name:os.system",
            "cannot read value: could not determine a constructor for the tag"
            " 'tag:yaml.org,2002:python/name:os.system'",
            id="python-name",
        ),
        pytest.param(
            "!!float abc",
            "cannot read value: could not convert string to float: 'abc'",
            id="bad-float",
        ),
    ],
)
def test_python_and_malformed_tags_are_errors_and_nothing_runs(db, tmp_path, value, message):
    path = write(tmp_path, VALID.replace("title: One\n", f"title: {value}\n"))

    assert rejected(path) == [f"{path}:11: {message}"]


def test_an_integer_too_long_to_convert_is_an_error_not_a_crash(db, tmp_path):
    path = write(tmp_path, VALID.replace("effort_hours: 2\n", f"effort_hours: {'9' * 5000}\n"))

    [problem] = rejected(path)
    assert problem.startswith(f"{path}:12: cannot read value: Exceeds the limit")


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        pytest.param(
            "url: https://example.org/one",
            "url: javascript:alert(1)",
            15,
            "'url' of resource 'One explained' of item 'one' must be an http:// or https://"
            " URL: 'javascript:alert(1)'",
            id="javascript-url",
        ),
        pytest.param(
            "url: https://example.org/one",
            "url: data:text/html,<script>alert(1)</script>",
            15,
            "'url' of resource 'One explained' of item 'one' must be an http:// or https://"
            " URL: 'data:text/html,<script>alert(1)</script>'",
            id="data-url",
        ),
        pytest.param(
            "effort_hours: 2\n",
            "effort_hours: 2\n        badge_url: javascript:alert(1)\n",
            13,
            "'badge_url' of item 'one' must be an http:// or https:// URL: 'javascript:alert(1)'",
            id="javascript-badge",
        ),
        pytest.param(
            "slug: one",
            "slug: ../one",
            10,
            "slug of an item must be lowercase letters and digits joined by single hyphens"
            " (at most 80 characters), not '../one'",
            id="dot-dot-slug",
        ),
    ],
)
def test_links_and_slugs_that_could_escape_their_page_are_errors(
    db, tmp_path, old, new, line, message
):
    path = write(tmp_path, VALID.replace(old, new))

    assert f"{path}:{line}: {message}" in rejected(path)
