"""Judge resource bodies against ../shared/azure-resource-types.json.

The file gives, per ``type@apiVersion``, each writable property with its type,
allowed values and whether it is required (see its ``about``). A body is
checked recursively: unknown property names, literals of the wrong type,
enum values outside the list, and required properties left out are problems.
What is only known at deployment time (``Opaque``) passes where it stands.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.infra.bicep import Choice, Loop, Opaque, Value

# Keys every resource body may carry that are Bicep's, not the resource's.
BICEP_KEYWORDS = frozenset({"parent", "scope", "dependsOn"})


@dataclass(frozen=True)
class Problem:
    """One thing wrong, at a dotted path inside the body."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ResourceTypes:
    """The resource types file, keyed by ``type@apiVersion``."""

    def __init__(self, resources: Mapping[str, Any]) -> None:
        self._resources = resources

    @classmethod
    def load(cls, path: Path) -> ResourceTypes:
        """Read the JSON file."""
        return cls(json.loads(path.read_text(encoding="utf-8"))["resources"])

    def __contains__(self, type_at_version: object) -> bool:
        return type_at_version in self._resources

    def check(self, type_at_version: str, body: Value, existing: bool = False) -> list[Problem]:
        """Problems of one resource body (a reference to an ``existing`` one sets nothing)."""
        if type_at_version not in self._resources:
            return [Problem("", f"{type_at_version} is not in the resource types file")]
        if existing:
            return []
        problems: list[Problem] = []
        # A resource loop declares copies that each look like its body.
        while isinstance(body, Loop):
            body = body.body
        _check(self._resources[type_at_version], body, "", problems, top=True)
        return problems


def _check(schema: Any, value: Value, path: str, problems: list[Problem], top: bool = False) -> None:
    if isinstance(value, Opaque):
        return
    if isinstance(value, Choice):
        for option in value.options:
            _check(schema, option, path, problems, top)
        return
    if isinstance(value, str | int | bool) or value is None:
        _check_scalar(schema, value, path, problems)
        return
    if isinstance(schema, str):
        if schema != "any":
            problems.append(Problem(path, f"expected {schema}, got {_kind(value)}"))
        return
    if "oneOf" in schema:
        _check_one_of(schema["oneOf"], value, path, problems)
    elif "array" in schema:
        _check_array(schema["array"], value, path, problems)
    elif "discriminator" in schema:
        _check_discriminated(schema, value, path, problems, top)
    elif "object" in schema or "properties" in schema:
        _check_object(schema, value, path, problems, top)
    elif "recursive" in schema:
        # A self-referencing type (rare, deep rule trees); its shape is not repeated in the file.
        return
    else:
        problems.append(Problem(path, f"expected {_describe(schema)}, got {_kind(value)}"))


def _check_scalar(schema: Any, value: str | int | bool | None, path: str, problems: list[Problem]) -> None:
    if value is None:
        return  # null clears a property; ARM accepts it for any optional one
    if schema == "any":
        return
    if isinstance(schema, dict) and "enum" in schema:
        if value not in schema["enum"]:
            allowed = ", ".join(repr(v) for v in schema["enum"])
            problems.append(Problem(path, f"{value!r} is not one of {allowed}"))
        return
    if isinstance(schema, dict) and "known" in schema:
        # An open string: the listed values are suggestions, any string is valid.
        if not isinstance(value, str):
            problems.append(Problem(path, f"expected string, got {_kind(value)}"))
        return
    if isinstance(schema, dict) and "oneOf" in schema:
        _check_one_of(schema["oneOf"], value, path, problems)
        return
    expected = {"string": str, "int": int, "bool": bool}.get(schema) if isinstance(schema, str) else None
    if expected is None or isinstance(value, bool) != (expected is bool) or not isinstance(value, expected):
        problems.append(Problem(path, f"expected {_describe(schema)}, got {_kind(value)}"))


def _check_one_of(options: list[Any], value: Value, path: str, problems: list[Problem]) -> None:
    for option in options:
        trial: list[Problem] = []
        _check(option, value, path, trial)
        if not trial:
            return
    problems.append(Problem(path, f"matches none of {len(options)} allowed shapes"))


def _check_array(item: Any, value: Value, path: str, problems: list[Problem]) -> None:
    if isinstance(value, Loop):
        _check(item, value.body, f"{path}[*]", problems)
    elif isinstance(value, list):
        for index, element in enumerate(value):
            _check(item, element, f"{path}[{index}]", problems)
    else:
        problems.append(Problem(path, f"expected an array, got {_kind(value)}"))


def _check_discriminated(
    schema: Mapping[str, Any], value: Value, path: str, problems: list[Problem], top: bool
) -> None:
    if not isinstance(value, dict):
        problems.append(Problem(path, f"expected an object, got {_kind(value)}"))
        return
    name = schema["discriminator"]
    tag = value.get(name)
    variants: Mapping[str, Any] = schema["variants"]
    if not isinstance(tag, str):
        problems.append(
            Problem(_join(path, name), f"must be a literal, one of {', '.join(sorted(variants))}")
        )
        return
    if tag not in variants:
        problems.append(Problem(_join(path, name), f"{tag!r} is not one of {', '.join(sorted(variants))}"))
        return
    variant = dict(variants[tag])
    variant["properties"] = {**schema.get("baseProperties", {}), **variant.get("properties", {})}
    _check_object(variant, value, path, problems, top)


def _check_object(
    schema: Mapping[str, Any], value: Value, path: str, problems: list[Problem], top: bool
) -> None:
    if not isinstance(value, dict):
        problems.append(Problem(path, f"expected an object, got {_kind(value)}"))
        return
    properties: Mapping[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    for key, item in value.items():
        where = _join(path, key)
        if top and key in BICEP_KEYWORDS:
            continue
        if key in properties:
            _check(properties[key]["type"], item, where, problems)
        elif extra is not None:
            _check(extra, item, where, problems)
        elif key.startswith("${"):
            problems.append(Problem(where, "a computed key where the object has fixed properties"))
        else:
            suggestion = _closest(key, properties)
            hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
            problems.append(Problem(where, f"unknown property{hint}"))
    for key, spec in properties.items():
        if spec.get("required") and key not in value:
            problems.append(Problem(_join(path, key), "required property missing"))


def _closest(key: str, names: Mapping[str, Any]) -> str | None:
    lowered = key.lower()
    for name in names:
        if name.lower() == lowered:
            return name
    return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: Value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | Loop):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _describe(schema: Any) -> str:
    if isinstance(schema, str):
        return schema
    if "object" in schema:
        return f"object {schema['object']}"
    return json.dumps(schema)[:80]
