"""``local.settings.json``: the app settings ``func start`` reads, as every local tool reads them.

Its ``Values`` are app settings; a setting already in the environment wins,
as with Core Tools. With no ``local.settings.json`` the committed example
stands in (its values are the local defaults).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path

FILES = ("local.settings.json", "local.settings.json.example")


class LocalSettingsError(ValueError):
    """The settings file is not JSON with a ``Values`` object; the message names the file, never a value."""


def values(app_dir: Path) -> tuple[dict[str, str], str]:
    """The file's ``Values`` and the file's name (``({}, "")`` when there is none)."""
    for name in FILES:
        path = app_dir / name
        if path.exists():
            try:
                found = json.loads(path.read_text()).get("Values", {})
            except (ValueError, AttributeError):
                found = None
            if not isinstance(found, dict):
                raise LocalSettingsError(f"{path} is not a JSON object with a Values object")
            return {str(k): str(v) for k, v in found.items()}, name
    return {}, ""


def apply(app_dir: Path, env: MutableMapping[str, str] = os.environ) -> None:
    """Put the file's settings into ``env``, leaving those already there."""
    for name, value in values(app_dir)[0].items():
        env.setdefault(name, value)


def lookup(app_dir: Path, env: Mapping[str, str], name: str) -> tuple[str, str] | None:
    """Setting ``name`` and where it came from: the environment, else the file; None if neither has it."""
    if env.get(name, "").strip():
        return env[name].strip(), f"{name} in the environment"
    found, source = values(app_dir)
    if found.get(name, "").strip():
        return found[name].strip(), f"{name} in {source}"
    return None
