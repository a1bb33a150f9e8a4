#!/usr/bin/env python3
"""The two Quick start commands, with nothing but Python 3.11+ installed.

python3 dev.py serve    set up .venv, install, migrate, import content, demo accounts, serve
python3 dev.py test     run the whole test suite (extra arguments go to pytest)
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
LOCK = ROOT / "requirements.lock"
STAMP = VENV / ".requirements.sha256"


def run(*args: str, env: dict | None = None) -> None:
    print("+", " ".join(args), flush=True)
    subprocess.run(args, cwd=ROOT, check=True, env=env)


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on the system Python
        sys.exit("Roadmap Tracker needs Python 3.11 or newer.")
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    wanted = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    # Reinstall only when the lock file changed, so repeat runs start in seconds.
    if not STAMP.exists() or STAMP.read_text().strip() != wanted:
        run(str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(str(PYTHON), "-m", "pip", "install", "--quiet", "-r", str(LOCK))
        STAMP.write_text(wanted)


def serve() -> None:
    ensure_venv()
    env = {**os.environ}
    env.setdefault("DEBUG", "1")
    manage = [str(PYTHON), "manage.py"]
    run(*manage, "migrate", "--no-input", env=env)
    run(*manage, "import_roadmap", env=env)
    if (ROOT / "tracker/management/commands/seed_demo.py").exists():
        run(*manage, "seed_demo", "--learners", "12", "--cohorts", "1", "--if-empty", env=env)
    run(*manage, "create_demo_accounts", env=env)
    run(*manage, "runserver", "127.0.0.1:8000", env=env)


def test(pytest_args: list[str]) -> int:
    ensure_venv()
    env = {**os.environ}
    # Tests never need a real secret; production refuses to start without one.
    env.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
    print("+ pytest", " ".join(pytest_args), flush=True)
    return subprocess.run([str(PYTHON), "-m", "pytest", *pytest_args], cwd=ROOT, env=env).returncode


def manage(args: list[str]) -> int:
    ensure_venv()
    env = {**os.environ}
    # Without DEBUG the settings insist on a real SECRET_KEY, as production must.
    env.setdefault("DEBUG", "1")
    return subprocess.run([str(PYTHON), "manage.py", *args], cwd=ROOT, env=env).returncode


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"serve", "test", "manage"}:
        sys.exit(__doc__)
    try:
        if sys.argv[1] == "serve":
            serve()
        elif sys.argv[1] == "manage":
            sys.exit(manage(sys.argv[2:]))
        else:
            sys.exit(test(sys.argv[2:]))
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
