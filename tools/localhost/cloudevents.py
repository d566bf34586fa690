"""Web PubSub events as CloudEvents over HTTP: build them (the service side)
and read them back (the extension side)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

CONTENT_TYPES = {"text": "text/plain", "json": "application/json", "binary": "application/octet-stream"}


def signature(key: str, connection_id: str) -> str:
    return "sha256=" + hmac.new(key.encode(), connection_id.encode(), hashlib.sha256).hexdigest()


def encode_states(states: Mapping[str, Any]) -> str:
    return base64.b64encode(json.dumps(dict(states)).encode()).decode()


def decode_states(value: str) -> dict[str, Any]:
    """States from a ``ce-connectionState`` header; raises ValueError if malformed."""
    if not value:
        return {}
    states = json.loads(base64.b64decode(value, validate=True))
    if not isinstance(states, dict):
        raise ValueError("connection state must be a JSON object")
    return states


@dataclass(frozen=True)
class EventContext:
    """One connection's side of an event."""

    hub: str
    connection_id: str
    user_id: str | None
    states: Mapping[str, Any] = field(default_factory=dict)


def event_headers(
    key: str,
    origin: str,
    ctx: EventContext,
    event_type: str,
    event_name: str,
    content_type: str,
) -> dict[str, str]:
    """The headers the service sends its event handler for one event."""
    prefix = "azure.webpubsub.sys." if event_type == "system" else "azure.webpubsub.user."
    headers = {
        "Content-Type": content_type,
        "WebHook-Request-Origin": origin,
        "ce-specversion": "1.0",
        "ce-type": prefix + event_name,
        "ce-source": f"/hubs/{ctx.hub}/client/{ctx.connection_id}",
        "ce-id": uuid.uuid4().hex,
        "ce-time": datetime.now(UTC).isoformat(),
        "ce-awpsversion": "1.0",
        "ce-hub": ctx.hub,
        "ce-connectionId": ctx.connection_id,
        "ce-eventName": event_name,
        "ce-signature": signature(key, ctx.connection_id),
    }
    if ctx.user_id:
        headers["ce-userId"] = ctx.user_id
    if ctx.states:
        headers["ce-connectionState"] = encode_states(ctx.states)
    return headers


class BadEvent(ValueError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def read_event(headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """The extension's event request object (the trigger's ``request``) from an HTTP event.

    ``headers`` must be case-insensitive (aiohttp's are). Raises BadEvent.
    """
    try:
        ce_type = headers["ce-type"]
        connection_id = headers["ce-connectionId"]
        hub = headers["ce-hub"]
        event_name = headers["ce-eventName"]
    except KeyError as missing:
        raise BadEvent(400, f"missing header {missing}") from None
    try:
        states = decode_states(headers.get("ce-connectionState", ""))
    except ValueError:
        raise BadEvent(400, "ce-connectionState is not base64 of a JSON object") from None
    is_system = ce_type.lower().startswith("azure.webpubsub.sys.")
    context = {
        "eventType": "System" if is_system else "User",
        "eventName": event_name,
        "hub": hub,
        "connectionId": connection_id,
        "userId": headers.get("ce-userId"),
        "signature": headers.get("ce-signature"),
        "origin": headers.get("WebHook-Request-Origin"),
        "states": states,
        "headers": {name: [value] for name, value in headers.items()},
    }
    if not is_system:
        media = headers.get("Content-Type", "").split(";")[0].strip().lower()
        data_type = next((k for k, v in CONTENT_TYPES.items() if v == media), None)
        if data_type is None:
            raise BadEvent(400, f"Not supported content type: {media}")
        # The extension hands binary data over decoded as UTF-8 too (lossily).
        data = body.decode("utf-8", "replace")
        return {"connectionContext": context, "data": data, "dataType": data_type.title()}
    try:
        payload = json.loads(body) if body else {}
    except ValueError:
        raise BadEvent(400, "the event body is not JSON") from None
    if not isinstance(payload, dict):
        raise BadEvent(400, "the event body is not a JSON object")
    name = event_name.lower()
    if name == "connect":
        keys = ("claims", "query", "headers", "subprotocols", "clientCertificates")
        return {"connectionContext": context, **{k: payload.get(k) for k in keys}}
    if name == "disconnected":
        return {"connectionContext": context, "reason": payload.get("reason")}
    return {"connectionContext": context}


def signature_valid(key: str | None, headers: Mapping[str, str]) -> bool:
    """The extension's check: any listed signature matches, or no key to check with."""
    if not key:
        return True
    expected = signature(key, headers.get("ce-connectionId", ""))
    given = [s.strip() for s in headers.get("ce-signature", "").split(",")]
    return any(hmac.compare_digest(expected, s) for s in given)
