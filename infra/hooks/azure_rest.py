"""What every azd hook here shares: its error, the HTTP transport, azd's token.

Only the standard library, so a hook runs on any Python 3.9+ without the
app's environment. Secrets never reach a message: ``redact`` hides every
``code=`` value, and tokens are only ever sent, never printed.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

DEFAULT_ARM_ENDPOINT = "https://management.azure.com"
HTTP_TIMEOUT_SECONDS = 60.0

_CODE = re.compile(r"(code=)[^&\s\"']+")


class HookError(Exception):
    """The hook cannot finish; the message says why and never holds a key."""


def redact(text: str) -> str:
    """Text with every ``code=`` value hidden."""
    return _CODE.sub(r"\1***", text)


# (method, url, headers, body) -> (status, parsed JSON body or None)
Send = Callable[[str, str, Mapping[str, str], "bytes | None"], "tuple[int, Any]"]


def urllib_send(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> tuple[int, Any]:
    """One HTTPS request with the standard library."""
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310 (https only)
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, None


class Arm:
    """Just the Azure Resource Manager calls a hook makes."""

    def __init__(self, endpoint: str, token: str, send: Send) -> None:
        self._endpoint = endpoint
        self._token = token
        self._send = send

    def call(self, method: str, path: str, api_version: str, body: Any = None) -> tuple[int, Any]:
        """One ARM request; returns the status and the JSON body."""
        headers = {"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"}
        data = None if body is None else json.dumps(body).encode()
        url = f"{self._endpoint}{path}?api-version={api_version}"
        return self._send(method, url, headers, data)


def azd_token(resource: str, run: Callable[..., Any] = subprocess.run) -> str:
    """An access token for ``resource`` (ARM's or Graph's endpoint) from azd's own sign-in (no az CLI)."""
    command = [
        "azd",
        "auth",
        "token",
        "--output",
        "json",
        "--no-prompt",
        "--scope",
        f"{resource.rstrip('/')}/.default",
    ]
    result = run(command, capture_output=True, text=True, check=False, timeout=120)
    if result.returncode != 0:
        raise HookError("azd auth token failed: sign in with azd auth login")
    try:
        token = json.loads(result.stdout)["token"]
    except (ValueError, KeyError, TypeError):
        raise HookError("azd auth token gave no token") from None
    if not isinstance(token, str) or not token:
        raise HookError("azd auth token gave no token")
    return token
