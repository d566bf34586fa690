"""The frames of the JSON client protocols (``json.webpubsub.azure.v1`` and its reliable form).

Client frames are parsed into ``Request`` values; a frame that does not match
the protocol's format raises ``BadFrame`` (the service then declines the
client, as the protocol's reference says). Service frames are built here.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from tools.webpubsub import strict_json
from tools.webpubsub.state import DataType, Message

JSON = "json.webpubsub.azure.v1"
RELIABLE = "json.reliable.webpubsub.azure.v1"
# Built-in protocols, in no particular order: the client's order decides.
BUILT_IN = (JSON, RELIABLE)
MAX_ACK_ID = 2**31 - 1


class BadFrame(ValueError):
    """A client frame that does not match the protocol."""


@dataclass(frozen=True)
class Request:
    """One client frame."""

    type: str
    ack_id: int | None = None
    group: str | None = None
    event: str | None = None
    data: bytes = b""
    data_type: DataType = "json"
    no_echo: bool = False
    sequence_id: int | None = None


def parse(raw: str | bytes) -> Request:
    """A client frame; raises BadFrame."""
    try:
        frame = strict_json.loads(raw)
    except ValueError as err:
        raise BadFrame(f"the frame is not strict JSON: {err}") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise BadFrame("the frame is not a JSON object with a type")
    kind = frame["type"]
    if kind == "ping":
        return Request("ping")
    if kind == "sequenceAck":
        seq = frame.get("sequenceId")
        if not _uint(seq):
            raise BadFrame("sequenceAck needs a sequenceId")
        return Request("sequenceAck", sequence_id=seq)
    ack_id = frame.get("ackId")
    if ack_id is not None and not (_uint(ack_id) and ack_id <= MAX_ACK_ID):
        raise BadFrame("ackId must be a non-negative 32-bit integer")
    if kind in ("joinGroup", "leaveGroup"):
        return Request(kind, ack_id, group=_group(frame))
    if kind == "sendToGroup":
        data, data_type = _data(frame)
        no_echo = frame.get("noEcho", False)
        if not isinstance(no_echo, bool):
            raise BadFrame("noEcho must be true or false")
        return Request(kind, ack_id, group=_group(frame), data=data, data_type=data_type, no_echo=no_echo)
    if kind == "event":
        name = frame.get("event")
        if not isinstance(name, str) or not name:
            raise BadFrame("event needs an event name")
        data, data_type = _data(frame)
        return Request(kind, ack_id, event=name, data=data, data_type=data_type)
    raise BadFrame(f"unknown frame type {kind[:64]!r}")


def _uint(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _group(frame: dict[str, Any]) -> str:
    group = frame.get("group")
    if not isinstance(group, str) or not 0 < len(group) <= 1024:
        raise BadFrame("group must be a name of 1 to 1024 characters")
    return group


def _data(frame: dict[str, Any]) -> tuple[bytes, DataType]:
    """The payload as bytes; ``dataType`` defaults to json, as the protocol says."""
    data_type = frame.get("dataType", "json")
    data = frame.get("data")
    if data_type == "json":
        if "data" not in frame:
            raise BadFrame("data is required")
        try:
            return strict_json.dumps(data).encode(), "json"
        except ValueError:
            # Read at the parser's depth limit, one level too deep to write back.
            raise BadFrame("data is nested too deeply") from None
    if data_type == "text" and isinstance(data, str):
        return data.encode(), "text"
    if data_type == "binary" and isinstance(data, str):
        try:
            return base64.b64decode(data, validate=True), "binary"
        except (binascii.Error, ValueError):
            raise BadFrame("binary data must be base64") from None
    raise BadFrame(f"data does not fit dataType {str(data_type)[:16]!r}")


def _payload(message: Message) -> object:
    if message.data_type == "binary":
        return base64.b64encode(message.data).decode()
    text = message.data.decode("utf-8", "replace")
    if message.data_type == "json":
        try:
            return strict_json.loads(text)
        except ValueError:
            # Data sent as JSON that is not strict JSON (a handler's reply) reaches the client as text.
            return text
    return text


def message_text(msg: Message, sequence_id: int | None = None) -> str:
    """A ``message`` frame as text; JSON data too deep to write back goes as text."""
    try:
        return dumps(message(msg, sequence_id))
    except ValueError:
        as_text = Message(msg.data, "text", msg.group, msg.from_user_id)
        return dumps(message(as_text, sequence_id))


def message(msg: Message, sequence_id: int | None = None) -> dict[str, Any]:
    """A ``message`` frame (``from: group`` or ``from: server``)."""
    frame: dict[str, Any] = {"type": "message"}
    if sequence_id is not None:
        frame["sequenceId"] = sequence_id
    if msg.group is not None:
        frame.update({"from": "group", "group": msg.group})
        if msg.from_user_id:
            frame["fromUserId"] = msg.from_user_id
    else:
        frame["from"] = "server"
    frame.update({"dataType": msg.data_type, "data": _payload(msg)})
    return frame


def connected(connection_id: str, user_id: str | None, reconnection_token: str | None) -> dict[str, Any]:
    """The ``system``/``connected`` frame; the reliable protocol's carries a reconnection token."""
    frame: dict[str, Any] = {
        "type": "system",
        "event": "connected",
        "userId": user_id,
        "connectionId": connection_id,
    }
    if reconnection_token is not None:
        frame["reconnectionToken"] = reconnection_token
    return frame


def disconnected(reason: str) -> dict[str, Any]:
    """The ``system``/``disconnected`` frame sent before the service closes a connection."""
    return {"type": "system", "event": "disconnected", "message": reason}


def ack(ack_id: int, error: str | None = None, message: str = "") -> dict[str, Any]:
    """An ``ack`` frame: success, or the error's name and message."""
    if error is None:
        return {"type": "ack", "ackId": ack_id, "success": True}
    return {"type": "ack", "ackId": ack_id, "success": False, "error": {"name": error, "message": message}}


PONG: dict[str, Any] = {"type": "pong"}


def dumps(frame: dict[str, Any]) -> str:
    """A frame as compact, strict JSON text."""
    return strict_json.dumps(frame)
