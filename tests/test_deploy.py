"""Production wiring: compose file, Dockerfile, deploy checks, security headers, logs, health."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_SOURCES = [ROOT / "roadmap_site/settings.py"]
PROCESS_SCRIPTS = [ROOT / "bin/web", ROOT / "bin/worker", ROOT / "bin/beat"]


def variables_read_by_settings() -> set[str]:
    pattern = re.compile(
        r"(?:os\.environ\.get|os\.environ\[|env_bool|env_int|env_float|env_list)\(?\s*[\"']([A-Z_]+)[\"']"
    )
    names = set()
    for path in SETTINGS_SOURCES:
        names |= set(pattern.findall(path.read_text()))
    return names


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_five_services_with_healthchecks():
    services = compose()["services"]
    assert set(services) == {"db", "redis", "web", "worker", "beat"}
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no healthcheck"
    for name in ("web", "worker", "beat"):
        conditions = {dep: spec["condition"] for dep, spec in services[name]["depends_on"].items()}
        assert conditions["db"] == "service_healthy"
        assert conditions["redis"] == "service_healthy"
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]
    assert "pgdata" in compose()["volumes"]


def test_app_services_share_one_image_and_their_commands_exist_in_the_project():
    services = compose()["services"]
    images = {services[name]["image"] for name in ("web", "worker", "beat")}
    assert len(images) == 1
    for name in ("web", "worker", "beat"):
        command = services[name]["command"][0]
        path = ROOT / command
        assert path.is_file(), f"{name}: {command} is not in the project"
        assert os.access(path, os.X_OK), f"{name}: {command} is not executable"


def test_workers_can_be_scaled_out_with_compose_scale():
    # `docker compose up --scale worker=N` fails on a fixed container name or host port.
    worker = compose()["services"]["worker"]
    assert "container_name" not in worker
    assert "ports" not in worker


def test_every_variable_compose_sets_is_read_by_the_settings():
    read = variables_read_by_settings()
    assert {"DATABASE_URL", "SECRET_KEY", "REDIS_URL", "EMAIL_URL", "DEBUG"} <= read
    for name in ("web", "worker", "beat"):
        env = compose()["services"][name]["environment"]
        unknown = set(env) - read
        assert not unknown, f"{name} sets variables the settings never read: {unknown}"


def test_env_example_lists_every_variable_the_settings_read():
    listed = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    missing = variables_read_by_settings() - listed
    assert not missing, f".env.example lacks {sorted(missing)}"


def test_dockerfile_is_multi_stage_and_runs_as_a_non_root_user():
    text = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1] not in {"root", "0"}


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG"}}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="0",
        HTTPS="1",
        ALLOWED_HOSTS="roadmap.example.org",
        LOG_FORMAT="json",
    )
    return env


def test_deploy_check_passes_with_production_environment():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output.split("System check identified")[-1]


def test_settings_refuse_to_start_without_secret_key_unless_debug():
    env = production_env()
    env.pop("SECRET_KEY")
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_the_wsgi_app_loads_every_view_before_its_first_request():
    # Otherwise each gunicorn worker's first visitor waits while the URLconf imports the views.
    script = (
        "import sys, roadmap_site.wsgi; "
        "print('tracker.views.progress' in sys.modules, 'roadmap_site.urls' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=production_env(), capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    # The last line: logging (JSON on stdout) may come first.
    assert result.stdout.splitlines()[-1] == "True True"


def test_logs_are_one_json_object_per_line_on_stderr_and_keep_stdout_for_data():
    env = production_env()
    script = (
        "import logging; logging.getLogger('tracker.test').warning('disk %s', 'full'); "
        "print('the data')"
    )
    result = _manage("shell", "-v", "0", "-c", script, env=env)
    assert result.stdout == "the data\n"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    mine = [r for r in records if r.get("logger") == "tracker.test"]
    assert mine and mine[0]["message"] == "disk full" and mine[0]["level"] == "WARNING"


def test_security_headers_are_sent(client, db):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    assert "'self'" in script_src
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_scripts(client, db):
    html = client.get("/").content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, f"inline script: {tag}"
    assert " onclick=" not in html and " style=" not in html


def test_healthz_is_503_when_redis_is_configured_but_down(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": True, "redis": False}


@pytest.mark.needs_redis
def test_healthz_checks_redis_when_configured(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["redis"] is True


def test_healthz_is_503_when_the_database_is_down(client, db, monkeypatch):
    from tracker.views import health

    monkeypatch.setattr(health, "_database_ok", lambda: False)
    assert client.get("/healthz").status_code == 503


def test_liveness_answers_without_touching_the_database(client):
    # No `db` fixture: pytest-django raises if the request so much as opens a connection.
    response = client.get("/healthz/live")
    assert response.status_code == 200 and response.content == b"ok"


def test_signed_in_pages_are_private_to_shared_caches(client, learner):
    assert "private" not in client.get("/roadmaps/").get("Cache-Control", "")
    client.force_login(learner)
    for path in ("/", "/roadmaps/", "/me/"):
        assert "private" in client.get(path)["Cache-Control"], path
