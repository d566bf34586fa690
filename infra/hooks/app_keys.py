"""The function app's keys, read from Azure Resource Manager, never printed.

A freshly deployed host creates its keys as it starts: the extension's system
key once it has loaded the Web PubSub extension, a function's key once it has
indexed the function. So each read waits, a bounded number of times.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from azure_rest import Arm, HookError
from hub_target import Target

SYSTEM_KEY_NAME = "webpubsub_extension"
SITES_API_VERSION = "2024-11-01"

# The key usually appears within a minute of a deploy: at most five minutes.
KEY_ATTEMPTS = 30
KEY_WAIT_SECONDS = 10.0


class KeyNotYet(HookError):
    """A key that did not appear within the bounded wait."""


def _await_key(
    arm: Arm,
    path: str,
    pick: Callable[[Any], Any],
    refused: tuple[int, ...],
    what: str,
    sleep: Callable[[float], None],
    attempts: int,
) -> str | None:
    """The key ``pick`` finds in a 200 body; None when it never appears."""
    for attempt in range(attempts):
        status, body = arm.call("POST", path, SITES_API_VERSION)
        if status == 200 and isinstance(body, dict):
            key = pick(body)
            if isinstance(key, str) and key:
                return key
        elif status in refused:
            raise HookError(f"listing {what} failed with HTTP {status}")
        if attempt + 1 < attempts:
            sleep(KEY_WAIT_SECONDS)
    return None


def system_key(arm: Arm, target: Target, sleep: Callable[[float], None], attempts: int = KEY_ATTEMPTS) -> str:
    """The webpubsub_extension key, waiting (bounded) for the host to create it."""
    key = _await_key(
        arm,
        f"{target.site_path}/host/default/listkeys",
        lambda body: (body.get("systemKeys") or {}).get(SYSTEM_KEY_NAME),
        (401, 403, 404),
        "the function app's keys",
        sleep,
        attempts,
    )
    if key is None:
        raise KeyNotYet(
            f"the function app has no {SYSTEM_KEY_NAME} system key yet: the host has not loaded the "
            "Web PubSub extension (check that the deploy succeeded, then run: azd hooks run postdeploy)"
        )
    return key


def _default_key(body: dict[str, Any]) -> Any:
    # ARM documents a StringDictionary ({"properties": {...}}); the service
    # answers with the keys at the top level. Either is accepted.
    return body.get("default") or (body.get("properties") or {}).get("default")


def function_key(
    arm: Arm, target: Target, function: str, sleep: Callable[[float], None], attempts: int = KEY_ATTEMPTS
) -> str:
    """A function's ``default`` key, waiting (bounded) while the host indexes it (404 until then)."""
    key = _await_key(
        arm,
        f"{target.site_path}/functions/{function}/listkeys",
        _default_key,
        (401, 403),
        f"the keys of function {function}",
        sleep,
        attempts,
    )
    if key is None:
        raise KeyNotYet(
            f"function {function} has no default key yet: the host has not indexed it "
            "(check that the deploy succeeded, then run: azd hooks run postdeploy)"
        )
    return key
