"""What every azd hook here shares: its error, the HTTP transport, azd's token.

Only the standard library, so a hook runs on any Python 3.9+ without the
app's environment. Secrets never reach a message: ``redact`` hides every
``code=`` value, and tokens are only ever sent, never printed.
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_ARM_ENDPOINT = "https://management.azure.com"
HTTP_TIMEOUT_SECONDS = 60.0

_CODE = re.compile(r"(code=)[^&\s\"']+")


class HookError(Exception):
    """The hook cannot finish; the message says why and never holds a key."""


def redact(text: str) -> str:
    """Text with every ``code=`` value hidden."""
    return _CODE.sub(r"\1***", text)


@dataclass(frozen=True)
class Reply:
    """One HTTP answer: its status, its headers (names lower-cased) and its raw body."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str:
        """A header's value ('' when absent); repeated headers come joined with ', '."""
        return self.headers.get(name.lower(), "")

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is empty or not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


# (method, url, headers, body) -> (status, parsed JSON body or None)
Send = Callable[[str, str, Mapping[str, str], "bytes | None"], "tuple[int, Any]"]
# (method, url, headers, body) -> the whole answer, headers included
Exchange = Callable[[str, str, Mapping[str, str], "bytes | None"], Reply]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect is an answer to judge (Easy Auth's 302 to sign-in), not a
    # hop to take; ARM and Graph answer these calls without redirects.
    def redirect_request(self, *_: Any, **__: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _headers(message: Any) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in message.items() if message is not None else ():
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined


def urllib_exchange(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    timeout: float = HTTP_TIMEOUT_SECONDS,
) -> Reply:
    """One request with the standard library; redirects are returned, not followed.

    Any HTTP status is an answer; no answer at all (refused, unreachable,
    timed out) raises HookError naming the host, never the query.
    """
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return Reply(response.status, _headers(response.headers), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, _headers(error.headers), error.read())
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        reason = getattr(error, "reason", None) or error
        host = urllib.parse.urlsplit(url).netloc
        raise HookError(redact(f"{method} {host}: no answer ({reason})")) from None


def urllib_send(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> tuple[int, Any]:
    """One request; returns the status and the JSON body (None when empty or not JSON)."""
    reply = urllib_exchange(method, url, headers, body)
    return reply.status, reply.json()


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
