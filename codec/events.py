"""Web PubSub events, parsed from what the extension hands the worker.

The trigger's ``request`` value (and the ``request`` part of the HTTP
context) is the Newtonsoft serialization of the extension's event types:
camelCase keys, PascalCase enum values (``System``, ``Json``), header, claim
and query values as arrays. Parsing is case-insensitive on keys and enum
values, ignores unknown keys (and the connect fields the app does not use:
claims, query, headers, client certificates), and turns anything malformed
into ``InvalidEvent``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from codec import strict_json
from codec.datatype import DataType


class InvalidEvent(ValueError):
    """The event payload is not shaped as the contract says."""


class EventType(enum.StrEnum):
    """System events (connect, connected, disconnected) or user events."""

    SYSTEM = "system"
    USER = "user"


@dataclass(frozen=True)
class ConnectionContext:
    """Who sent an event, on which connection, with what recorded state."""

    event_type: EventType
    event_name: str
    hub: str
    connection_id: str
    user_id: str | None = None
    origin: str | None = None
    states: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class ConnectEvent:
    """A client asks to connect, offering these WebSocket subprotocols."""

    context: ConnectionContext
    subprotocols: tuple[str, ...]


@dataclass(frozen=True)
class ConnectedEvent:
    """A connection is established."""

    context: ConnectionContext


@dataclass(frozen=True)
class UserEvent:
    """A client sent an event; ``data`` is its text (a JSON message as JSON text)."""

    context: ConnectionContext
    data: str
    data_type: DataType


@dataclass(frozen=True)
class DisconnectedEvent:
    """A connection closed, for ``reason`` when the service gives one."""

    context: ConnectionContext
    reason: str | None


Event = ConnectEvent | ConnectedEvent | UserEvent | DisconnectedEvent


def parse_event(raw: object) -> Event:
    """Parse a trigger ``request`` value (JSON text or an already-decoded object)."""
    if isinstance(raw, (str, bytes, bytearray)):
        try:
            raw = strict_json.loads(raw)
        except (ValueError, RecursionError):
            raise InvalidEvent("the event is not valid JSON") from None
    request = _object(raw, "request")
    context = _parse_context(_object(_get(request, "connectionContext"), "request.connectionContext"))
    if context.event_type is EventType.USER:
        data_type = DataType.parse(_get(request, "dataType", "Text"))
        if data_type is None:
            raise InvalidEvent("dataType must be Text, Json or Binary")
        data = _get(request, "data")
        if data is None:
            data = ""
        if not isinstance(data, str):
            raise InvalidEvent("data must be a string")
        return UserEvent(context, data, data_type)
    name = context.event_name.lower()
    if name == "connect":
        return ConnectEvent(context, _strings(request, "subprotocols"))
    if name == "connected":
        return ConnectedEvent(context)
    if name == "disconnected":
        return DisconnectedEvent(context, _optional_str(request, "reason", "request"))
    raise InvalidEvent(f"unknown system event {context.event_name!r}")


_EVENT_TYPES = {t.value: t for t in EventType}
_CONTEXT = "request.connectionContext"


def _parse_context(ctx: Mapping[str, Any]) -> ConnectionContext:
    raw_type = _get(ctx, "eventType")
    event_type = _EVENT_TYPES.get(raw_type.lower()) if isinstance(raw_type, str) else None
    if event_type is None:
        raise InvalidEvent(f"{_CONTEXT}.eventType must be System or User")
    states = _get(ctx, "states") or {}
    if not isinstance(states, Mapping):
        raise InvalidEvent(f"{_CONTEXT}.states must be an object")
    return ConnectionContext(
        event_type=event_type,
        event_name=_required_str(ctx, "eventName"),
        hub=_required_str(ctx, "hub"),
        connection_id=_required_str(ctx, "connectionId"),
        user_id=_present(_optional_str(ctx, "userId", _CONTEXT)),
        origin=_optional_str(ctx, "origin", _CONTEXT),
        # A fresh object from the payload, wrapped read-only without a copy.
        states=MappingProxyType(states if isinstance(states, dict) else dict(states)),
    )


def _present(value: str | None) -> str | None:
    """A user id, or None when it is missing or blank (a blank id names nobody)."""
    return value if value and value.strip() else None


# Small readers over decoded JSON objects. Keys are matched exactly first (the
# extension writes camelCase) and case-insensitively only when that misses.


def _object(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidEvent(f"{path} must be an object")
    return value


def _get(obj: Mapping[str, Any], key: str, default: object = None) -> Any:
    if key in obj:
        return obj[key]
    folded = key.lower()
    for name, value in obj.items():
        if str(name).lower() == folded:
            return value
    return default


def _required_str(ctx: Mapping[str, Any], key: str) -> str:
    value = _get(ctx, key)
    if not isinstance(value, str) or not value:
        raise InvalidEvent(f"{_CONTEXT}.{key} must be a non-empty string")
    return value


def _optional_str(obj: Mapping[str, Any], key: str, path: str) -> str | None:
    value = _get(obj, key)
    if value is None or isinstance(value, str):
        return value
    raise InvalidEvent(f"{path}.{key} must be a string")


def _strings(request: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = _get(request, key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidEvent(f"request.{key} must be an array of strings")
    return tuple(value)
