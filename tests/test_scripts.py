"""The README's scripts say what they skip instead of failing or passing silently."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

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


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH: the Node SDK tests skip too")
def test_the_node_on_path_is_the_one_microsofts_node_client_sdk_declares() -> None:
    # @azure/web-pubsub-client 1.1 declares node >= 22; scripts/test puts one on PATH.
    version = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout
    assert int(version.strip().lstrip("v").split(".")[0]) >= 22, version


def test_ensure_node_says_what_is_missing_where_it_cannot_fetch_node(tmp_path: Path) -> None:
    # No node and no npm on PATH, and no .node/ in this folder: nothing to fetch with.
    script = f". {ROOT}/scripts/_venv.sh && cd {tmp_path} && ensure_node"
    result = subprocess.run(
        ["/bin/bash", "-c", script], env={"PATH": "/nonexistent"}, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stderr == (
        "Node.js not found: the Node SDK tests, the soak and chat history need Node.js 22 or later\n"
    )
