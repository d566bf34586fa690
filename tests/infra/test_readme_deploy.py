"""The deploy commands in the README and docs/ work on a fresh clone."""

from __future__ import annotations

import re
from pathlib import Path

from tests.infra.conftest import REPO

_FENCE = re.compile(r"^\s*```[a-z]*\n(.*?)^\s*```", re.DOTALL | re.MULTILINE)


def shell_lines(path: Path) -> list[str]:
    """Every line of every fenced block in one Markdown file, continuations joined."""
    text = path.read_text(encoding="utf-8")
    blocks = [block.replace("\\\n", " ") for block in _FENCE.findall(text)]
    return [line.strip() for block in blocks for line in block.splitlines()]


def publish_commands(path: Path) -> list[str]:
    return [line for line in shell_lines(path) if line.startswith("func azure functionapp publish")]


def test_every_func_publish_command_names_python_since_local_settings_json_is_git_ignored() -> None:
    # Without local.settings.json Core Tools cannot tell the language
    # (GlobalCoreToolsSettings.cs in Azure/azure-functions-core-tools).
    assert publish_commands(REPO / "README.md"), "the README shows no func publish command"
    documents = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    publish = [line for path in documents for line in publish_commands(path)]
    assert [line for line in publish if "--python" not in line.split()] == []
    assert "local.settings.json" in (REPO / ".gitignore").read_text(encoding="utf-8")
