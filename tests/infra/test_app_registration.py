"""The app-registration hooks (preprovision, postprovision, postdown), driven
through a fake Microsoft Graph that keeps a small directory and a fake azd
that records `azd env set`: reuse, idempotent creation, the redirect URI, a
delete limited to what the hook made, CI and refusals, and no token shown."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import urllib.error
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.infra.conftest import INFRA, REPO
from tests.infra.schema import ResourceTypes

TOKEN = "eyJ0eXAi.graph-SECRET-token.sig"
GRAPH = "https://graph.microsoft.com/v1.0"
HOST = "func-abc.azurewebsites.net"
CALLBACK = f"https://{HOST}/.auth/login/aad/callback"
BASE_ENV = {"AZURE_ENV_NAME": "dev", "AZURE_SUBSCRIPTION_ID": "sub"}
NONCE = "0a1b2c3d"
UNIQUE = f"realtime-chat-dev-{NONCE}"
NOT_FOUND = (404, {"error": {"code": "Request_ResourceNotFound", "message": "not found"}})


@dataclass
class Call:
    method: str
    path: str
    body: Any
    prefer: str | None


class FakeGraph:
    """A directory of applications and service principals, answering by method and path."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.apps: dict[str, dict[str, Any]] = {}
        self.service_principals: set[str] = set()
        self.calls: list[Call] = []
        self.forced: dict[tuple[str, str], tuple[int, Any]] = {}
        self.sp_not_ready = 0

    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> tuple[int, Any]:
        assert headers["Authorization"] == f"Bearer {TOKEN}"
        assert url.startswith(f"{GRAPH}/")
        path = url.removeprefix(GRAPH)
        data = json.loads(body) if body else None
        self.calls.append(Call(method, path, data, headers.get("Prefer")))
        self.log.append(f"graph {method} {path}")
        route = path.partition("?")[0]
        if (method, route) in self.forced:
            return self.forced[(method, route)]
        return self._answer(method, route, data, headers.get("Prefer"))

    def _answer(self, method: str, route: str, data: Any, prefer: str | None) -> tuple[int, Any]:
        by_name = re.fullmatch(r"/applications\(uniqueName='([^']+)'\)", route)
        by_id = re.fullmatch(r"/applications/([^/]+)", route)
        sp = re.fullmatch(r"/servicePrincipals\(appId='([^']+)'\)", route)
        if by_name and method == "GET":
            found = [a for a in self.apps.values() if a["uniqueName"] == by_name.group(1)]
            return (200, dict(found[0])) if found else NOT_FOUND
        if by_name and method == "PATCH":
            assert prefer == "create-if-missing"
            found = [a for a in self.apps.values() if a["uniqueName"] == by_name.group(1)]
            if found:
                found[0].update(data)
                return 204, None
            return 201, dict(self.add(by_name.group(1), data))
        if by_id and by_id.group(1) in self.apps:
            app = self.apps[by_id.group(1)]
            if method == "GET":
                return 200, dict(app)
            if method == "PATCH":
                app.update(data)
                return 204, None
            if method == "DELETE":
                del self.apps[by_id.group(1)]
                self.service_principals.discard(app["appId"])
                return 204, None
        if by_id:
            return NOT_FOUND
        if sp and method == "GET":
            return (200, {"appId": sp.group(1)}) if sp.group(1) in self.service_principals else NOT_FOUND
        if route == "/servicePrincipals" and method == "POST":
            known = any(a["appId"] == data["appId"] for a in self.apps.values())
            if self.sp_not_ready or not known:
                self.sp_not_ready = max(0, self.sp_not_ready - 1)
                return 400, {"error": {"code": "Request_BadRequest", "message": "not a valid application"}}
            self.service_principals.add(data["appId"])
            return 201, {"id": "sp-1", "appId": data["appId"]}
        raise AssertionError(f"unexpected Graph call {method} {route}")

    def add(self, unique: str, body: Mapping[str, Any], web: Any = None) -> dict[str, Any]:
        number = len(self.apps) + 1
        app = {"id": f"obj-{number}", "appId": f"app-{number}", "uniqueName": unique, **body}
        if web is not None:
            app["web"] = web
        self.apps[app["id"]] = app
        return app

    def writes(self) -> list[Call]:
        return [c for c in self.calls if c.method != "GET"]


class FakeAzd:
    """`azd auth token` for Graph and `azd env set`, recording the values set."""

    def __init__(self, log: list[str], fail_on: str = "") -> None:
        self.log = log
        self.values: dict[str, str] = {}
        self.commands: list[list[str]] = []
        self.fail_on = fail_on

    def __call__(self, command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        self.commands.append(command)
        if command[:3] == ["azd", "auth", "token"]:
            assert command[-2:] == ["--scope", "https://graph.microsoft.com/.default"]
            return subprocess.CompletedProcess(command, 0, stdout=json.dumps({"token": TOKEN}))
        assert command[:3] == ["azd", "env", "set"]
        assert command[5:] == ["--environment", "dev"]
        self.log.append(f"set {command[3]}")
        if command[3] == self.fail_on:
            return subprocess.CompletedProcess(command, 1, stdout="", stderr="boom")
        self.values[command[3]] = command[4]
        return subprocess.CompletedProcess(command, 0, stdout="")


class Deployment:
    """One azd environment: its values (reloaded after each hook, as azd does), Graph and azd."""

    def __init__(self, **env: str) -> None:
        self.log: list[str] = []
        self.env = {**BASE_ENV, **env}
        self.graph = FakeGraph(self.log)
        self.azd = FakeAzd(self.log)
        self.sleeps: list[float] = []

    def run(self, module: ModuleType, step: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
        self.azd.values = {}
        code = module.main(
            ["app_registration.py", step],
            dict(self.env),
            self.graph,
            self.azd,
            self.sleeps.append,
            lambda: NONCE,
        )
        self.env.update(self.azd.values)
        out, err = capsys.readouterr()
        assert TOKEN not in out + err and "SECRET" not in out + err
        assert "Traceback" not in err
        return code, out, err


def test_a_set_auth_client_id_is_reused_with_no_graph_call_and_no_token(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment(AUTH_CLIENT_ID="users-own-client-id")
    code, out, err = deployment.run(app_registration, "preprovision", capsys)
    assert (code, err) == (0, "")
    assert out == (
        "app registration: reusing AUTH_CLIENT_ID users-own-client-id (never changed or deleted here)\n"
    )
    assert deployment.graph.calls == [] and deployment.azd.commands == []


def test_without_auth_client_id_it_creates_a_single_tenant_registration_with_no_credential(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment()
    code, out, err = deployment.run(app_registration, "preprovision", capsys)
    assert (code, err) == (0, "")
    create = [c for c in deployment.graph.calls if c.method == "PATCH"]
    assert len(create) == 1
    assert create[0].path == f"/applications(uniqueName='{UNIQUE}')"
    assert create[0].prefer == "create-if-missing"
    assert create[0].body == {
        "displayName": "realtime-chat (dev)",
        "signInAudience": "AzureADMyOrg",
        "notes": "Created by azd for the environment dev; azd down deletes it.",
        "web": {
            "redirectUris": [],
            "implicitGrantSettings": {"enableIdTokenIssuance": True, "enableAccessTokenIssuance": False},
        },
    }
    text = json.dumps(create[0].body)
    assert "passwordCredentials" not in text and "keyCredentials" not in text
    assert "federatedIdentityCredentials" not in text
    assert deployment.graph.service_principals == {"app-1"}
    assert deployment.azd.values == {
        "AUTH_APP_UNIQUE_NAME": UNIQUE,
        "AUTH_APP_CREATED_BY_HOOK": "obj-1",
        "AUTH_CLIENT_ID": "app-1",
    }
    assert out == (
        f"app registration: created {UNIQUE} and its service principal (client id app-1); "
        "AUTH_CLIENT_ID set\n"
    )


def test_the_unique_name_is_recorded_before_anything_is_created_and_the_client_id_last(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment()
    deployment.run(app_registration, "preprovision", capsys)
    log = deployment.log
    assert log[0] == "set AUTH_APP_UNIQUE_NAME"
    assert log.index("set AUTH_APP_CREATED_BY_HOOK") < log.index("set AUTH_CLIENT_ID") == len(log) - 1
    assert log.index("set AUTH_APP_UNIQUE_NAME") < log.index(
        f"graph PATCH /applications(uniqueName='{UNIQUE}')"
    )


def test_a_known_host_name_goes_into_the_new_registration_at_once(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment(FUNCTION_APP_HOSTNAME=HOST)
    assert deployment.run(app_registration, "preprovision", capsys)[0] == 0
    assert deployment.graph.apps["obj-1"]["web"]["redirectUris"] == [CALLBACK]


def test_without_a_subscription_yet_it_says_which_tenant_it_uses(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment(AZURE_SUBSCRIPTION_ID="")
    code, out, _ = deployment.run(app_registration, "preprovision", capsys)
    assert code == 0
    assert out.splitlines()[0] == (
        "app registration: no subscription chosen yet, so it goes to your account's home tenant; "
        "if the subscription is in another tenant, run azd env set AZURE_SUBSCRIPTION_ID <id> first"
    )
    assert out.splitlines()[1].startswith("app registration: created")


def test_a_rerun_after_a_crash_finds_the_registration_and_creates_nothing(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment()
    deployment.azd.fail_on = "AUTH_CLIENT_ID"
    code, _, err = deployment.run(app_registration, "preprovision", capsys)
    assert (code, err) == (1, "app registration: azd env set AUTH_CLIENT_ID failed\n")
    assert "AUTH_CLIENT_ID" not in deployment.env
    writes_before = len(deployment.graph.writes())

    deployment.azd.fail_on = ""
    code, out, err = deployment.run(app_registration, "preprovision", capsys)
    assert (code, err) == (0, "")
    assert len(deployment.graph.apps) == 1 and len(deployment.graph.writes()) == writes_before
    assert deployment.env["AUTH_CLIENT_ID"] == "app-1"
    assert out == f"app registration: found {UNIQUE} (client id app-1); AUTH_CLIENT_ID set\n"


def test_a_rerun_with_the_service_principal_missing_creates_only_that(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment(AUTH_APP_UNIQUE_NAME="realtime-chat-dev-earlier")
    deployment.graph.add("realtime-chat-dev-earlier", {"displayName": "realtime-chat (dev)"})
    code, _, _ = deployment.run(app_registration, "preprovision", capsys)
    assert code == 0
    assert [(c.method, c.path) for c in deployment.graph.writes()] == [("POST", "/servicePrincipals")]
    assert "AUTH_APP_UNIQUE_NAME" not in deployment.azd.values
    assert deployment.env["AUTH_CLIENT_ID"] == "app-1"


def test_the_service_principal_waits_for_the_new_application_to_replicate(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment()
    deployment.graph.sp_not_ready = 2
    assert deployment.run(app_registration, "preprovision", capsys)[0] == 0
    assert deployment.sleeps == [app_registration.SP_WAIT_SECONDS] * 2
    assert deployment.graph.service_principals == {"app-1"}


def test_a_service_principal_that_never_becomes_possible_fails_after_bounded_attempts(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment()
    deployment.graph.sp_not_ready = 100
    code, _, err = deployment.run(app_registration, "preprovision", capsys)
    assert code == 1
    assert err == "app registration: creating the service principal failed: HTTP 400 Request_BadRequest\n"
    posts = [c for c in deployment.graph.calls if c.path == "/servicePrincipals"]
    assert len(posts) == app_registration.SP_ATTEMPTS
    assert len(deployment.sleeps) == app_registration.SP_ATTEMPTS - 1
    assert "AUTH_CLIENT_ID" not in deployment.env


def test_postprovision_sets_the_redirect_uri_and_id_tokens_once(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment()
    deployment.run(app_registration, "preprovision", capsys)
    deployment.graph.apps["obj-1"]["web"]["implicitGrantSettings"]["enableIdTokenIssuance"] = False
    deployment.env["FUNCTION_APP_HOSTNAME"] = HOST
    code, out, err = deployment.run(app_registration, "postprovision", capsys)
    assert (code, out, err) == (0, f"app registration: redirect URI set ({CALLBACK})\n", "")
    patch = [c for c in deployment.graph.calls if c.method == "PATCH" and c.path == "/applications/obj-1"]
    assert [c.body for c in patch] == [
        {
            "web": {
                "redirectUris": [CALLBACK],
                "implicitGrantSettings": {"enableIdTokenIssuance": True, "enableAccessTokenIssuance": False},
            }
        }
    ]

    code, out, _ = deployment.run(app_registration, "postprovision", capsys)
    assert (code, out) == (0, f"app registration: redirect URI already set ({CALLBACK})\n")
    assert len([c for c in deployment.graph.calls if c.method == "PATCH"]) == 2  # the create and one update


def test_postprovision_keeps_the_redirect_uris_already_there(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    old = "https://func-old.azurewebsites.net/.auth/login/aad/callback"
    deployment = Deployment(
        AUTH_CLIENT_ID="app-1",
        AUTH_APP_CREATED_BY_HOOK="obj-1",
        AUTH_APP_UNIQUE_NAME=UNIQUE,
        FUNCTION_APP_HOSTNAME=HOST,
    )
    web = {"redirectUris": [old], "implicitGrantSettings": {"enableIdTokenIssuance": True}}
    deployment.graph.add(UNIQUE, {"displayName": "x"}, web=web)
    assert deployment.run(app_registration, "postprovision", capsys)[0] == 0
    assert deployment.graph.apps["obj-1"]["web"]["redirectUris"] == [old, CALLBACK]


def test_postprovision_leaves_a_user_supplied_registration_alone_and_says_what_it_needs(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment(AUTH_CLIENT_ID="users-own", FUNCTION_APP_HOSTNAME=HOST)
    code, out, err = deployment.run(app_registration, "postprovision", capsys)
    assert (code, err) == (0, "")
    assert out == (
        f"app registration users-own is yours and left unchanged: it needs the Web redirect URI {CALLBACK} "
        "and 'ID tokens' on (Authentication, Implicit grant and hybrid flows)\n"
    )
    assert deployment.graph.calls == [] and deployment.azd.commands == []


def test_postprovision_does_not_touch_the_hooks_registration_once_auth_client_id_names_another(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment()
    deployment.run(app_registration, "preprovision", capsys)
    deployment.env.update(AUTH_CLIENT_ID="users-own", FUNCTION_APP_HOSTNAME=HOST)
    code, out, _ = deployment.run(app_registration, "postprovision", capsys)
    assert code == 0 and out.startswith("app registration users-own is yours and left unchanged")
    assert deployment.graph.calls[-1].method == "GET"
    assert deployment.graph.apps["obj-1"]["web"]["redirectUris"] == []


def test_postprovision_says_how_to_recover_when_the_hooks_registration_was_deleted(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment(
        AUTH_CLIENT_ID="app-9", AUTH_APP_CREATED_BY_HOOK="obj-9", FUNCTION_APP_HOSTNAME=HOST
    )
    code, _, err = deployment.run(app_registration, "postprovision", capsys)
    assert code == 1
    assert err == (
        "app registration: the app registration this hook created (obj-9) no longer exists: clear it with "
        "azd env set AUTH_CLIENT_ID '' and azd env set AUTH_APP_CREATED_BY_HOOK '', then azd provision\n"
    )


def test_postprovision_without_the_host_name_fails_clearly(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment(AUTH_CLIENT_ID="users-own")
    code, _, err = deployment.run(app_registration, "postprovision", capsys)
    assert (code, err) == (
        1,
        "app registration: missing azd environment value FUNCTION_APP_HOSTNAME (run azd provision first)\n",
    )


def test_postdown_deletes_the_registration_the_hook_created_and_clears_its_values(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment()
    deployment.run(app_registration, "preprovision", capsys)
    code, out, err = deployment.run(app_registration, "postdown", capsys)
    assert (code, err) == (0, "")
    assert out == f"app registration: deleted {UNIQUE} (client id app-1)\n"
    assert [(c.method, c.path) for c in deployment.graph.calls if c.method == "DELETE"] == [
        ("DELETE", "/applications/obj-1")
    ]
    assert deployment.graph.apps == {} and deployment.graph.service_principals == set()
    for name in ("AUTH_CLIENT_ID", "AUTH_APP_CREATED_BY_HOOK", "AUTH_APP_UNIQUE_NAME"):
        assert deployment.env[name] == ""

    # The next azd up starts afresh: a new name recorded, a new registration.
    assert deployment.run(app_registration, "preprovision", capsys)[0] == 0
    assert deployment.azd.values["AUTH_APP_UNIQUE_NAME"] == UNIQUE
    creates = [c for c in deployment.graph.calls if c.prefer == "create-if-missing"]
    assert len(creates) == 2 and len(deployment.graph.apps) == 1


def test_postdown_never_deletes_or_clears_a_user_supplied_registration(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment(AUTH_CLIENT_ID="users-own")
    code, out, _ = deployment.run(app_registration, "postdown", capsys)
    assert (code, out) == (
        0,
        "app registration: AUTH_CLIENT_ID users-own was not created by azd; left as it is\n",
    )
    assert deployment.graph.calls == [] and deployment.azd.commands == []


def test_postdown_refuses_to_delete_a_registration_whose_unique_name_is_not_this_environments(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment(
        AUTH_CLIENT_ID="app-1", AUTH_APP_CREATED_BY_HOOK="obj-1", AUTH_APP_UNIQUE_NAME=UNIQUE
    )
    deployment.graph.add("someone-elses-app", {"displayName": "theirs"})
    code, _, err = deployment.run(app_registration, "postdown", capsys)
    assert code == 1
    assert err == (
        "app registration: app registration obj-1 is not the one this environment created "
        "(its uniqueName differs): not deleted\n"
    )
    assert "obj-1" in deployment.graph.apps and deployment.azd.values == {}


def test_postdown_when_the_registration_is_already_gone_just_clears_the_values(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment(
        AUTH_CLIENT_ID="app-1", AUTH_APP_CREATED_BY_HOOK="obj-1", AUTH_APP_UNIQUE_NAME=UNIQUE
    )
    code, out, _ = deployment.run(app_registration, "postdown", capsys)
    assert (code, out) == (0, "app registration: obj-1 was already gone\n")
    assert not [c for c in deployment.graph.calls if c.method == "DELETE"]
    assert deployment.azd.values == {
        "AUTH_CLIENT_ID": "",
        "AUTH_APP_CREATED_BY_HOOK": "",
        "AUTH_APP_UNIQUE_NAME": "",
    }


def test_postdown_keeps_auth_client_id_when_it_names_another_registration(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment()
    deployment.run(app_registration, "preprovision", capsys)
    deployment.env["AUTH_CLIENT_ID"] = "users-own"
    assert deployment.run(app_registration, "postdown", capsys)[0] == 0
    assert deployment.graph.apps == {}
    assert deployment.env["AUTH_CLIENT_ID"] == "users-own"
    assert deployment.env["AUTH_APP_CREATED_BY_HOOK"] == ""


@pytest.mark.parametrize(
    "marker", [{"CI": "true"}, {"GITHUB_ACTIONS": "true"}, {"TF_BUILD": "True"}], ids=lambda m: next(iter(m))
)
def test_in_ci_without_auth_client_id_it_fails_asking_for_the_repository_variable(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str], marker: dict[str, str]
) -> None:
    deployment = Deployment(AUTH_CLIENT_ID="", **marker)
    code, out, err = deployment.run(app_registration, "preprovision", capsys)
    assert (code, out) == (1, "")
    assert err == (
        "app registration: AUTH_CLIENT_ID is not set, and a pipeline cannot create an app registration "
        "(its identity has no Microsoft Graph rights): set the repository variable AUTH_CLIENT_ID to the "
        "client id of an existing registration (azd env get-value AUTH_CLIENT_ID where azd up created one)\n"
    )
    assert deployment.graph.calls == [] and deployment.azd.commands == []


def test_ci_markers_set_to_false_do_not_count(app_registration: ModuleType) -> None:
    assert not app_registration.looks_like_ci({"CI": "false", "TF_BUILD": "0", "GITHUB_ACTIONS": ""})
    assert app_registration.looks_like_ci({"CI": "1"})


@pytest.mark.parametrize("status", [401, 403])
def test_a_deployer_without_the_right_gets_the_missing_right_and_the_manual_path(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str], status: int
) -> None:
    deployment = Deployment()
    route = ("PATCH", f"/applications(uniqueName='{UNIQUE}')")
    denied = {"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges"}}
    deployment.graph.forced[route] = (status, denied)
    code, out, err = deployment.run(app_registration, "preprovision", capsys)
    assert (code, out) == (1, "")
    first = err.splitlines()[0]
    assert first == (
        "app registration: creating the app registration was refused by Microsoft Graph "
        f"(HTTP {status} Authorization_RequestDenied)."
    )
    for needed in (
        "Application Developer role",
        "'Users can register applications'",
        "Application.ReadWrite.All",
        "https://<FUNCTION_APP_HOSTNAME>/.auth/login/aad/callback",
        "'ID tokens' on",
        "azd env set AUTH_CLIENT_ID <its Application (client) ID> and azd provision",
    ):
        assert needed in err
    assert "AUTH_CLIENT_ID" not in deployment.azd.values


def test_another_graph_error_is_one_line_with_the_status_and_the_code(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment()
    route = ("GET", f"/applications(uniqueName='{UNIQUE}')")
    deployment.graph.forced[route] = (503, {"error": {"code": "ServiceUnavailable", "message": "try later"}})
    code, _, err = deployment.run(app_registration, "preprovision", capsys)
    assert (code, err) == (
        1,
        "app registration: reading the app registration failed: HTTP 503 ServiceUnavailable\n",
    )


def test_a_graph_answer_without_an_error_body_still_reads_plainly(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment(
        AUTH_CLIENT_ID="app-1", AUTH_APP_CREATED_BY_HOOK="obj-1", FUNCTION_APP_HOSTNAME=HOST
    )
    deployment.graph.forced[("GET", "/applications/obj-1")] = (502, None)
    code, _, err = deployment.run(app_registration, "postprovision", capsys)
    assert (code, err) == (
        1,
        "app registration: reading the app registration failed: HTTP 502 no error code\n",
    )


def test_a_created_application_without_ids_is_a_clear_error(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment()
    deployment.graph.forced[("PATCH", f"/applications(uniqueName='{UNIQUE}')")] = (201, {"displayName": "x"})
    code, _, err = deployment.run(app_registration, "preprovision", capsys)
    assert (code, err) == (
        1,
        "app registration: creating the app registration: Microsoft Graph answered without the "
        "application's id and appId\n",
    )


def test_a_refused_delete_names_the_right_and_keeps_the_values(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment()
    deployment.run(app_registration, "preprovision", capsys)
    denied = {"error": {"code": "Authorization_RequestDenied"}}
    deployment.graph.forced[("DELETE", "/applications/obj-1")] = (403, denied)
    code, _, err = deployment.run(app_registration, "postdown", capsys)
    assert code == 1
    assert err == (
        "app registration: deleting the app registration was refused by Microsoft Graph (HTTP 403 "
        "Authorization_RequestDenied): only its owners (the account that created it) or an Application "
        "Administrator may; delete client id app-1 in the portal (Entra ID, App registrations), "
        "then run azd hooks run postdown\n"
    )
    assert deployment.env["AUTH_APP_CREATED_BY_HOOK"] == "obj-1"


def test_a_signed_out_azd_gets_a_message_not_a_trace(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    def signed_out(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        if command[:3] == ["azd", "auth", "token"]:
            return subprocess.CompletedProcess(command, 1, stdout="", stderr="not logged in")
        return subprocess.CompletedProcess(command, 0, stdout="")

    code = app_registration.main(["x", "preprovision"], dict(BASE_ENV), FakeGraph([]), signed_out)
    assert code == 1
    assert capsys.readouterr().err == "app registration: azd auth token failed: sign in with azd auth login\n"


def test_an_unreachable_graph_gives_its_reason_and_never_the_request(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    def unreachable(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> tuple[int, Any]:
        raise urllib.error.URLError("Name or service not known")

    code = app_registration.main(
        ["x", "preprovision"], dict(BASE_ENV), unreachable, FakeAzd([]), nonce=lambda: NONCE
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert err == "app registration: Microsoft Graph unreachable (Name or service not known)\n"
    assert TOKEN not in out + err


def test_an_unknown_step_prints_the_usage(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert app_registration.main(["x", "predown"], dict(BASE_ENV), FakeGraph([]), FakeAzd([])) == 1
    assert capsys.readouterr().err == (
        "app registration: usage: app_registration.py preprovision|postprovision|postdown\n"
    )


def test_the_unique_name_is_a_plain_slug_of_the_environment_and_the_nonce(
    app_registration: ModuleType,
) -> None:
    assert app_registration.new_unique_name("Chat Dev_1", "ab12") == "realtime-chat-chat-dev-1-ab12"
    assert app_registration.new_unique_name("___", "ab12") == "realtime-chat-env-ab12"
    assert len(app_registration.new_unique_name("x" * 64, "ab12cd34")) == len("realtime-chat--ab12cd34") + 40


def test_the_registration_body_is_a_valid_graph_application(
    app_registration: ModuleType, resource_types: ResourceTypes
) -> None:
    body = {"uniqueName": UNIQUE, **app_registration.registration_body("dev", [CALLBACK])}
    assert resource_types.check("Microsoft.Graph/applications@v1.0", body) == []


def test_every_azure_yaml_hook_runs_an_existing_script_with_a_step_it_knows() -> None:
    hooks = yaml.safe_load((REPO / "azure.yaml").read_text(encoding="utf-8"))["hooks"]
    assert {"preprovision", "postprovision", "postdown", "postdeploy"} <= set(hooks)
    for name, hook in hooks.items():
        for platform, python in (("posix", "python3"), ("windows", "python")):
            words = shlex.split(hook[platform]["run"])
            assert words[0] == python and hook[platform]["interactive"] is False
            script = REPO / words[1]
            assert script.is_file() and script.parent == INFRA / "hooks", (name, platform)
            if script.name == "app_registration.py":
                assert words[2:] == [name]
                assert f'"{name}"' in script.read_text(encoding="utf-8")


def test_a_refused_redirect_uri_update_says_where_to_add_it_by_hand(
    app_registration: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = Deployment()
    deployment.run(app_registration, "preprovision", capsys)
    deployment.env["FUNCTION_APP_HOSTNAME"] = HOST
    denied = {"error": {"code": "Authorization_RequestDenied"}}
    deployment.graph.forced[("PATCH", "/applications/obj-1")] = (403, denied)
    code, _, err = deployment.run(app_registration, "postprovision", capsys)
    assert code == 1
    lines = err.splitlines()
    assert lines[0] == (
        "app registration: setting the redirect URI was refused by Microsoft Graph "
        "(HTTP 403 Authorization_RequestDenied)."
    )
    assert lines[-1] == (
        "Or do it by hand: in the portal (Microsoft Entra ID, App registrations, client id app-1, "
        f"Authentication) add the Web redirect URI {CALLBACK} and turn on 'ID tokens'"
    )
