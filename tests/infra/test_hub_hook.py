"""The postdeploy hook end to end against a fake Azure Resource Manager and a
fake live app: the hub written only when it differs, bounded waits for the
key and for provisioning, azd's token, and no key or token ever shown."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.infra.hook_fakes import (
    ENV,
    EXTENSION_URL,
    HOOKS,
    HOST_KEYS,
    HTTP_URL,
    HUB,
    KEY,
    STOP,
    WEBPUBSUB,
    FakeArm,
    FakeClock,
    assert_no_secret,
    healthy_arm,
    healthy_site,
    hook_module,
    keys,
    run_hook,
    settled,
)
from tests.infra.schema import ResourceTypes


def target(hook: ModuleType) -> Any:
    return hook_module(hook, "hub_target").target_from_env(ENV)


def arm_client(hook: ModuleType, fake: FakeArm) -> Any:
    return hook_module(hook, "azure_rest").Arm("https://management.azure.com", "arm-token-never-shown", fake)


def test_a_healthy_deploy_creates_the_hub_checks_the_app_and_shows_no_key(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    arm, site = healthy_arm(hook), healthy_site(hook)
    assert run_hook(hook, arm, site) == 0
    (put,) = [call for call in arm.calls if call[0] == "PUT"]
    (handler,) = put[2]["properties"]["eventHandlers"]
    assert handler == {
        "urlTemplate": "https://func-abc.azurewebsites.net/runtime/webhooks/webpubsub?code=sEcReT-kEy%2Fwith%2Bchars%3D%3D",
        "userEventPattern": "message,join,leave,history,delete,typing",
        "systemEvents": ["connect", "connected", "disconnected"],
        "auth": {"type": "None"},
    }
    assert put[2]["properties"]["anonymousConnectPolicy"] == "Deny"
    out = capsys.readouterr()
    shown = "https://func-abc.azurewebsites.net/runtime/webhooks/webpubsub?code=***"
    assert out.out == (
        f"event path: extension ({shown}): it answered the validation request "
        "(HTTP 200, WebHook-Allowed-Origin: wps-abc.webpubsub.azure.com)\n"
        f"webpubsub hub chat: created ({shown})\n"
        "field check negotiate refuses a forged identity: "
        "ok (HTTP 500 authentication_not_configured, no token)\n"
        "field check chat page: ok (HTTP 302 to sign in)\n"
        "field check presence reaches Web PubSub: ok (HTTP 200)\n"
        "field check event handler answers the validation request: ok "
        "(HTTP 200, WebHook-Allowed-Origin: wps-abc.webpubsub.azure.com)\n"
        "Chat: https://func-abc.azurewebsites.net/api/chat\n"
    )
    assert out.err == ""
    assert_no_secret(out.out, out.err)
    assert arm.count("POST", HOST_KEYS) == 1
    assert arm.count("POST", STOP) == 0


def test_a_second_run_changes_nothing(hook: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    arm = healthy_arm(hook, hub_get=[settled(hook)])
    assert run_hook(hook, arm, healthy_site(hook)) == 0
    assert arm.count("PUT") == 0
    assert "webpubsub hub chat: unchanged" in capsys.readouterr().out


def test_a_hub_pointing_elsewhere_is_updated_and_waited_for(hook: ModuleType) -> None:
    stale = hook.hub_body("https://old.example/runtime/webhooks/webpubsub?code=old")
    stale["properties"]["provisioningState"] = "Succeeded"
    updating = json.loads(json.dumps(settled(hook)[1]))
    updating["properties"]["provisioningState"] = "Updating"
    arm = FakeArm(
        {("GET", HUB): [(200, stale), (200, updating), settled(hook)], ("PUT", HUB): [(200, updating)]}
    )
    waits: list[float] = []
    assert hook.ensure_hub(arm_client(hook, arm), target(hook), EXTENSION_URL, waits.append) == "updated"
    assert [c[0] for c in arm.calls] == ["GET", "PUT", "GET", "GET"]
    assert waits == [hook.HUB_WAIT_SECONDS] * 2


@pytest.mark.parametrize("state", ["Failed", "Canceled"])
def test_hub_provisioning_that_ends_badly_fails_without_waiting_on(
    hook: ModuleType, state: str, capsys: pytest.CaptureFixture[str]
) -> None:
    updating = json.loads(json.dumps(settled(hook)[1]))
    updating["properties"]["provisioningState"] = "Updating"
    ended = json.loads(json.dumps(updating))
    ended["properties"]["provisioningState"] = state
    arm = healthy_arm(hook, hub_put=[(201, updating)], hub_get=[(404, None), (200, ended)])
    assert run_hook(hook, arm, healthy_site(hook)) == 1
    assert capsys.readouterr().err == f"webpubsub hub: hub chat provisioning ended {state}\n"
    assert arm.count("GET", HUB) == 2


def test_hub_provisioning_that_never_finishes_fails_after_a_bounded_wait(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    updating = json.loads(json.dumps(settled(hook)[1]))
    updating["properties"]["provisioningState"] = "Updating"
    arm = healthy_arm(hook, hub_put=[(202, updating)], hub_get=[(404, None), (200, updating)])
    clock = FakeClock()
    assert run_hook(hook, arm, healthy_site(hook), clock=clock) == 1
    assert capsys.readouterr().err == "webpubsub hub: hub chat did not finish provisioning in time\n"
    assert arm.count("GET", HUB) == 1 + hook.HUB_ATTEMPTS
    assert clock.sleeps == [hook.HUB_WAIT_SECONDS] * hook.HUB_ATTEMPTS


@pytest.mark.parametrize("status", [500, 403, 409])
def test_a_hub_read_that_is_neither_200_nor_404_fails_and_writes_nothing(
    hook: ModuleType, status: int, capsys: pytest.CaptureFixture[str]
) -> None:
    arm = healthy_arm(hook, hub_get=[(status, {"error": {"code": "x"}})])
    assert run_hook(hook, arm, healthy_site(hook)) == 1
    assert capsys.readouterr().err == f"webpubsub hub: reading hub chat failed with HTTP {status}\n"
    assert arm.count("PUT") == 0


def test_the_key_is_awaited_a_bounded_number_of_times(hook: ModuleType) -> None:
    arm = FakeArm({("POST", HOST_KEYS): [keys(False), keys(False), keys(True)]})
    waits: list[float] = []
    app_keys = hook_module(hook, "app_keys")
    assert app_keys.system_key(arm_client(hook, arm), target(hook), waits.append) == KEY
    assert waits == [app_keys.KEY_WAIT_SECONDS] * 2


def test_a_key_that_never_appears_fails_after_the_last_attempt_without_waiting_after_it(
    hook: ModuleType,
) -> None:
    arm = FakeArm({("POST", HOST_KEYS): [keys(False)]})
    waits: list[float] = []
    app_keys = hook_module(hook, "app_keys")
    with pytest.raises(app_keys.KeyNotYet, match="no webpubsub_extension system key yet"):
        app_keys.system_key(arm_client(hook, arm), target(hook), waits.append, attempts=3)
    assert arm.count("POST") == 3
    assert len(waits) == 2


def test_a_refused_key_listing_stops_at_once(hook: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    arm = healthy_arm(hook, host_keys=[(403, {"error": {"code": "AuthorizationFailed"}})])
    assert run_hook(hook, arm, healthy_site(hook)) == 1
    assert arm.count("POST", HOST_KEYS) == 1
    assert capsys.readouterr().err == "webpubsub hub: listing the function app's keys failed with HTTP 403\n"


def test_a_failed_hub_write_is_reported_with_the_key_hidden(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    arm = healthy_arm(hook, hub_put=[(400, {"error": {"message": f"bad handler {EXTENSION_URL}"}})])
    assert run_hook(hook, arm, healthy_site(hook)) == 1
    err = capsys.readouterr().err
    assert err == (
        "webpubsub hub: writing hub chat failed with HTTP 400 bad handler "
        "https://func-abc.azurewebsites.net/runtime/webhooks/webpubsub?code=***\n"
    )


@pytest.mark.parametrize(
    ("status", "body"),
    [(200, {"properties": {}}), (200, {"properties": {"hostName": ""}}), (404, None), (200, "x")],
)
def test_a_web_pubsub_service_without_a_host_name_stops_the_hook(
    hook: ModuleType, status: int, body: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    arm = healthy_arm(hook, webpubsub=[(status, body)])
    assert run_hook(hook, arm, healthy_site(hook)) == 1
    assert capsys.readouterr().err == (
        f"webpubsub hub: reading Web PubSub wps-abc gave no host name (HTTP {status})\n"
    )
    assert arm.count("GET", WEBPUBSUB) == 1
    assert arm.count("PUT") == 0


def test_missing_azd_values_are_named(hook: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    env = {k: v for k, v in ENV.items() if k not in ("WEBPUBSUB_NAME", "FUNCTION_APP_HOSTNAME")}
    assert run_hook(hook, FakeArm({}), healthy_site(hook), env=env) == 1
    assert capsys.readouterr().err == (
        "webpubsub hub: missing azd environment values: FUNCTION_APP_HOSTNAME, WEBPUBSUB_NAME"
        " (run azd provision first)\n"
    )


def _azd(code: int, stdout: str) -> Any:
    def run(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, code, stdout=stdout, stderr="not logged in")

    return run


@pytest.mark.parametrize(
    ("code", "stdout", "message"),
    [
        (1, "", "azd auth token failed: sign in with azd auth login"),
        (0, "not json", "azd auth token gave no token"),
        (0, "[1, 2]", "azd auth token gave no token"),
        (0, json.dumps({"expiresOn": "x"}), "azd auth token gave no token"),
        (0, json.dumps({"token": ""}), "azd auth token gave no token"),
        (0, json.dumps({"token": 42}), "azd auth token gave no token"),
    ],
    ids=["non-zero-exit", "non-json", "not-an-object", "missing", "empty", "not-a-string"],
)
def test_without_a_usable_azd_token_it_says_so_and_calls_nothing(
    hook: ModuleType, code: int, stdout: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    arm, site = FakeArm({}), healthy_site(hook)
    assert run_hook(hook, arm, site, run=_azd(code, stdout)) == 1
    assert arm.calls == [] and site.calls == []
    assert capsys.readouterr().err == f"webpubsub hub: {message}\n"


def test_no_hook_module_runs_the_az_cli(hook: ModuleType) -> None:
    modules = sorted(HOOKS.glob("*.py"))
    assert {path.name for path in modules} >= {"webpubsub_hub.py", "event_path.py", "field_checks.py"}
    for path in modules:
        source = path.read_text(encoding="utf-8")
        # A command line is a list starting with the program: ["az", ...].
        assert not re.search(r"""\[\s*["']az["']""", source), path.name
        assert "subprocess" not in source or path.name in {
            "azure_rest.py",
            "webpubsub_hub.py",
            "app_registration.py",
        }, path.name


def test_the_hub_body_is_a_valid_hub_resource_for_either_path(
    hook: ModuleType, resource_types: ResourceTypes
) -> None:
    for url in (EXTENSION_URL, HTTP_URL):
        body = {"name": "chat", **hook.hub_body(url)}
        assert (
            resource_types.check(f"Microsoft.SignalRService/webPubSub/hubs@{hook.HUB_API_VERSION}", body)
            == []
        )


def test_the_web_pubsub_read_uses_an_api_version_the_repo_checks(
    hook: ModuleType, resource_types: ResourceTypes
) -> None:
    version = hook_module(hook, "event_path").WEBPUBSUB_API_VERSION
    assert (
        resource_types.check(f"Microsoft.SignalRService/webPubSub@{version}", {"name": "w", "location": "x"})
        == []
    )


def test_redact_hides_every_code_value(hook: ModuleType) -> None:
    redact = hook_module(hook, "azure_rest").redact
    assert redact("a?code=x1&b=2 and ?code=y2") == "a?code=***&b=2 and ?code=***"


def test_the_hook_runs_as_a_script_from_any_directory(tmp_path: Path) -> None:
    # Run as azd runs it; without azd environment values it stops at once,
    # after its sibling modules have been imported.
    result = subprocess.run(
        ["python3", str(HOOKS / "webpubsub_hub.py")],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("webpubsub hub: missing azd environment values: AZURE_SUBSCRIPTION_ID")
