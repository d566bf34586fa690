"""checkov's Bicep checks pass on infra/, and every skip carries its reason.

checkov exits 0 on a file it cannot parse, so the JSON summary is read:
no parsing errors, every file seen, no failed check.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.infra.bicep import Resource
from tests.infra.conftest import INFRA

RUN_TIMEOUT_SECONDS = 300


def run_checkov(checkov: Path, directory: Path) -> dict[str, Any]:
    """checkov's Bicep report on a directory."""
    # Offline: no policy download, no mapping fetch. Not --quiet: it drops the
    # passed and skipped checks from the JSON report.
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CKV_NO_PLATFORM": "TRUE"}
    result = subprocess.run(
        [
            str(checkov),
            "-d",
            str(directory),
            "--framework",
            "bicep",
            "--skip-download",
            "--compact",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    data = json.loads(result.stdout)
    reports = data if isinstance(data, list) else [data]
    (bicep,) = [r for r in reports if r.get("check_type") == "bicep"]
    assert isinstance(bicep, dict)
    return bicep


@pytest.fixture(scope="module")
def report(checkov: Path) -> dict[str, Any]:
    return run_checkov(checkov, INFRA)


@pytest.fixture(scope="module")
def report_without_skips(checkov: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same scan of a copy of infra/ with every checkov:skip line removed."""
    copy = tmp_path_factory.mktemp("infra") / "infra"
    shutil.copytree(INFRA, copy, ignore=shutil.ignore_patterns("hooks"))
    for path in copy.rglob("*.bicep"):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text("".join(line for line in lines if "checkov:skip=" not in line), encoding="utf-8")
    return run_checkov(checkov, copy)


def _where(check: dict[str, Any]) -> tuple[str, str, str]:
    return check["check_id"], check["file_path"], check["resource"]


def test_checkov_parses_every_bicep_file(report: dict[str, Any], resources: list[Resource]) -> None:
    assert report["summary"]["parsing_errors"] == 0
    assert report["results"]["parsing_errors"] == []
    # It counts every resource (and more), so none was dropped silently.
    assert report["summary"]["resource_count"] >= len(resources)


def test_no_checkov_check_fails(report: dict[str, Any]) -> None:
    failed = [(r["check_id"], r["file_path"], r["resource"]) for r in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["passed"] > 0


def test_every_skipped_check_carries_its_reason(report: dict[str, Any]) -> None:
    skipped = report["results"]["skipped_checks"]
    assert skipped, "the skips below are expected to be seen by checkov"
    reasons = {
        (r["check_id"], r["resource"]): r["check_result"].get("suppress_comment", "").strip() for r in skipped
    }
    assert {where: reason for where, reason in reasons.items() if len(reason) < 20} == {}
    # Each says what the check asks for, then why it does not apply here.
    assert {
        where: reason
        for where, reason in reasons.items()
        if not reason.startswith(("wants ", "forbids ", "reads ", "fails ")) or ";" not in reason
    } == {}


def test_every_skip_covers_a_check_that_fails_without_it(
    report: dict[str, Any], report_without_skips: dict[str, Any]
) -> None:
    skipped = sorted(_where(r) for r in report["results"]["skipped_checks"])
    failing = sorted(_where(r) for r in report_without_skips["results"]["failed_checks"])
    # No skip outlives its finding, and no finding is hidden by anything else.
    assert skipped == failing
    assert report_without_skips["summary"]["passed"] == report["summary"]["passed"]
