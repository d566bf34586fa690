"""Fake binding payloads, shaped exactly as the host's extension sends them.

Newtonsoft serialization of the extension's types: camelCase keys (but
``Thumbprint`` in certificates), PascalCase enum values, header, claim and
query values as arrays, states as raw JSON values.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

NOW = datetime(2026, 11, 27, 12, 30, 15, 250000, tzinfo=timezone.utc)
NOW_ISO = "2026-11-27T12:30:15.250Z"
EVENT_ID = "9f5c3a6e-1b2d-4e8f-a7c0-5d4e3f2a1b0c"
"""The events' CloudEvents ``ce-id`` (their ``ce-time`` is NOW)."""
SUBPROTOCOL = "json.webpubsub.azure.v1"


def context(
    event_type: str = "System",
    event_name: str = "connect",
    *,
    user_id: str | None = "alice",
    connection_id: str = "AbCdEfGh123-conn",
    hub: str = "chat",
    states: dict[str, Any] | None = None,
    event_id: str | None = EVENT_ID,
    event_time: str | None = NOW_ISO,
) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "eventType": event_type,
        "eventName": event_name,
        "hub": hub,
        "connectionId": connection_id,
        "signature": "sha256=7767effcb3946f3e1de039df4b986ef02c110b1469d02c0a06f41b3b727ab561",
        "origin": "myresource.webpubsub.azure.com",
        "states": states if states is not None else {},
        "headers": {
            "Host": ["localhost:7071"],
            "ce-specversion": ["1.0"],
            "ce-connectionId": [connection_id],
        },
    }
    if event_id is not None:
        ctx["headers"]["ce-id"] = [event_id]
    if event_time is not None:
        ctx["headers"]["ce-time"] = [event_time]
    if user_id is not None:
        ctx["userId"] = user_id
    return ctx


def connect(
    *, user_id: str | None = "alice", subprotocols: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "connectionContext": context("System", "connect", user_id=user_id),
        "claims": {"sub": [user_id] if user_id else [], "role": ["reader", "writer"]},
        "query": {"access_token": ["eyJ.redacted.jwt"]},
        "headers": {"Sec-WebSocket-Protocol": [", ".join(subprotocols or [])]},
        "subprotocols": subprotocols if subprotocols is not None else [SUBPROTOCOL],
        "clientCertificates": [{"Thumbprint": "ABCDEF0123", "content": "MIIB..."}],
        **extra,
    }


def connected(*, rooms: list[str] | None = None, user_id: str | None = "alice") -> dict[str, Any]:
    states = {"rooms": rooms} if rooms is not None else {}
    return {"connectionContext": context("System", "connected", user_id=user_id, states=states)}


def disconnected(*, rooms: list[str] | None = None, reason: str | None = "client closed") -> dict[str, Any]:
    states = {"rooms": rooms} if rooms is not None else {}
    payload: dict[str, Any] = {"connectionContext": context("System", "disconnected", states=states)}
    if reason is not None:
        payload["reason"] = reason
    return payload


def user_event(
    name: str,
    data: Any,
    *,
    data_type: str = "Json",
    rooms: list[str] | None = None,
    user_id: str | None = "alice",
    states: dict[str, Any] | None = None,
    **more: Any,
) -> dict[str, Any]:
    """A user event; a non-string ``data`` is JSON-encoded as the service sends it.

    ``states`` are added to the rooms; ``more`` are other ``context`` fields
    (``connection_id``, ``event_id``, ``event_time``).
    """
    states = {"rooms": rooms if rooms is not None else ["lobby"], **(states or {})}
    return {
        "connectionContext": context("User", name, user_id=user_id, states=states, **more),
        "data": data if isinstance(data, str) else json.dumps(data),
        "dataType": data_type,
    }


def as_request(payload: dict[str, Any]) -> str:
    """The trigger's ``request`` value as the worker receives it: a JSON string."""
    return json.dumps(payload)


def web_context(request: dict[str, Any] | None = None, **overrides: Any) -> str:
    """A ``webPubSubContext`` value for a valid, non-preflight request."""
    ctx: dict[str, Any] = {
        "request": request,
        "response": {"status": 200, "body": None, "headers": {}},
        "errorMessage": None,
        "hasError": False,
        "isPreflight": False,
    }
    ctx.update(overrides)
    return json.dumps(ctx)


class FakeOut:
    """A recording stand-in for ``func.Out[str]``."""

    def __init__(self) -> None:
        self.values: list[str] = []

    def set(self, value: str) -> None:
        self.values.append(value)

    def get(self) -> str | None:
        return self.values[-1] if self.values else None

    def actions(self) -> list[dict[str, Any]]:
        """The actions set, decoded (empty when nothing was set)."""
        assert len(self.values) <= 1, "the output binding must be set at most once"
        return json.loads(self.values[0]) if self.values else []
