"""The infra agrees with the app: the settings it reads are set, the hub and
the handler's events are the trigger functions', the webhook path is the
extension's, Easy Auth lets through exactly what must pass, and the Python
version is the same everywhere.

The app's facts are read from the app itself (its indexed bindings and its
source), not from a copy, so they survive the packages being reorganised.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from chat.event_names import SYSTEM_EVENTS, USER_EVENTS
from function_app import create_app
from routes.negotiate import PRINCIPAL_HEADER
from tests.infra.bicep import BicepFile, Opaque, Resource
from tests.infra.conftest import REPO, WORKFLOWS, config, literal, module_params
from tests.infra.hook_fakes import hook_module

# Served by the Web PubSub extension itself (contract, section 5).
EXTENSION_WEBHOOK = "/runtime/webhooks/webpubsub"
# Set by the platform (or by Core Tools), never by us.
PLATFORM_SETTINGS = {
    "WEBSITE_INSTANCE_ID",
    "WEBSITE_AUTH_ENABLED",
    "WEBSITE_SITE_NAME",
    "WEBSITE_SKU",
    "WEBSITE_POD_NAME",
    "LEGION_SERVICE_HOST",
    "AZURE_FUNCTIONS_ENVIRONMENT",
}
# Every setting the app reads; each must appear in the product's source.
APP_SETTINGS = {
    "WebPubSubHub",
    "WebPubSubConnectionString",
    "ChatAllowAnonymous",
    "ChatDefaultRoom",
    "ChatMaxMessageLength",
    "ChatEasyAuthEnabled",
}
_SETTING_LITERAL = re.compile(
    r"[\"']((?:Chat|WebPubSub)[A-Za-z0-9_]*|(?:WEBSITE|AZURE|FUNCTIONS|APPLICATIONINSIGHTS)_[A-Z0-9_]+)[\"']"
)
# Folders never deployed: development material, and what .funcignore leaves out
# (mutmut's mutants/ copy, for one, sits in the tree after scripts/mutate).
_NOT_PRODUCT = {"tests", "tools", "benchmarks", "infra", "scripts", "web", "artifacts"} | {
    line.strip()
    for line in (REPO / ".funcignore").read_text().splitlines()
    if line.strip() and not line.startswith("#")
}


def product_sources() -> list[Path]:
    """The deployed Python files (the top-level packages and function_app.py)."""
    packages = [
        entry
        for entry in sorted(REPO.iterdir())
        if entry.is_dir() and entry.name not in _NOT_PRODUCT and not entry.name.startswith(".")
    ]
    return sorted(REPO.glob("*.py")) + [
        path for package in packages for path in sorted(package.rglob("*.py"))
    ]


def product_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in product_sources())


def bindings() -> dict[str, list[dict[str, Any]]]:
    return {
        str(f.get_function_name()): [json.loads(b) for b in f.get_raw_bindings()]
        for f in create_app().get_functions()
    }


def all_bindings() -> list[dict[str, Any]]:
    return [binding for found in bindings().values() for binding in found]


@pytest.fixture(scope="module")
def app_settings(resources: list[Resource]) -> dict[str, Any]:
    settings = literal(config(resources, "appsettings"), "properties")
    assert isinstance(settings, dict)
    return settings


def test_every_setting_the_app_reads_is_listed_here() -> None:
    text = product_text()
    found = set(_SETTING_LITERAL.findall(text))
    assert found - PLATFORM_SETTINGS == APP_SETTINGS
    for name in APP_SETTINGS | PLATFORM_SETTINGS:
        assert f'"{name}"' in text, name


def test_every_setting_the_app_reads_is_set(app_settings: dict[str, Any]) -> None:
    connections = {b.get("connection") for b in all_bindings()} | {
        c for b in all_bindings() for c in b.get("connections", [])
    }
    connections.discard(None)
    for name in APP_SETTINGS - connections:
        assert name in app_settings, name


def test_every_web_pubsub_connection_is_an_identity_connection(app_settings: dict[str, Any]) -> None:
    names = {b["connection"] for b in all_bindings() if "connection" in b} | {
        c for b in all_bindings() for c in b.get("connections", [])
    }
    assert names == {"WebPubSubConnectionString"}
    for name in names:
        assert name not in app_settings, "a connection string would hold an access key"
        assert app_settings[f"{name}__credential"] == "managedidentity"
        assert app_settings[f"{name}__serviceUri"] == Opaque("webPubSubServiceUri")
        assert app_settings[f"{name}__clientId"] == Opaque("identityClientId")


def test_every_web_pubsub_binding_names_the_hub_setting_the_infra_sets(
    app_settings: dict[str, Any], bicep_files: dict[str, BicepFile]
) -> None:
    hubs = {b["hub"] for b in all_bindings() if "hub" in b}
    assert hubs == {"%WebPubSubHub%"}
    assert app_settings["WebPubSubHub"] == Opaque("hubName")
    main = bicep_files["main.bicep"]
    assert module_params(main, "functionapp")["hubName"] == Opaque("hubName")
    # The hook reads the same hub from this output.
    assert "output WEBPUBSUB_HUB string = hubName" in main.path.read_text()


def _events(kind: str) -> set[str]:
    return {
        b["eventName"] for b in all_bindings() if b["type"] == "webPubSubTrigger" and b["eventType"] == kind
    }


def test_the_hubs_handler_carries_exactly_the_trigger_functions_events(hook: ModuleType) -> None:
    body = hook.hub_body("https://app.example/runtime/webhooks/webpubsub?code=k")
    (handler,) = body["properties"]["eventHandlers"]
    assert set(handler["systemEvents"]) == _events("system") == set(SYSTEM_EVENTS)
    assert set(handler["userEventPattern"].split(",")) == _events("user") == set(USER_EVENTS)
    assert handler["userEventPattern"] == "message,join,leave,history,delete,typing"
    # Each event is its own function, named after it.
    assert {name for name in bindings() if name in SYSTEM_EVENTS + USER_EVENTS} == set(
        SYSTEM_EVENTS + USER_EVENTS
    )


def test_the_handler_points_at_the_extensions_webhook_with_its_system_key(hook: ModuleType) -> None:
    assert hook.WEBHOOK_PATH == EXTENSION_WEBHOOK
    assert hook.SYSTEM_KEY_NAME == "webpubsub_extension"
    assert hook.handler_url("func-x.azurewebsites.net", "k/ey=") == (
        "https://func-x.azurewebsites.net/runtime/webhooks/webpubsub?code=k%2Fey%3D"
    )


def _http_function(name: str) -> dict[str, Any]:
    (trigger,) = [b for b in bindings()[name] if b["type"] == "httpTrigger"]
    return trigger


def test_the_http_event_path_is_the_apps_context_function_with_its_function_key(hook: ModuleType) -> None:
    trigger = _http_function(hook.HTTP_WEBHOOK_FUNCTION)
    assert f"/{_route_prefix()}/{trigger['route']}" == hook.HTTP_WEBHOOK_PATH
    assert trigger["authLevel"] == "FUNCTION"
    # The service's validation request is an OPTIONS, its events POSTs.
    assert {"OPTIONS", "POST"} <= set(trigger["methods"])
    types = {b["type"] for b in bindings()[hook.HTTP_WEBHOOK_FUNCTION]}
    assert "webPubSubContext" in types
    assert hook.http_handler_url("func-x.azurewebsites.net", "k/ey=") == (
        f"https://func-x.azurewebsites.net{hook.HTTP_WEBHOOK_PATH}?code=k%2Fey%3D"
    )


def test_the_field_checks_ask_the_apps_own_routes(hook: ModuleType) -> None:
    checks = hook_module(hook, "field_checks")
    prefix = _route_prefix()
    presence = _http_function(checks.PRESENCE_FUNCTION)
    assert f"/{prefix}/{presence['route']}" == checks.PRESENCE_PATH
    assert presence["authLevel"] == "FUNCTION" and "GET" in presence["methods"]
    negotiate = _http_function("negotiate")
    assert f"/{prefix}/{negotiate['route']}" == checks.NEGOTIATE_PATH and "POST" in negotiate["methods"]
    # The forged header is the one the connection binding takes the user id from.
    (connection,) = [b for b in bindings()["negotiate"] if b["type"] == "webPubSubConnection"]
    assert connection["userId"] == f"{{headers.{checks.PRINCIPAL_HEADER}}}"
    page = _http_function("page")
    assert f"/{prefix}/{page['route'].split('/')[0]}" == checks.CHAT_PATH and "GET" in page["methods"]
    assert checks.PRINCIPAL_HEADER == PRINCIPAL_HEADER


def _route_prefix() -> str:
    host = json.loads((REPO / "host.json").read_text())
    prefix = host.get("extensions", {}).get("http", {}).get("routePrefix", "api")
    assert isinstance(prefix, str)
    return prefix


def test_easy_auth_excludes_the_webhook_and_exactly_the_function_key_routes(
    bicep_files: dict[str, BicepFile],
) -> None:
    excluded = module_params(bicep_files["main.bicep"], "functionapp")["authExcludedPaths"]
    keyed = {
        f"/{_route_prefix()}/{b['route']}"
        for b in all_bindings()
        if b["type"] == "httpTrigger" and b["authLevel"] != "ANONYMOUS"
    }
    assert set(excluded) == keyed | {EXTENSION_WEBHOOK}
    open_routes = {
        b["route"] for b in all_bindings() if b["type"] == "httpTrigger" and b["authLevel"] == "ANONYMOUS"
    }
    # negotiate and the page need the signed-in user: Easy Auth guards them.
    assert open_routes == {"negotiate", "chat/{asset?}"}
    assert not any(
        path.startswith(f"/{_route_prefix()}/{route.split('/')[0]}")
        for route in open_routes
        for path in excluded
    )


def test_the_token_store_is_on_exactly_when_the_browser_client_reads_auth_me(
    resources: list[Resource],
) -> None:
    # App Service serves /.auth/me only with the token store on; nothing else
    # in the app reads the store (negotiate reads one header).
    store = literal(config(resources, "authsettingsV2"), "properties", "login", "tokenStore", "enabled")
    reads_me = "'/.auth/me'" in (REPO / "web" / "chat.js").read_text(encoding="utf-8")
    assert store is reads_me
    assert "X-MS-TOKEN" not in product_text().upper()


def test_no_app_route_collides_with_the_extensions_webhook() -> None:
    routes = {b["route"] for b in all_bindings() if b["type"] == "httpTrigger"}
    assert not [r for r in routes if f"/{_route_prefix()}/{r}".startswith("/runtime/")]


def test_the_python_version_is_3_13_everywhere(bicep_files: dict[str, BicepFile]) -> None:
    assert module_params(bicep_files["main.bicep"], "functionapp")["pythonVersion"] == "3.13"
    workflow = yaml.safe_load((WORKFLOWS / "azure-dev.yml").read_text())
    # app-tests runs the app's own tests on 3.11 and 3.12 (test_workflows.py).
    for name, job in workflow["jobs"].items():
        if name == "app-tests":
            continue
        versions = {
            step["with"]["python-version"]
            for step in job["steps"]
            if step.get("uses", "").startswith("actions/setup-python@")
        }
        assert versions == {"3.13"}, name
    # The scripts' interpreter (PYTHON unset): the one they make .venv with.
    found = subprocess.run(
        ["bash", "-c", ". scripts/_venv.sh && find_python"],
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if k != "PYTHON"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip().endswith("python3.13")
