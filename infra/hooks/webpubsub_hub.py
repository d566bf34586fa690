"""azd postdeploy hook: point the Web PubSub hub at the app's extension webhook.

The hub's event handler URL carries the function app's ``webpubsub_extension``
system key, which exists only once the Functions host has loaded the Web
PubSub extension, that is after the first deploy. So the Bicep declares the
service but not the hub, and this hook, the hub's only definition, runs after
every ``azd deploy``:

1. it reads the key from Azure Resource Manager (``host/default/listkeys``),
   retrying for a bounded time while the freshly deployed host starts;
2. it reads the hub and, only if its handler or policy differ from the
   desired ones, creates or updates it, then waits (bounded) for it to settle.

A second ``azd up`` therefore changes nothing. It signs in with azd's own
credentials (``azd auth token``), so it works wherever azd is signed in,
including CI with azd's federated login; it never calls ``az``. It uses only
the standard library, so it runs on any Python 3.9+ without the app's
environment. The key is never printed: URLs are shown with ``code=***``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from azure_rest import DEFAULT_ARM_ENDPOINT, Arm, HookError, Send, azd_token, redact, urllib_send

# What the app's trigger functions declare (tests/infra checks them against
# the indexed app): the system events and the user events it handles.
SYSTEM_EVENTS = ("connect", "connected", "disconnected")
USER_EVENTS = ("message", "join", "leave")
# Served by the Web PubSub extension itself, not by a Python function.
WEBHOOK_PATH = "/runtime/webhooks/webpubsub"
SYSTEM_KEY_NAME = "webpubsub_extension"

HUB_API_VERSION = "2024-03-01"
SITES_API_VERSION = "2024-11-01"

# Bounds: the key usually appears within a minute of a deploy; hub updates
# take seconds.
KEY_ATTEMPTS = 30
KEY_WAIT_SECONDS = 10.0
HUB_ATTEMPTS = 30
HUB_WAIT_SECONDS = 5.0



@dataclass(frozen=True)
class Target:
    """Where the hub lives and which app it points at (from azd's environment)."""

    subscription_id: str
    resource_group: str
    app_name: str
    app_host: str
    webpubsub_name: str
    hub: str
    arm_endpoint: str = DEFAULT_ARM_ENDPOINT

    @property
    def site_path(self) -> str:
        """ARM path of the function app."""
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Web/sites/{self.app_name}"
        )

    @property
    def hub_path(self) -> str:
        """ARM path of the Web PubSub hub."""
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.SignalRService/webPubSub/{self.webpubsub_name}/hubs/{self.hub}"
        )


_REQUIRED = {
    "subscription_id": "AZURE_SUBSCRIPTION_ID",
    "resource_group": "AZURE_RESOURCE_GROUP",
    "app_name": "FUNCTION_APP_NAME",
    "app_host": "FUNCTION_APP_HOSTNAME",
    "webpubsub_name": "WEBPUBSUB_NAME",
    "hub": "WEBPUBSUB_HUB",
}


def target_from_env(env: Mapping[str, str]) -> Target:
    """The target from azd's environment (Bicep outputs); names what is missing."""
    values = {field: env.get(name, "").strip() for field, name in _REQUIRED.items()}
    missing = [_REQUIRED[field] for field, value in values.items() if not value]
    if missing:
        raise HookError(f"missing azd environment values: {', '.join(missing)} (run azd provision first)")
    endpoint = env.get("AZURE_RESOURCE_MANAGER_ENDPOINT", "").strip() or DEFAULT_ARM_ENDPOINT
    return Target(arm_endpoint=endpoint.rstrip("/"), **values)


def handler_url(app_host: str, key: str) -> str:
    """The extension's webhook URL with its system key."""
    return f"https://{app_host}{WEBHOOK_PATH}?code={quote(key, safe='')}"


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


def system_key(arm: Arm, target: Target, sleep: Callable[[float], None], attempts: int = KEY_ATTEMPTS) -> str:
    """The webpubsub_extension key, waiting (bounded) for the host to create it."""
    for attempt in range(attempts):
        status, body = arm.call("POST", f"{target.site_path}/host/default/listkeys", SITES_API_VERSION)
        if status == 200 and isinstance(body, dict):
            key = (body.get("systemKeys") or {}).get(SYSTEM_KEY_NAME)
            if isinstance(key, str) and key:
                return key
        elif status in (401, 403, 404):
            raise HookError(f"listing the function app's keys failed with HTTP {status}")
        if attempt + 1 < attempts:
            sleep(KEY_WAIT_SECONDS)
    raise HookError(
        f"the function app has no {SYSTEM_KEY_NAME} system key yet: the host has not loaded the "
        "Web PubSub extension (check that the deploy succeeded, then run: azd hooks run postdeploy)"
    )


def ensure_hub(arm: Arm, target: Target, key: str, sleep: Callable[[float], None]) -> str:
    """Create or update the hub if it differs; returns 'created', 'updated' or 'unchanged'."""
    desired = hub_body(handler_url(target.app_host, key))
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
        state = (
            ((body or {}).get("properties") or {}).get("provisioningState")
            if isinstance(body, dict)
            else None
        )
        if state == "Succeeded":
            return "created" if current is None else "updated"
        if state in ("Failed", "Canceled"):
            raise HookError(f"hub {target.hub} provisioning ended {state}")
        sleep(HUB_WAIT_SECONDS)
        status, body = arm.call("GET", target.hub_path, HUB_API_VERSION)
    raise HookError(f"hub {target.hub} did not finish provisioning in time")


def main(
    env: Mapping[str, str] = os.environ,
    send: Send = urllib_send,
    run: Callable[..., Any] = subprocess.run,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run the hook; 0 when the hub points at the app, 1 with a message otherwise."""
    try:
        target = target_from_env(env)
        arm = Arm(target.arm_endpoint, azd_token(target.arm_endpoint, run), send)
        key = system_key(arm, target, sleep)
        outcome = ensure_hub(arm, target, key, sleep)
    except HookError as error:
        print(f"webpubsub hub: {error}", file=sys.stderr)
        return 1
    shown = redact(handler_url(target.app_host, key))
    print(f"webpubsub hub {target.hub}: {outcome} ({shown})")
    print(f"Chat: https://{target.app_host}/api/chat")
    return 0


if __name__ == "__main__":
    sys.exit(main())
