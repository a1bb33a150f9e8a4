"""A command's stdout is its data: logs go to stderr, so `export_roadmap llm > file` and
`check_links --json` stay importable and parseable with logging on (issue 14)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LLM_YAML = ROOT / "content/llm.yaml"


@pytest.fixture(scope="module")
def manage(tmp_path_factory):
    """Runs manage.py in a subprocess on a fresh SQLite file database, logging at INFO."""
    database = tmp_path_factory.mktemp("stdout") / "db.sqlite3"
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env |= {"DATABASE_URL": f"sqlite:///{database}", "LOG_LEVEL": "INFO"}

    def run(*args: str, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
            check=False,
        )

    migrated = run("migrate", "--no-input")
    assert migrated.returncode == 0, migrated.stderr
    return run


@pytest.mark.skipif(not LLM_YAML.exists(), reason="content/llm.yaml is not written yet")
def test_an_export_redirected_to_a_file_is_pure_yaml_that_imports_cleanly(manage, tmp_path):
    assert manage("import_roadmap", str(LLM_YAML)).returncode == 0
    exported = tmp_path / "llm.yaml"

    with exported.open("w", encoding="utf-8") as out:
        export = manage("export_roadmap", "llm", stdout=out)
    reimport = manage("import_roadmap", str(exported))

    assert export.returncode == 0, export.stderr
    text = exported.read_text(encoding="utf-8")
    assert text.startswith("# Exported from the database by `manage.py export_roadmap llm`.")
    assert "\nschema: 1\nslug: llm\n" in text
    assert "axes" not in text  # the start-up log line that used to lead the file
    assert reimport.returncode == 0, reimport.stderr
    assert "nothing to do: content is up to date" in reimport.stdout


def test_check_links_json_output_is_one_json_object_per_line(manage):
    # A loopback URL is refused by the guard before any connection: no network is needed.
    result = manage("check_links", "--json", "--url", "http://127.0.0.1:9/")

    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["url"] == "http://127.0.0.1:9/"
