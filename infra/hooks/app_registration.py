"""azd hooks: the Microsoft Entra app registration users sign in to, made by azd.

``azd up`` alone gives a signed-in chat: when ``AUTH_CLIENT_ID`` is not set,
this creates the registration (and its service principal) through Microsoft
Graph with azd's own token, and records its client id in the azd environment,
where ``main.parameters.json`` hands it to the Bicep (``authClientId``).

- ``preprovision``: reuse ``AUTH_CLIENT_ID`` when set (no Graph call);
  otherwise find or create the registration, idempotently: a random
  ``uniqueName`` (Graph's client-chosen alternate key) is recorded in the azd
  environment *before* anything is created, so a rerun after a crash finds
  what the first run made instead of making a second one. azd reloads the
  environment after each hook and reads the parameters file only when it
  deploys, so a value set here reaches the same run's Bicep (Azure/azure-dev:
  ``cli/azd/pkg/ext/hooks_runner.go`` ``RunHooks`` reloads after each hook;
  ``bicep_provider.go`` ``loadParameters``; ``internal/cmd/up_graph.go`` runs
  ``cmdhook-preprovision`` before the provision layers).
- ``postprovision``: the app's host name exists only now, so this adds the
  redirect URI ``https://<FUNCTION_APP_HOSTNAME>/.auth/login/aad/callback`` and
  ID token issuance to the registration this hook created. A registration the
  user supplied is never changed: the hook prints what it must have.
- ``postdown``: deletes the registration only if this hook created it, then
  clears the values it set. ``postdown``, not ``predown``: azd asks for
  confirmation inside the destroy step (``bicep_provider.go``
  ``promptDeletion``), after a ``predown`` hook has already run, so a declined
  ``azd down`` must not have lost the registration.

No credential is created: App Service Authentication without a client secret
signs users in with the OpenID Connect implicit flow and ID tokens only
(MicrosoftDocs/azure-docs, ``articles/app-service/configure-authentication-provider-aad.md``:
"When the client secret is not set, implicit flow is used and only an ID token
is returned"; the registration needs "ID tokens" under implicit grant).
azd itself creates app registrations with this same sign-in for
``azd pipeline config`` (``cli/azd/pkg/entraid/entraid.go``).

Standard library only, Python 3.9+. Tokens are never printed.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
from collections.abc import Callable, Mapping
from typing import Any

from azure_rest import HookError, Send, azd_token, urllib_send
from graph_rest import GRAPH_ENDPOINT, Graph, error_code

CLIENT_ID = "AUTH_CLIENT_ID"
UNIQUE_NAME = "AUTH_APP_UNIQUE_NAME"
CREATED_BY_HOOK = "AUTH_APP_CREATED_BY_HOOK"

CALLBACK_PATH = "/.auth/login/aad/callback"
CI_MARKERS = ("CI", "GITHUB_ACTIONS", "TF_BUILD")

# A new application takes a few seconds to replicate before Graph accepts a
# service principal for it.
SP_ATTEMPTS = 6
SP_WAIT_SECONDS = 5.0

Run = Callable[..., Any]


class AzdEnv:
    """``azd env set``, one value at a time (the form every azd version takes)."""

    def __init__(self, env_name: str, run: Run) -> None:
        self._env_name = env_name
        self._run = run

    def set(self, name: str, value: str) -> None:
        """Record one value in the azd environment; the names and ids set here are not secrets."""
        command = ["azd", "env", "set", name, value]
        if self._env_name:
            command += ["--environment", self._env_name]
        result = self._run(command, capture_output=True, text=True, check=False, timeout=120)
        if result.returncode != 0:
            raise HookError(f"azd env set {name} failed")


def redirect_uri(app_host: str) -> str:
    """Where Easy Auth receives the sign-in answer."""
    return f"https://{app_host}{CALLBACK_PATH}"


def looks_like_ci(env: Mapping[str, str]) -> bool:
    """Whether a pipeline runs azd (GitHub Actions and Azure Pipelines set these)."""
    return any(env.get(name, "").strip().lower() not in ("", "0", "false") for name in CI_MARKERS)


def new_unique_name(env_name: str, nonce: str) -> str:
    """A uniqueName no other environment or deployer will pick."""
    slug = re.sub(r"[^a-z0-9-]+", "-", env_name.lower()).strip("-")[:40] or "env"
    return f"realtime-chat-{slug}-{nonce}"


def registration_body(env_name: str, redirect_uris: list[str]) -> dict[str, Any]:
    """The application: single tenant, web sign-in with ID tokens, and no credential of any kind."""
    return {
        "displayName": f"realtime-chat ({env_name})",
        "signInAudience": "AzureADMyOrg",
        "notes": f"Created by azd for the environment {env_name}; azd down deletes it.",
        "web": {
            "redirectUris": redirect_uris,
            "implicitGrantSettings": {"enableIdTokenIssuance": True, "enableAccessTokenIssuance": False},
        },
    }


def create_by_hand(app_host: str) -> str:
    """The manual path when the hook may not create the registration."""
    where = redirect_uri(app_host or "<FUNCTION_APP_HOSTNAME>")
    return (
        "in the portal (Microsoft Entra ID, App registrations, New registration) create a "
        f"single-tenant registration with the Web redirect URI {where} and 'ID tokens' on "
        "(Authentication, Implicit grant and hybrid flows), no secret; then run: azd env set "
        "AUTH_CLIENT_ID <its Application (client) ID> and azd provision (it prints the exact "
        "redirect URI once the app exists)."
    )


def graph_failure(action: str, status: int, body: Any, by_hand: str) -> HookError:
    """A readable error: the missing right and the manual path when refused, else one line."""
    code = error_code(body)
    if status in (401, 403):
        return HookError(
            f"{action} was refused by Microsoft Graph (HTTP {status} {code}).\n"
            "Your account may not manage app registrations in this tenant. It needs one of: the "
            "Application Developer role (or Cloud Application Administrator), or the tenant setting "
            "'Users can register applications' left on (Graph's delegated permission for this is "
            f"Application.ReadWrite.All).\nOr do it by hand: {by_hand}"
        )
    return HookError(f"{action} failed: HTTP {status} {code}")


def _application(body: Any, action: str) -> dict[str, Any]:
    if isinstance(body, dict) and isinstance(body.get("id"), str) and isinstance(body.get("appId"), str):
        return body
    raise HookError(f"{action}: Microsoft Graph answered without the application's id and appId")


def _by_unique_name(unique: str) -> str:
    return f"/applications(uniqueName='{unique}')"


def find_or_create(
    graph: Graph, unique: str, body: Mapping[str, Any], by_hand: str
) -> tuple[dict[str, Any], bool]:
    """The application with this uniqueName, created if missing; and whether it was created now."""
    status, found = graph.call("GET", _by_unique_name(unique))
    if status == 200:
        return _application(found, "reading the app registration"), False
    if status != 404:
        raise graph_failure("reading the app registration", status, found, by_hand)
    # Upsert by alternate key (Graph v1.0 "Upsert application",
    # https://learn.microsoft.com/graph/api/application-upsert): 201 with the
    # new object, or 204 if it appeared meanwhile, then read it.
    status, created = graph.call("PATCH", _by_unique_name(unique), body, prefer="create-if-missing")
    if status == 201:
        return _application(created, "creating the app registration"), True
    if status == 204:
        status, found = graph.call("GET", _by_unique_name(unique))
        if status == 200:
            return _application(found, "reading the app registration"), False
    raise graph_failure("creating the app registration", status, created, by_hand)


def ensure_service_principal(graph: Graph, app_id: str, sleep: Callable[[float], None], by_hand: str) -> bool:
    """The registration's service principal in this tenant; True when created now."""
    status, body = graph.call("GET", f"/servicePrincipals(appId='{app_id}')")
    if status == 200:
        return False
    if status != 404:
        raise graph_failure("reading the service principal", status, body, by_hand)
    for attempt in range(SP_ATTEMPTS):
        status, body = graph.call("POST", "/servicePrincipals", {"appId": app_id})
        if status == 201:
            return True
        # 400/404 while the new application replicates; anything else is final.
        if status not in (400, 404) or attempt + 1 == SP_ATTEMPTS:
            break
        sleep(SP_WAIT_SECONDS)
    raise graph_failure("creating the service principal", status, body, by_hand)


def preprovision(
    env: Mapping[str, str],
    graph: Callable[[], Graph],
    azd_env: AzdEnv,
    sleep: Callable[[float], None],
    nonce: Callable[[], str],
) -> None:
    """Reuse AUTH_CLIENT_ID, or find or create the registration and record its client id."""
    client_id = env.get(CLIENT_ID, "").strip()
    if client_id:
        if env.get(CREATED_BY_HOOK, "").strip():
            print(f"app registration: using the one this hook created (client id {client_id})")
        else:
            print(f"app registration: reusing AUTH_CLIENT_ID {client_id} (never changed or deleted here)")
        return
    if looks_like_ci(env):
        raise HookError(
            "AUTH_CLIENT_ID is not set, and a pipeline cannot create an app registration (its identity "
            "has no Microsoft Graph rights): set the repository variable AUTH_CLIENT_ID to the client id "
            "of an existing registration (azd env get-value AUTH_CLIENT_ID where azd up created one)"
        )
    env_name = env.get("AZURE_ENV_NAME", "").strip()
    if not env_name:
        raise HookError("missing azd environment value AZURE_ENV_NAME (run it through azd)")
    app_host = env.get("FUNCTION_APP_HOSTNAME", "").strip()
    unique = env.get(UNIQUE_NAME, "").strip()
    if not unique:
        unique = new_unique_name(env_name, nonce())
        # Recorded before the create: a rerun looks for this name.
        azd_env.set(UNIQUE_NAME, unique)
    if not env.get("AZURE_SUBSCRIPTION_ID", "").strip():
        # azd auth token picks the subscription's tenant when it knows the
        # subscription (Azure/azure-dev cli/azd/cmd/auth_token.go), else the
        # account's home tenant, which Easy Auth's issuer may not be.
        print(
            "app registration: no subscription chosen yet, so it goes to your account's home tenant; "
            "if the subscription is in another tenant, run azd env set AZURE_SUBSCRIPTION_ID <id> first"
        )
    client = graph()
    body = registration_body(env_name, [redirect_uri(app_host)] if app_host else [])
    by_hand = create_by_hand(app_host)
    app, created = find_or_create(client, unique, body, by_hand)
    sp_created = ensure_service_principal(client, app["appId"], sleep, by_hand)
    # The marker first: a crash before AUTH_CLIENT_ID is set still leaves
    # azd down able to delete it, and the rerun finds it by its uniqueName.
    azd_env.set(CREATED_BY_HOOK, app["id"])
    azd_env.set(CLIENT_ID, app["appId"])
    verb = "created" if created else "found"
    extra = " and its service principal" if sp_created else ""
    print(f"app registration: {verb} {unique}{extra} (client id {app['appId']}); AUTH_CLIENT_ID set")


def postprovision(env: Mapping[str, str], graph: Callable[[], Graph]) -> None:
    """Give the hook's registration the app's redirect URI and ID tokens; leave a user's alone."""
    client_id = env.get(CLIENT_ID, "").strip()
    if not client_id:
        print("app registration: AUTH_CLIENT_ID is not set, App Service Authentication is off")
        return
    app_host = env.get("FUNCTION_APP_HOSTNAME", "").strip()
    if not app_host:
        raise HookError("missing azd environment value FUNCTION_APP_HOSTNAME (run azd provision first)")
    wanted = redirect_uri(app_host)
    object_id = env.get(CREATED_BY_HOOK, "").strip()
    yours = (
        f"app registration {client_id} is yours and left unchanged: it needs the Web redirect URI "
        f"{wanted} and 'ID tokens' on (Authentication, Implicit grant and hybrid flows)"
    )
    if not object_id:
        print(yours)
        return
    by_hand = (
        f"in the portal (Microsoft Entra ID, App registrations, client id {client_id}, Authentication) "
        f"add the Web redirect URI {wanted} and turn on 'ID tokens'"
    )
    client = graph()
    status, app = client.call("GET", f"/applications/{object_id}?$select=id,appId,web")
    if status == 404:
        raise HookError(
            f"the app registration this hook created ({object_id}) no longer exists: clear it with "
            "azd env set AUTH_CLIENT_ID '' and azd env set AUTH_APP_CREATED_BY_HOOK '', then azd provision"
        )
    if status != 200:
        raise graph_failure("reading the app registration", status, app, by_hand)
    app = _application(app, "reading the app registration")
    if app["appId"] != client_id:
        print(yours)
        return
    web = app.get("web") or {}
    uris = list(web.get("redirectUris") or [])
    implicit = dict(web.get("implicitGrantSettings") or {})
    if wanted in uris and implicit.get("enableIdTokenIssuance") is True:
        print(f"app registration: redirect URI already set ({wanted})")
        return
    if wanted not in uris:
        uris.append(wanted)
    implicit["enableIdTokenIssuance"] = True
    patch = {"web": {"redirectUris": uris, "implicitGrantSettings": implicit}}
    status, body = client.call("PATCH", f"/applications/{object_id}", patch)
    if status not in (200, 204):
        raise graph_failure("setting the redirect URI", status, body, by_hand)
    print(f"app registration: redirect URI set ({wanted})")


def postdown(env: Mapping[str, str], graph: Callable[[], Graph], azd_env: AzdEnv) -> None:
    """Delete the registration only if this hook created it, then clear what the hook recorded."""
    object_id = env.get(CREATED_BY_HOOK, "").strip()
    client_id = env.get(CLIENT_ID, "").strip()
    if not object_id:
        if client_id:
            print(f"app registration: AUTH_CLIENT_ID {client_id} was not created by azd; left as it is")
        return
    unique = env.get(UNIQUE_NAME, "").strip()
    by_hand = (
        f"delete the registration with object id {object_id} in the portal (Microsoft Entra ID, "
        "App registrations), then run azd hooks run postdown"
    )
    client = graph()
    status, app = client.call("GET", f"/applications/{object_id}?$select=id,appId,uniqueName")
    # AUTH_CLIENT_ID is cleared when it names the deleted registration, or
    # when the hook's registration is gone and can no longer say which it was.
    clear_client_id = True
    if status == 200:
        app = _application(app, "reading the app registration")
        # The marker alone could have been edited: delete only the object
        # that carries the uniqueName this environment chose.
        if not unique or app.get("uniqueName") != unique:
            raise HookError(
                f"app registration {object_id} is not the one this environment created (its uniqueName "
                "differs): not deleted"
            )
        status, body = client.call("DELETE", f"/applications/{object_id}")
        if status in (401, 403):
            raise HookError(
                f"deleting the app registration was refused by Microsoft Graph (HTTP {status} "
                f"{error_code(body)}): only its owners (the account that created it) or an Application "
                f"Administrator may; delete client id {app['appId']} in the portal (Entra ID, App "
                "registrations), then run azd hooks run postdown"
            )
        if status not in (204, 404):
            raise graph_failure("deleting the app registration", status, body, by_hand)
        clear_client_id = client_id == app["appId"]
        print(f"app registration: deleted {unique} (client id {app['appId']})")
    elif status == 404:
        print(f"app registration: {object_id} was already gone")
    else:
        raise graph_failure("reading the app registration", status, app, by_hand)
    if client_id and clear_client_id:
        azd_env.set(CLIENT_ID, "")
    azd_env.set(CREATED_BY_HOOK, "")
    azd_env.set(UNIQUE_NAME, "")


def main(
    argv: list[str] = sys.argv,
    env: Mapping[str, str] = os.environ,
    send: Send = urllib_send,
    run: Run = subprocess.run,
    sleep: Callable[[float], None] = time.sleep,
    nonce: Callable[[], str] = lambda: secrets.token_hex(4),
) -> int:
    """Run one step (preprovision, postprovision or postdown); 0 on success, 1 with a message."""
    step = argv[1] if len(argv) > 1 else ""
    azd_env = AzdEnv(env.get("AZURE_ENV_NAME", "").strip(), run)

    def graph() -> Graph:
        return Graph(azd_token(GRAPH_ENDPOINT, run), send)

    try:
        if step == "preprovision":
            preprovision(env, graph, azd_env, sleep, nonce)
        elif step == "postprovision":
            postprovision(env, graph)
        elif step == "postdown":
            postdown(env, graph, azd_env)
        else:
            raise HookError("usage: app_registration.py preprovision|postprovision|postdown")
    except HookError as error:
        print(f"app registration: {error}", file=sys.stderr)
        return 1
    except urllib.error.URLError as error:
        # Its reason only, never the request (which holds the token).
        print(f"app registration: Microsoft Graph unreachable ({error.reason})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
