"""What the infra tests share: the repository's files, parsed once, and the tools.

checkov gets its own virtual environment, created on first use under
``.venv-infra/checkov`` (git- and func-ignored): it pins an older
``pycep-parser`` than anything else would want. It is reinstalled only when
``requirements-checkov.txt`` changes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.infra.bicep import BicepFile, Resource, parse_file
from tests.infra.schema import ResourceTypes

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
WORKFLOWS = REPO / ".github" / "workflows"
# A verbatim copy of the team's ../shared/azure-resource-types.json, so the
# checks also run on a fresh clone and in CI.
RESOURCE_TYPES = Path(__file__).with_name("azure-resource-types.json")
CHECKOV_ENV = REPO / ".venv-infra" / "checkov"
CHECKOV_REQUIREMENTS = REPO / "requirements-checkov.txt"
INSTALL_TIMEOUT_SECONDS = 900


def bicep_paths() -> list[Path]:
    """Every Bicep file under infra/."""
    return sorted(INFRA.rglob("*.bicep"))


@pytest.fixture(scope="session")
def resource_types() -> ResourceTypes:
    """The writable properties of every resource type we may deploy."""
    return ResourceTypes.load(RESOURCE_TYPES)


@pytest.fixture(scope="session")
def bicep_files() -> dict[str, BicepFile]:
    """Every Bicep file parsed, keyed by its path under infra/."""
    return {str(path.relative_to(INFRA)): parse_file(path) for path in bicep_paths()}


@pytest.fixture(scope="session")
def resources(bicep_files: dict[str, BicepFile]) -> list[Resource]:
    """Every resource declaration in every file."""
    return [resource for parsed in bicep_files.values() for resource in parsed.resources]


@pytest.fixture(scope="session")
def hook() -> ModuleType:
    """The postdeploy hook script, loaded as a module (it is not a package)."""
    # Run as a script, a hook finds its sibling modules on sys.path[0].
    if str(INFRA / "hooks") not in sys.path:
        sys.path.insert(0, str(INFRA / "hooks"))
    path = INFRA / "hooks" / "webpubsub_hub.py"
    spec = importlib.util.spec_from_file_location("webpubsub_hub", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look the module up by name while the class body runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def tool(name: str) -> Path:
    """A command installed into this virtual environment (requirements-infra.txt)."""
    path = Path(sys.executable).parent / name
    assert path.exists(), f"{name} is not installed: pip install -r requirements-infra.txt"
    return path


@pytest.fixture(scope="session")
def checkov() -> Path:
    """The checkov command in its own environment, created on first use."""
    stamp = CHECKOV_ENV / "requirements.sha256"
    wanted = hashlib.sha256(CHECKOV_REQUIREMENTS.read_bytes()).hexdigest()
    command = CHECKOV_ENV / "bin" / "checkov"
    if not (command.exists() and stamp.exists() and stamp.read_text() == wanted):
        subprocess.run([sys.executable, "-m", "venv", str(CHECKOV_ENV)], check=True, timeout=120)
        subprocess.run(
            [
                str(CHECKOV_ENV / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                str(CHECKOV_REQUIREMENTS),
            ],
            check=True,
            timeout=INSTALL_TIMEOUT_SECONDS,
        )
        stamp.write_text(wanted)
    return command


def literal(value: Any, *path: str) -> Any:
    """The value at a path of keys inside a parsed body (KeyError when absent)."""
    for key in path:
        value = value[key]
    return value


def load_json(path: Path) -> Any:
    """A JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


def only(resources: list[Resource], type_name: str, existing: bool = False) -> Resource:
    """The one resource of a type (fails if there are none or several)."""
    found = [r for r in resources if r.type_name == type_name and r.existing == existing]
    assert len(found) == 1, [r.symbol for r in found]
    return found[0]


def config(resources: list[Resource], name: str) -> dict[str, Any]:
    """The body of the one Microsoft.Web/sites/config resource with this name."""
    found = [
        r.body
        for r in resources
        if r.type_name == "Microsoft.Web/sites/config"
        and isinstance(r.body, dict)
        and r.body.get("name") == name
    ]
    assert len(found) == 1
    body = found[0]
    assert isinstance(body, dict)
    return body


def module_params(main: BicepFile, module: str) -> dict[str, Any]:
    """The params main.bicep passes to modules/<module>.bicep."""
    body = main.modules[f"modules/{module}.bicep"]
    assert isinstance(body, dict)
    params = body["params"]
    assert isinstance(params, dict)
    return params


@pytest.fixture(scope="session")
def app_registration() -> ModuleType:
    """The app-registration hook script (infra/hooks/app_registration.py), loaded as a module."""
    # Run as a script, a hook finds its sibling modules on sys.path[0].
    if str(INFRA / "hooks") not in sys.path:
        sys.path.insert(0, str(INFRA / "hooks"))
    return importlib.import_module("app_registration")
