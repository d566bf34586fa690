"""The ``json.webpubsub.azure.v1`` frames the stand-in service sends."""

from __future__ import annotations

import base64
import json
from typing import Any

PROTOCOL = "json.webpubsub.azure.v1"


def encode_data(data: bytes | str, data_type: str) -> Any:
    """A message payload as the JSON protocol carries it."""
    if data_type == "binary":
        raw = data if isinstance(data, bytes) else data.encode()
        return base64.b64encode(raw).decode()
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if data_type == "json":
        return json.loads(text)
    return text


def decode_data(frame: dict[str, Any]) -> tuple[bytes, str]:
    """A client frame's payload as bytes with its data type; raises ValueError if malformed."""
    data_type = str(frame.get("dataType", "text")).lower()
    data = frame.get("data")
    if data_type == "json":
        return json.dumps(data).encode(), data_type
    if data_type == "text" and isinstance(data, str):
        return data.encode(), data_type
    if data_type == "binary" and isinstance(data, str):
        return base64.b64decode(data, validate=True), data_type
    raise ValueError(f"data does not fit dataType {data_type!r}")


def server_message(data: bytes | str, data_type: str) -> dict[str, Any]:
    return {"type": "message", "from": "server", "dataType": data_type, "data": encode_data(data, data_type)}


def group_message(group: str, from_user: str | None, data: bytes | str, data_type: str) -> dict[str, Any]:
    frame = {"type": "message", "from": "group", "group": group, "dataType": data_type}
    if from_user:
        frame["fromUserId"] = from_user
    frame["data"] = encode_data(data, data_type)
    return frame


def connected(connection_id: str, user_id: str | None) -> dict[str, Any]:
    return {"type": "system", "event": "connected", "userId": user_id, "connectionId": connection_id}


def disconnected(message: str) -> dict[str, Any]:
    return {"type": "system", "event": "disconnected", "message": message}


def ack(ack_id: int, error: str | None = None, message: str = "") -> dict[str, Any]:
    if error is None:
        return {"type": "ack", "ackId": ack_id, "success": True}
    return {"type": "ack", "ackId": ack_id, "success": False, "error": {"name": error, "message": message}}
