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
    """The event payload is not shaped as the extension sends it."""


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
    request = _folded(raw, "request")
    context = _parse_context(_folded(request.get("connectioncontext"), _CONTEXT))
    if context.event_type is EventType.USER:
        raw_type = request.get("datatype")
        data_type = DataType.TEXT if raw_type is None else DataType.parse(raw_type)
        if data_type is None:
            raise InvalidEvent("dataType must be Text, Json or Binary")
        data = request.get("data")
        if data is None:
            data = ""
        if not isinstance(data, str):
            raise InvalidEvent("data must be a string")
        return UserEvent(context, data, data_type)
    name = context.event_name.lower()
    if name == "connect":
        return ConnectEvent(context, _strings(request.get("subprotocols"), "request.subprotocols"))
    if name == "connected":
        return ConnectedEvent(context)
    if name == "disconnected":
        return DisconnectedEvent(context, _optional_str(request.get("reason"), "request.reason"))
    raise InvalidEvent(f"unknown system event {context.event_name!r}")


_EVENT_TYPES = {t.value: t for t in EventType}
_CONTEXT = "request.connectionContext"


def _parse_context(ctx: dict[str, Any]) -> ConnectionContext:
    raw_type = ctx.get("eventtype")
    event_type = _EVENT_TYPES.get(raw_type.lower()) if isinstance(raw_type, str) else None
    if event_type is None:
        raise InvalidEvent(f"{_CONTEXT}.eventType must be System or User")
    states = ctx.get("states")
    if states is None:
        states = {}
    if not isinstance(states, Mapping):
        raise InvalidEvent(f"{_CONTEXT}.states must be an object")
    return ConnectionContext(
        event_type=event_type,
        event_name=_required_str(ctx.get("eventname"), "eventName"),
        hub=_required_str(ctx.get("hub"), "hub"),
        connection_id=_required_str(ctx.get("connectionid"), "connectionId"),
        user_id=_present(_optional_str(ctx.get("userid"), f"{_CONTEXT}.userId")),
        origin=_optional_str(ctx.get("origin"), f"{_CONTEXT}.origin"),
        # Read-only, without a copy: the payload's object is not used elsewhere.
        states=MappingProxyType(states),
    )


def _present(value: str | None) -> str | None:
    """A user id, or None when it is missing or blank (a blank id names nobody)."""
    return value if value and value.strip() else None


# Small readers over decoded JSON objects. Keys are matched in any case (the
# extension writes camelCase, some versions PascalCase): each object is read
# once into a dict keyed by the lower-cased names.


def _folded(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidEvent(f"{path} must be an object")
    return {str(key).lower(): item for key, item in value.items()}


def _required_str(value: object, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidEvent(f"{_CONTEXT}.{key} must be a non-empty string")
    return value


def _optional_str(value: object, path: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise InvalidEvent(f"{path} must be a string")


def _strings(value: object, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidEvent(f"{path} must be an array of strings")
    return tuple(value)
