"""The GitHub workflows: actionlint and zizmor pass, every action is pinned by
commit SHA to a current major, CI runs the README's test command, and deploy
signs in with OpenID Connect and nothing stored."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.infra.conftest import REPO, WORKFLOWS, tool

RUN_TIMEOUT_SECONDS = 120

# The current major of every action used, and the commit its release tag
# points at (read from the actions' repositories' tags).
PINS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "Azure/setup-azd": ("0b7e3a35ab00f2eee7080c845eb39c3f0ebfa553", "v2.4.0"),
}

_USES = re.compile(r"^\s*-?\s*uses:\s*(?P<action>[^@\s]+)@(?P<ref>\S+)(?:\s*#\s*(?P<comment>\S+))?\s*$")


def workflow_paths() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def test_there_are_a_ci_and_a_deploy_workflow() -> None:
    assert [p.name for p in workflow_paths()] == ["ci.yml", "deploy.yml"]


def test_actionlint_passes() -> None:
    result = subprocess.run(
        [str(tool("actionlint")), "-no-color", *map(str, workflow_paths())],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, "")


def test_zizmor_passes_offline() -> None:
    result = subprocess.run(
        [str(tool("zizmor")), "--offline", "--no-progress", "--format", "plain", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


@pytest.mark.parametrize("path", workflow_paths(), ids=lambda p: p.name)
def test_every_action_is_pinned_by_sha_to_its_current_major_with_the_version_in_a_comment(path: Path) -> None:
    uses = [m for line in path.read_text().splitlines() if (m := _USES.match(line))]
    assert uses
    for match in uses:
        action = match["action"]
        assert action in PINS, f"{action} has no known current major"
        assert (match["ref"], match["comment"]) == PINS[action]


def test_ci_runs_the_readme_test_command_on_python_3_13_with_chromium() -> None:
    ci = load("ci.yml")
    assert set(ci["on"]) == {"push", "pull_request"}
    assert ci["permissions"] == {"contents": "read"}
    steps = ci["jobs"]["test"]["steps"]
    python = [s for s in steps if s.get("uses", "").startswith("actions/setup-python@")]
    assert python[0]["with"]["python-version"] == "3.13"
    runs = [s.get("run", "") for s in steps]
    assert any("playwright install --with-deps chromium" in run for run in runs)
    assert runs[-1].startswith("scripts/test")
    assert "scripts/test" in (REPO / "README.md").read_text()


def test_deploy_runs_on_main_with_oidc_least_permissions_and_no_stored_secret() -> None:
    deploy = load("deploy.yml")
    assert deploy["on"]["push"] == {"branches": ["main"]}
    assert deploy["permissions"] == {"contents": "read"}
    job = deploy["jobs"]["deploy"]
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    text = (WORKFLOWS / "deploy.yml").read_text()
    assert "secrets." not in text
    runs = " ".join(s.get("run", "") for s in job["steps"])
    assert "azd auth login" in runs and "--federated-credential-provider github" in runs
    assert "azd up --no-prompt" in runs


def test_azure_yaml_deploys_one_python_function_service_and_runs_the_hub_hook() -> None:
    azure = yaml.safe_load((REPO / "azure.yaml").read_text(encoding="utf-8"))
    assert azure["services"] == {"api": {"project": ".", "language": "python", "host": "function"}}
    assert azure["infra"] == {"provider": "bicep", "path": "infra", "module": "main"}
    hook = azure["hooks"]["postdeploy"]
    assert hook["posix"]["run"] == "python3 infra/hooks/webpubsub_hub.py"
    assert hook["windows"]["run"] == "python infra/hooks/webpubsub_hub.py"
    # A failed field check (or a stopped, open app) must fail azd up, and no
    # prompt may hang a CI deploy.
    for shell in ("posix", "windows"):
        assert hook[shell]["continueOnError"] is False
        assert hook[shell]["interactive"] is False
    # The script and its sibling modules are where azure.yaml says.
    assert (REPO / "infra" / "hooks" / "webpubsub_hub.py").is_file()
