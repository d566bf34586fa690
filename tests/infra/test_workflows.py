"""The GitHub workflow: actionlint and zizmor pass, every action is pinned by
commit SHA to a current major, the test job runs the README's test command,
and the deploy job runs only after it, signs in with OpenID Connect and
nothing stored, and stops at once without AUTH_CLIENT_ID."""

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


def test_there_is_one_workflow_named_as_azd_pipeline_config_expects() -> None:
    # `azd pipeline config` looks for azure-dev.yml and offers to add one when missing.
    assert [p.name for p in workflow_paths()] == ["azure-dev.yml"]


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


def test_the_test_job_runs_the_readme_test_command_on_python_3_13_with_chromium_on_push_and_pr() -> None:
    workflow = load("azure-dev.yml")
    assert set(workflow["on"]) == {"push", "pull_request", "workflow_dispatch"}
    assert workflow["on"]["push"] is None and workflow["on"]["pull_request"] is None
    assert workflow["permissions"] == {"contents": "read"}
    job = workflow["jobs"]["test"]
    assert "if" not in job and "needs" not in job
    steps = job["steps"]
    python = [s for s in steps if s.get("uses", "").startswith("actions/setup-python@")]
    assert python[0]["with"]["python-version"] == "3.13"
    runs = [s.get("run", "") for s in steps]
    assert any("playwright install --with-deps chromium" in run for run in runs)
    assert runs[-1].startswith("scripts/test")
    assert "scripts/test" in (REPO / "README.md").read_text()


def test_the_app_tests_run_on_python_3_11_and_3_12_as_a_matrix_and_not_twice() -> None:
    jobs = load("azure-dev.yml")["jobs"]
    job = jobs["app-tests"]
    assert job["strategy"]["matrix"]["python"] == ["3.11", "3.12"]
    python = [s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@")]
    assert python[0]["with"]["python-version"] == "${{ matrix.python }}"
    assert job["steps"][-1]["run"] == 'scripts/test-app "${{ matrix.python }}"'
    # The 3.13 job leaves them to the matrix.
    assert jobs["test"]["steps"][-1]["env"] == {"OTHER_PYTHONS": ""}


def test_deploy_runs_only_after_the_tests_pass_on_a_push_to_main_or_by_hand() -> None:
    workflow = load("azure-dev.yml")
    # zizmor flags workflow_run; a job dependency ties the deploy to this commit's tests.
    assert "workflow_run" not in workflow["on"]
    job = workflow["jobs"]["deploy"]
    assert job["needs"] == ["test", "app-tests"]
    assert job["if"] == "github.ref == 'refs/heads/main' && github.event_name != 'pull_request'"
    # Never cancelled half way: a provision interrupted mid-deployment is worse than a queued one.
    assert job["concurrency"]["cancel-in-progress"] is False


def test_deploy_signs_in_with_oidc_least_permissions_and_no_stored_secret() -> None:
    job = load("azure-dev.yml")["jobs"]["deploy"]
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert "secrets." not in (WORKFLOWS / "azure-dev.yml").read_text()
    runs = " ".join(s.get("run", "") for s in job["steps"])
    assert "azd auth login" in runs and "--federated-credential-provider github" in runs
    assert "azd up --no-prompt" in runs


def _run_step(script: Path, auth_client_id: str) -> subprocess.CompletedProcess[str]:
    """One workflow step's script under bash, as the runner runs it (bash -e)."""
    return subprocess.run(
        ["bash", "-e", str(script)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "AUTH_CLIENT_ID": auth_client_id},
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )


def test_deploy_stops_first_with_a_clear_message_when_auth_client_id_is_empty(tmp_path: Path) -> None:
    job = load("azure-dev.yml")["jobs"]["deploy"]
    assert job["env"]["AUTH_CLIENT_ID"] == "${{ vars.AUTH_CLIENT_ID }}"
    first = job["steps"][0]
    assert "uses" not in first
    script = tmp_path / "require.sh"
    script.write_text(first["run"])
    empty = _run_step(script, "")
    assert empty.returncode == 1
    assert empty.stdout.startswith("::error title=AUTH_CLIENT_ID is not set::")
    assert "no Microsoft Graph rights" in empty.stdout
    assert "gh variable set AUTH_CLIENT_ID" in empty.stdout
    given = _run_step(script, "00000000-0000-0000-0000-000000000001")
    assert (given.returncode, given.stdout) == (0, "")


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
