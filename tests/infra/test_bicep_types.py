"""Every Bicep file parses, and every resource is a known type@apiVersion whose
body uses only writable properties, allowed values and all required ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra.bicep import BicepFile, Resource, parse_text
from tests.infra.conftest import INFRA, REPO, RESOURCE_TYPES, bicep_paths
from tests.infra.schema import ResourceTypes

# Resource types used although the resource types file lacks them, with why.
# The design keeps this empty: the hub is set by the postdeploy hook rather
# than by reading a Microsoft.Web/sites/host/systemkeys resource, the one type
# the file does not have.
KNOWN_GAPS: dict[str, str] = {}


@pytest.mark.parametrize("path", bicep_paths(), ids=lambda p: str(p.relative_to(INFRA)))
def test_every_bicep_file_parses_without_syntax_errors(path: Path, bicep_files: dict[str, BicepFile]) -> None:
    parsed = bicep_files[str(path.relative_to(INFRA))]
    assert parsed.errors == []


def test_the_infra_is_split_into_local_modules_only(bicep_files: dict[str, BicepFile]) -> None:
    main = bicep_files["main.bicep"]
    assert sorted(main.modules) == [
        "modules/functionapp.bicep",
        "modules/identity.bicep",
        "modules/monitoring.bicep",
        "modules/storage.bicep",
        "modules/webpubsub.bicep",
    ]
    # Easy Auth is deployed from the function app's module, before its settings.
    assert sorted(bicep_files["modules/functionapp.bicep"].modules) == ["auth.bicep"]
    for parsed in bicep_files.values():
        for module in parsed.modules:
            assert not module.startswith(("br:", "br/", "ts:", "ts/")), module
            assert (parsed.path.parent / module).is_file(), module


def test_every_resource_type_and_api_version_is_in_the_resource_types_file(
    resources: list[Resource], resource_types: ResourceTypes
) -> None:
    unknown = {r.type_at_version for r in resources if r.type_at_version not in resource_types}
    assert unknown <= set(KNOWN_GAPS), unknown - set(KNOWN_GAPS)
    assert len(resources) >= 15


def test_every_known_gap_carries_its_reason() -> None:
    assert all(reason.strip() for reason in KNOWN_GAPS.values())


def test_every_resource_body_matches_its_type(
    resources: list[Resource], resource_types: ResourceTypes
) -> None:
    problems = {
        f"{r.file.name}:{r.line} {r.symbol}": [
            str(p) for p in resource_types.check(r.type_at_version, r.body, r.existing)
        ]
        for r in resources
        if r.type_at_version not in KNOWN_GAPS
    }
    assert {where: found for where, found in problems.items() if found} == {}


# The checker itself: planted mistakes must fail.


def _problems(source: str, resource_types: ResourceTypes) -> list[str]:
    parsed = parse_text(source, Path("planted.bicep"))
    assert parsed.errors == []
    return [
        str(p) for r in parsed.resources for p in resource_types.check(r.type_at_version, r.body, r.existing)
    ]


def _storage_source() -> str:
    return (INFRA / "modules" / "storage.bicep").read_text(encoding="utf-8")


def test_the_real_storage_module_passes_the_checker(resource_types: ResourceTypes) -> None:
    assert _problems(_storage_source(), resource_types) == []


def test_a_misspelled_property_fails(resource_types: ResourceTypes) -> None:
    source = _storage_source().replace("allowSharedKeyAccess: false", "allowSharedKeyAcess: false")
    assert _problems(source, resource_types) == ["properties.allowSharedKeyAcess: unknown property"]


def test_a_property_in_the_wrong_case_fails_and_names_the_right_one(resource_types: ResourceTypes) -> None:
    source = _storage_source().replace("minimumTlsVersion:", "MinimumTlsVersion:")
    assert _problems(source, resource_types) == [
        "properties.MinimumTlsVersion: unknown property (did you mean 'minimumTlsVersion'?)"
    ]


def test_a_wrong_enum_value_fails(resource_types: ResourceTypes) -> None:
    source = _storage_source().replace("publicAccess: 'None'", "publicAccess: 'Private'")
    assert _problems(source, resource_types) == [
        "properties.publicAccess: 'Private' is not one of 'Container', 'Blob', 'None'"
    ]


def test_a_wrong_enum_value_among_a_parameters_allowed_values_fails(resource_types: ResourceTypes) -> None:
    source = (
        _storage_source()
        .replace(
            "param deploymentContainerName string",
            "param deploymentContainerName string\n@allowed([\n  'Hot'\n  'Warm'\n])\nparam tier string",
        )
        .replace("accessTier: 'Hot'", "accessTier: tier")
    )
    assert _problems(source, resource_types) == [
        "properties.accessTier: 'Warm' is not one of 'Hot', 'Cool', 'Premium', 'Cold'"
    ]


def test_a_wrong_value_in_either_arm_of_a_condition_fails(resource_types: ResourceTypes) -> None:
    source = _storage_source().replace("accessTier: 'Hot'", "accessTier: empty(name) ? 'Hot' : 'Tepid'")
    assert _problems(source, resource_types) == [
        "properties.accessTier: 'Tepid' is not one of 'Hot', 'Cool', 'Premium', 'Cold'"
    ]


def test_a_missing_required_property_fails(resource_types: ResourceTypes) -> None:
    source = _storage_source().replace("  kind: 'StorageV2'\n", "")
    assert _problems(source, resource_types) == ["kind: required property missing"]


def test_a_literal_of_the_wrong_type_fails(resource_types: ResourceTypes) -> None:
    source = _storage_source().replace("allowSharedKeyAccess: false", "allowSharedKeyAccess: 'false'")
    assert _problems(source, resource_types) == ["properties.allowSharedKeyAccess: expected bool, got string"]


def test_a_wrong_value_inside_a_loop_body_fails(resource_types: ResourceTypes) -> None:
    source = _storage_source().replace("principalType: 'ServicePrincipal'", "principalType: 42")
    assert _problems(source, resource_types) == ["properties.principalType: expected string, got int"]


def test_an_unknown_api_version_fails(resource_types: ResourceTypes) -> None:
    source = _storage_source().replace("storageAccounts@2023-05-01'", "storageAccounts@2099-01-01'")
    assert _problems(source, resource_types) == [
        ": Microsoft.Storage/storageAccounts@2099-01-01 is not in the resource types file"
    ]


def test_a_syntax_error_is_reported_with_its_line() -> None:
    parsed = parse_text(
        "param a string\nresource x 'A/b@1' = {\n  name: 'x'\n  properties: {\n", Path("broken.bicep")
    )
    assert parsed.errors
    assert parsed.errors[0].startswith("line ")


def test_the_repo_copy_of_the_resource_types_is_the_shared_one_when_that_is_at_hand() -> None:
    # The copy lets a fresh clone (a user's CI) run these checks; beside the
    # team's shared folder it must not have drifted from it.
    shared = REPO.parent / "shared" / "azure-resource-types.json"
    if not shared.exists():
        pytest.skip("no ../shared beside this clone: nothing to compare the copy with")
    assert RESOURCE_TYPES.read_bytes() == shared.read_bytes()
