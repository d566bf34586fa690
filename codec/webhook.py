"""The ``webPubSubContext`` value of the HTTP events route, and its state header.

The extension validates the webhook request (abuse-protection preflight,
signature) and hands over ``{"request", "response", "errorMessage",
"hasError", "isPreflight"}``. For a preflight or a failed validation, its
``response`` is the answer to give; otherwise ``request`` is the event.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from codec import strict_json
from codec.events import Event, parse_event

STATE_HEADER = "ce-connectionState"
"""The webhook response header that carries a connection's states."""


class InvalidContext(ValueError):
    """The context is not a JSON object."""


_NOT_AN_OBJECT = "the Web PubSub context is not a JSON object"


@dataclass(frozen=True)
class ContextResponse:
    """The extension's own answer (preflight or failed validation), to return as it is."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


def parse_context(raw: str | bytes | None) -> ContextResponse | Event:
    """The extension's answer, or the event to handle.

    Raises InvalidContext when the value is not a JSON object, and
    InvalidEvent (from ``parse_event``) when its request is malformed.
    """
    if raw is None:
        raise InvalidContext(_NOT_AN_OBJECT)
    try:
        value = strict_json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidContext(_NOT_AN_OBJECT) from None
    if not isinstance(value, dict):
        raise InvalidContext(_NOT_AN_OBJECT)
    if value.get("isPreflight") or value.get("hasError"):
        return _context_response(value.get("response"))
    return parse_event(value.get("request"))


def encode_states(states: Mapping[str, Any]) -> str:
    """The ``ce-connectionState`` value: base64 of the JSON object of states."""
    return base64.b64encode(strict_json.dumps(dict(states)).encode()).decode()


def _context_response(response: object) -> ContextResponse:
    """The context's ``response``; a 400 with no body when it is not a usable one."""
    if not isinstance(response, dict):
        return ContextResponse(400)
    status = response.get("status")
    if type(status) is not int or not 100 <= status <= 599:
        return ContextResponse(400)
    body = response.get("body")
    headers = {}
    raw_headers = response.get("headers")
    if isinstance(raw_headers, dict):
        for name, values in raw_headers.items():
            if isinstance(values, str):
                values = [values]
            if isinstance(values, list) and all(isinstance(v, str) for v in values):
                headers[str(name)] = ", ".join(values)
    return ContextResponse(status, body.encode() if isinstance(body, str) else b"", headers)
