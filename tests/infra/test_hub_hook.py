"""The postdeploy hook that points the hub at the extension's webhook, driven
through a fake Azure Resource Manager: bounded waits for the key, a hub
written only when it differs, azd's token, and the key never shown."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.infra.schema import ResourceTypes

KEY = "sEcReT-kEy/with+chars=="
ENV = {
    "AZURE_SUBSCRIPTION_ID": "sub",
    "AZURE_RESOURCE_GROUP": "rg",
    "FUNCTION_APP_NAME": "func-abc",
    "FUNCTION_APP_HOSTNAME": "func-abc.azurewebsites.net",
    "WEBPUBSUB_NAME": "wps-abc",
    "WEBPUBSUB_HUB": "chat",
}
SITE = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Web/sites/func-abc"
HUB = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.SignalRService/webPubSub/wps-abc/hubs/chat"


class FakeArm:
    """Answers the hook's ARM calls from scripted replies, recording each call."""

    def __init__(self, replies: Mapping[tuple[str, str], list[tuple[int, Any]]]) -> None:
        self.replies = {route: list(answers) for route, answers in replies.items()}
        self.calls: list[tuple[str, str, Any]] = []

    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> tuple[int, Any]:
        assert headers["Authorization"] == "Bearer arm-token"
        path, _, query = url.removeprefix("https://management.azure.com").partition("?")
        assert query.startswith("api-version=")
        self.calls.append((method, path, json.loads(body) if body else None))
        answers = self.replies[(method, path)]
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def count(self, method: str) -> int:
        return sum(1 for call in self.calls if call[0] == method)


def azd_ok(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
    assert command[:3] == ["azd", "auth", "token"]
    assert command[-2:] == ["--scope", "https://management.azure.com/.default"]
    return subprocess.CompletedProcess(
        command, 0, stdout=json.dumps({"token": "arm-token", "expiresOn": "x"})
    )


def no_sleep(_: float) -> None:
    pass


def keys(present: bool) -> tuple[int, Any]:
    system = {"webpubsub_extension": KEY} if present else {}
    return 200, {"masterKey": "m", "functionKeys": {"default": "f"}, "systemKeys": system}


def settled(hook: ModuleType) -> tuple[int, Any]:
    body = hook.hub_body(hook.handler_url(ENV["FUNCTION_APP_HOSTNAME"], KEY))
    body["properties"]["provisioningState"] = "Succeeded"
    return 200, body


def test_the_hub_is_created_when_missing_and_the_output_hides_the_key(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    arm = FakeArm(
        {
            ("POST", f"{SITE}/host/default/listkeys"): [keys(True)],
            ("GET", HUB): [(404, {"error": {"code": "NotFound"}})],
            ("PUT", HUB): [settled(hook)],
        }
    )
    assert hook.main(ENV, arm, azd_ok, no_sleep) == 0
    (put,) = [call for call in arm.calls if call[0] == "PUT"]
    (handler,) = put[2]["properties"]["eventHandlers"]
    assert handler == {
        "urlTemplate": "https://func-abc.azurewebsites.net/runtime/webhooks/webpubsub?code=sEcReT-kEy%2Fwith%2Bchars%3D%3D",
        "userEventPattern": "message,join,leave",
        "systemEvents": ["connect", "connected", "disconnected"],
        "auth": {"type": "None"},
    }
    out = capsys.readouterr()
    assert out.out == (
        "webpubsub hub chat: created (https://func-abc.azurewebsites.net/runtime/webhooks/webpubsub?code=***)\n"
        "Chat: https://func-abc.azurewebsites.net/api/chat\n"
    )
    assert "sEcReT" not in out.out + out.err


def test_a_second_run_changes_nothing(hook: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    arm = FakeArm({("POST", f"{SITE}/host/default/listkeys"): [keys(True)], ("GET", HUB): [settled(hook)]})
    assert hook.main(ENV, arm, azd_ok, no_sleep) == 0
    assert arm.count("PUT") == 0
    assert "chat: unchanged" in capsys.readouterr().out


def test_a_hub_pointing_elsewhere_is_updated_and_waited_for(hook: ModuleType) -> None:
    stale = hook.hub_body("https://old.example/runtime/webhooks/webpubsub?code=old")
    stale["properties"]["provisioningState"] = "Succeeded"
    updating = json.loads(json.dumps(settled(hook)[1]))
    updating["properties"]["provisioningState"] = "Updating"
    arm = FakeArm(
        {
            ("POST", f"{SITE}/host/default/listkeys"): [keys(True)],
            ("GET", HUB): [(200, stale), (200, updating), settled(hook)],
            ("PUT", HUB): [(200, updating)],
        }
    )
    key = hook.system_key(
        hook.Arm("https://management.azure.com", "arm-token", arm), hook.target_from_env(ENV), no_sleep
    )
    target = hook.target_from_env(ENV)
    outcome = hook.ensure_hub(
        hook.Arm("https://management.azure.com", "arm-token", arm), target, key, no_sleep
    )
    assert outcome == "updated"
    assert [c[0] for c in arm.calls] == ["POST", "GET", "PUT", "GET", "GET"]


def test_the_key_is_awaited_a_bounded_number_of_times(hook: ModuleType) -> None:
    arm = FakeArm({("POST", f"{SITE}/host/default/listkeys"): [keys(False), keys(False), keys(True)]})
    waits: list[float] = []
    key = hook.system_key(
        hook.Arm("https://management.azure.com", "arm-token", arm), hook.target_from_env(ENV), waits.append
    )
    assert key == KEY
    assert waits == [hook.KEY_WAIT_SECONDS] * 2


def test_a_key_that_never_appears_fails_after_the_last_attempt_without_waiting_after_it(
    hook: ModuleType,
) -> None:
    arm = FakeArm({("POST", f"{SITE}/host/default/listkeys"): [keys(False)]})
    waits: list[float] = []
    with pytest.raises(hook.HookError, match="no webpubsub_extension system key yet"):
        hook.system_key(
            hook.Arm("https://management.azure.com", "arm-token", arm),
            hook.target_from_env(ENV),
            waits.append,
            attempts=3,
        )
    assert arm.count("POST") == 3
    assert len(waits) == 2


def test_a_refused_key_listing_stops_at_once(hook: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    arm = FakeArm(
        {("POST", f"{SITE}/host/default/listkeys"): [(403, {"error": {"code": "AuthorizationFailed"}})]}
    )
    assert hook.main(ENV, arm, azd_ok, no_sleep) == 1
    assert arm.count("POST") == 1
    assert capsys.readouterr().err == "webpubsub hub: listing the function app's keys failed with HTTP 403\n"


def test_a_failed_hub_write_is_reported_with_the_key_hidden(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    url = hook.handler_url(ENV["FUNCTION_APP_HOSTNAME"], KEY)
    arm = FakeArm(
        {
            ("POST", f"{SITE}/host/default/listkeys"): [keys(True)],
            ("GET", HUB): [(404, None)],
            ("PUT", HUB): [(400, {"error": {"message": f"bad handler {url}"}})],
        }
    )
    assert hook.main(ENV, arm, azd_ok, no_sleep) == 1
    err = capsys.readouterr().err
    assert err == (
        "webpubsub hub: writing hub chat failed with HTTP 400 bad handler "
        "https://func-abc.azurewebsites.net/runtime/webhooks/webpubsub?code=***\n"
    )


def test_missing_azd_values_are_named(hook: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    env = {k: v for k, v in ENV.items() if k not in ("WEBPUBSUB_NAME", "FUNCTION_APP_HOSTNAME")}
    assert hook.main(env, FakeArm({}), azd_ok, no_sleep) == 1
    assert capsys.readouterr().err == (
        "webpubsub hub: missing azd environment values: FUNCTION_APP_HOSTNAME, WEBPUBSUB_NAME"
        " (run azd provision first)\n"
    )


def test_without_an_azd_sign_in_it_says_so_and_calls_nothing(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    def azd_signed_out(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 1, stdout="", stderr="not logged in")

    arm = FakeArm({})
    assert hook.main(ENV, arm, azd_signed_out, no_sleep) == 1
    assert arm.calls == []
    assert capsys.readouterr().err == "webpubsub hub: azd auth token failed: sign in with azd auth login\n"


def test_the_hook_never_calls_the_az_cli(hook: ModuleType) -> None:
    source = Path(str(hook.__file__)).read_text(encoding="utf-8")
    assert '"az"' not in source and "'az'" not in source and "az functionapp" not in source


def test_the_hub_body_is_a_valid_hub_resource(hook: ModuleType, resource_types: ResourceTypes) -> None:
    body = {"name": "chat", **hook.hub_body(hook.handler_url("h.example", KEY))}
    assert resource_types.check(f"Microsoft.SignalRService/webPubSub/hubs@{hook.HUB_API_VERSION}", body) == []


def test_redact_hides_every_code_value(hook: ModuleType) -> None:
    assert hook.redact("a?code=x1&b=2 and ?code=y2") == "a?code=***&b=2 and ?code=***"
