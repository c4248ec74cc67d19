"""`make run` signs self-service links with a random secret of its own, never the public development key."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEV_KEY = "django-insecure-dev-only-key-never-use-in-production-0123456789abcdef"

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)


def test_make_run_generates_a_private_random_secret_once_when_no_key_file_exists(tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"

    make(f"SECRET_KEY_FILE={first}", str(first))
    key = first.read_text().strip()
    make(f"SECRET_KEY_FILE={first}", str(first))  # the second run keeps the first secret
    make(f"SECRET_KEY_FILE={second}", str(second))

    assert len(key) >= 50
    assert key != DEV_KEY
    assert first.read_text().strip() == key
    assert second.read_text().strip() != key
    assert stat.S_IMODE(first.stat().st_mode) == 0o600


def test_make_run_gives_every_command_the_generated_secret_when_run(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("x" * 60)
    plan = make("-n", f"SECRET_KEY_FILE={key_file}", "run").stdout
    commands = [line for line in plan.splitlines() if "manage.py" in line]
    assert [line.split("manage.py ")[1].split()[0] for line in commands] == ["migrate", "load_demo", "runserver"]
    for line in commands:
        assert f"SECRET_KEY=${{SECRET_KEY:-$(cat {key_file})}}" in line, line


def test_secret_key_file_is_ignored_by_git_when_generated():
    result = subprocess.run(["git", "check-ignore", "-q", ".secret_key"], cwd=ROOT, check=False)
    assert result.returncode == 0, ".secret_key must be listed in .gitignore"
