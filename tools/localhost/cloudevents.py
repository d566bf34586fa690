"""Web PubSub events as CloudEvents over HTTP, read as the extension reads them.

The wire's primitives (signature, states header, content types) are the local
service's own (``tools.webpubsub.events``), which builds these events."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from typing import Any

from tools.webpubsub.events import CONTENT_TYPES, decode_states, encode_states, signature

__all__ = ["CONTENT_TYPES", "BadEvent", "encode_states", "read_event", "signature_valid"]


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
