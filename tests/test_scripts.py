"""The README's scripts say what they skip instead of failing or passing silently."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_app_tests_on_a_python_that_is_not_here_are_skipped_with_the_reason() -> None:
    env = {**os.environ, "PATH": "/usr/bin:/bin"}  # no pyenv shims
    result = subprocess.run(
        ["bash", "scripts/test-app", "3.99"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout == (
        "scripts/test-app: skipped the app's tests on Python 3.99: no python3.99 here (pyenv install 3.99)\n"
    )


def test_the_app_tests_need_a_version() -> None:
    result = subprocess.run(
        ["bash", "scripts/test-app"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "usage: scripts/test-app VERSION" in result.stderr
