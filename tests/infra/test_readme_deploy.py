"""The README's deploy commands work on a fresh clone."""

from __future__ import annotations

import re

from tests.infra.conftest import REPO

_FENCE = re.compile(r"^\s*```[a-z]*\n(.*?)^\s*```", re.DOTALL | re.MULTILINE)


def shell_lines() -> list[str]:
    """Every line of every fenced block in the README, continuations joined."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = [block.replace("\\\n", " ") for block in _FENCE.findall(text)]
    return [line.strip() for block in blocks for line in block.splitlines()]


def test_every_func_publish_command_names_python_since_local_settings_json_is_git_ignored() -> None:
    # Without local.settings.json Core Tools cannot tell the language
    # (GlobalCoreToolsSettings.cs in Azure/azure-functions-core-tools).
    publish = [line for line in shell_lines() if line.startswith("func azure functionapp publish")]
    assert publish, "the README shows no func publish command"
    assert [line for line in publish if "--python" not in line.split()] == []
    assert "local.settings.json" in (REPO / ".gitignore").read_text(encoding="utf-8")
