"""azd postdeploy hook: point the Web PubSub hub at the app, then check the live app.

The hub's event handler URL carries a key the Functions host creates only
once it runs the deployed app, so the Bicep declares the service but not the
hub, and this hook, the hub's only definition, runs after every
``azd deploy`` (and again with ``azd hooks run postdeploy``):

1. it reads the service's host name, the origin of its validation requests;
2. it picks the event path (``event_path``): the extension's webhook with its
   system key, or the HTTP route with its function key, whichever answers the
   service's validation request (``WEBPUBSUB_EVENT_PATH`` may force one);
3. it reads the hub and, only if its handler or policy differ from the
   desired ones, creates or updates it, then waits (bounded) for it to settle;
4. it checks the live app (``field_checks``), and stops it if negotiate
   hands a token to a forged identity.

A second ``azd up`` therefore changes nothing. It signs in with azd's own
credentials (``azd auth token``), so it works wherever azd is signed in,
including CI with azd's federated login; it never runs the az CLI. It uses only
the standard library, so it runs on any Python 3.9+ without the app's
environment. Keys are never printed: URLs are shown with ``code=***``.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from app_keys import SYSTEM_KEY_NAME, function_key
from azure_rest import Arm, Exchange, HookError, Reply, Send, azd_token, redact, urllib_exchange, urllib_send
from event_path import (
    HTTP_WEBHOOK_FUNCTION,
    HTTP_WEBHOOK_PATH,
    WEBHOOK_PATH,
    Probing,
    choose_event_path,
    event_path_mode,
    handler_url,
    http_handler_url,
    webpubsub_host,
)
from field_checks import PRESENCE_FUNCTION, FieldRun, run_field_checks
from hub_target import Target, target_from_env

# Read by tests/infra/test_app_agreement.py, which checks them against the app.
__all__ = [
    "HTTP_WEBHOOK_FUNCTION",
    "HTTP_WEBHOOK_PATH",
    "SYSTEM_KEY_NAME",
    "WEBHOOK_PATH",
    "handler_url",
    "http_handler_url",
    "hub_body",
    "main",
]


def _event_names() -> ModuleType:
    """The app's ``chat/event_names.py``, loaded by its path: it imports nothing, and the
    hook needs neither the app's packages nor its environment."""
    path = Path(__file__).resolve().parents[2] / "chat" / "event_names.py"
    spec = importlib.util.spec_from_file_location("chat_event_names", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The events the app's trigger functions are registered for, from the app's
# own list (tests/infra checks them against the indexed app).
_NAMES = _event_names()
SYSTEM_EVENTS: tuple[str, ...] = tuple(_NAMES.SYSTEM_EVENTS)
USER_EVENTS: tuple[str, ...] = tuple(_NAMES.USER_EVENTS)

HUB_API_VERSION = "2024-03-01"
# Hub updates take seconds.
HUB_ATTEMPTS = 30
HUB_WAIT_SECONDS = 5.0
# The site's own answers come quickly or not at all; ARM calls keep the longer default.
SITE_TIMEOUT_SECONDS = 30.0


def hub_body(url: str) -> dict[str, Any]:
    """The hub as ARM takes it: one handler, the app's events, anonymous connects denied."""
    return {
        "properties": {
            "eventHandlers": [
                {
                    "urlTemplate": url,
                    "userEventPattern": ",".join(USER_EVENTS),
                    "systemEvents": list(SYSTEM_EVENTS),
                    "auth": {"type": "None"},
                }
            ],
            "anonymousConnectPolicy": "Deny",
        }
    }


def _comparable(hub: Mapping[str, Any]) -> tuple[Any, ...]:
    properties = hub.get("properties") or {}
    handlers = []
    for handler in properties.get("eventHandlers") or []:
        auth = handler.get("auth") or {}
        handlers.append(
            (
                handler.get("urlTemplate"),
                handler.get("userEventPattern") or "",
                tuple(sorted(handler.get("systemEvents") or [])),
                auth.get("type") or "None",
            )
        )
    policy = (properties.get("anonymousConnectPolicy") or "deny").lower()
    return (tuple(handlers), policy)


def needs_update(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> bool:
    """Whether the hub must be written: it is missing or differs from what we want."""
    return current is None or _comparable(current) != _comparable(desired)


def _state(body: Any) -> Any:
    return ((body or {}).get("properties") or {}).get("provisioningState") if isinstance(body, dict) else None


def ensure_hub(arm: Arm, target: Target, url: str, sleep: Callable[[float], None]) -> str:
    """Point the hub at ``url`` if it differs; returns 'created', 'updated' or 'unchanged'."""
    desired = hub_body(url)
    status, current = arm.call("GET", target.hub_path, HUB_API_VERSION)
    if status == 404:
        current = None
    elif status != 200:
        raise HookError(f"reading hub {target.hub} failed with HTTP {status}")
    if not needs_update(current, desired):
        return "unchanged"
    status, body = arm.call("PUT", target.hub_path, HUB_API_VERSION, desired)
    if status not in (200, 201, 202):
        message = ""
        if isinstance(body, dict):
            message = str((body.get("error") or {}).get("message", ""))
        raise HookError(redact(f"writing hub {target.hub} failed with HTTP {status} {message}".strip()))
    for _ in range(HUB_ATTEMPTS):
        state = _state(body)
        if state == "Succeeded":
            return "created" if current is None else "updated"
        if state in ("Failed", "Canceled"):
            raise HookError(f"hub {target.hub} provisioning ended {state}")
        sleep(HUB_WAIT_SECONDS)
        status, body = arm.call("GET", target.hub_path, HUB_API_VERSION)
    raise HookError(f"hub {target.hub} did not finish provisioning in time")


def site_exchange(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> Reply:
    """The live app's transport: the standard library with a shorter timeout."""
    return urllib_exchange(method, url, headers, body, timeout=SITE_TIMEOUT_SECONDS)


def main(
    env: Mapping[str, str] = os.environ,
    send: Send = urllib_send,
    run: Callable[..., Any] = subprocess.run,
    sleep: Callable[[float], None] = time.sleep,
    site: Exchange = site_exchange,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Run the hook; 0 when the hub points at a checked app, 1 with a message otherwise."""
    try:
        target = target_from_env(env)
        mode = event_path_mode(env)
        arm = Arm(target.arm_endpoint, azd_token(target.arm_endpoint, run), send)
        origin = webpubsub_host(arm, target)
        probing = Probing(site, clock, sleep)
        choice = choose_event_path(mode, arm, target, origin, probing)
        print(f"event path: {choice.path} ({redact(choice.url)}): {choice.reason}")
        outcome = ensure_hub(arm, target, choice.url, sleep)
        print(f"webpubsub hub {target.hub}: {outcome} ({redact(choice.url)})")
        run_field_checks(
            FieldRun(arm, target, choice, origin, probing),
            lambda: function_key(arm, target, PRESENCE_FUNCTION, sleep),
            print,
        )
    except HookError as error:
        print(f"webpubsub hub: {redact(str(error))}", file=sys.stderr)
        return 1
    print(f"Chat: https://{target.app_host}/api/chat")
    return 0


if __name__ == "__main__":
    sys.exit(main())
