"""Web PubSub events, parsed from what the extension hands the worker.

The trigger's ``request`` value (and the ``request`` part of the HTTP
context) is the Newtonsoft serialization of the extension's event types:
camelCase keys (``Thumbprint`` in certificates is PascalCase), PascalCase
enum values (``System``, ``Json``), header, claim and query values as arrays.
Parsing is case-insensitive on keys and enum values, ignores unknown keys,
and turns anything malformed into ``InvalidEvent``.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from chat.datatype import DataType

Multi = Mapping[str, tuple[str, ...]]


class InvalidEvent(ValueError):
    """The event payload is not shaped as the contract says."""


class EventType(enum.StrEnum):
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
    headers: Multi = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class ConnectEvent:
    context: ConnectionContext
    claims: Multi
    query: Multi
    headers: Multi
    subprotocols: tuple[str, ...]
    client_certificate_thumbprints: tuple[str, ...]


@dataclass(frozen=True)
class ConnectedEvent:
    context: ConnectionContext


@dataclass(frozen=True)
class UserEvent:
    context: ConnectionContext
    data: str
    data_type: DataType


@dataclass(frozen=True)
class DisconnectedEvent:
    context: ConnectionContext
    reason: str | None


Event = ConnectEvent | ConnectedEvent | UserEvent | DisconnectedEvent


def parse_event(raw: object) -> Event:
    """Parse a trigger ``request`` value (JSON text or an already-decoded object)."""
    if isinstance(raw, (str, bytes, bytearray)):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):
            raise InvalidEvent("the event is not valid JSON") from None
    request = _Obj(raw, "request")
    context = _parse_context(request.obj("connectionContext"))
    if context.event_type is EventType.USER:
        data_type = DataType.parse(request.get("dataType", "Text"))
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
        return ConnectEvent(
            context=context,
            claims=request.multi("claims"),
            query=request.multi("query"),
            headers=request.multi("headers"),
            subprotocols=request.strings("subprotocols"),
            client_certificate_thumbprints=tuple(
                t
                for cert in request.objects("clientCertificates")
                if isinstance(t := cert.get("thumbprint"), str)
            ),
        )
    if name == "connected":
        return ConnectedEvent(context)
    if name == "disconnected":
        return DisconnectedEvent(context, request.optional_str("reason"))
    raise InvalidEvent(f"unknown system event {context.event_name!r}")


def _parse_context(ctx: _Obj) -> ConnectionContext:
    raw_type = ctx.get("eventType")
    try:
        event_type = EventType(str(raw_type).lower())
    except ValueError:
        raise InvalidEvent("connectionContext.eventType must be System or User") from None
    states = ctx.get("states") or {}
    if not isinstance(states, Mapping):
        raise InvalidEvent("connectionContext.states must be an object")
    return ConnectionContext(
        event_type=event_type,
        event_name=ctx.required_str("eventName"),
        hub=ctx.required_str("hub"),
        connection_id=ctx.required_str("connectionId"),
        user_id=_present(ctx.optional_str("userId")),
        origin=ctx.optional_str("origin"),
        states=MappingProxyType(dict(states)),
        headers=ctx.multi("headers"),
    )


def _present(value: str | None) -> str | None:
    """A user id, or None when it is missing or blank (a blank id names nobody)."""
    return value if value and value.strip() else None


class _Obj:
    """A JSON object read with case-insensitive keys, naming its path in errors."""

    def __init__(self, value: object, path: str) -> None:
        if not isinstance(value, Mapping):
            raise InvalidEvent(f"{path} must be an object")
        self._path = path
        self._items = {str(k).lower(): v for k, v in value.items()}

    def get(self, key: str, default: object = None) -> Any:
        return self._items.get(key.lower(), default)

    def obj(self, key: str) -> _Obj:
        return _Obj(self.get(key), f"{self._path}.{key}")

    def required_str(self, key: str) -> str:
        value = self.get(key)
        if not isinstance(value, str) or not value:
            raise InvalidEvent(f"{self._path}.{key} must be a non-empty string")
        return value

    def optional_str(self, key: str) -> str | None:
        value = self.get(key)
        if value is None or isinstance(value, str):
            return value
        raise InvalidEvent(f"{self._path}.{key} must be a string")

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidEvent(f"{self._path}.{key} must be an array of strings")
        return tuple(value)

    def objects(self, key: str) -> tuple[_Obj, ...]:
        value = self.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise InvalidEvent(f"{self._path}.{key} must be an array")
        return tuple(_Obj(v, f"{self._path}.{key}[{i}]") for i, v in enumerate(value))

    def multi(self, key: str) -> Multi:
        """A ``{name: [values]}`` map; a lone string value counts as one value."""
        value = self.get(key)
        if value is None:
            return MappingProxyType({})
        if not isinstance(value, Mapping):
            raise InvalidEvent(f"{self._path}.{key} must be an object")
        result: dict[str, tuple[str, ...]] = {}
        for name, values in value.items():
            if isinstance(values, str):
                values = [values]
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise InvalidEvent(f"{self._path}.{key}.{name} must be an array of strings")
            result[str(name)] = tuple(values)
        return MappingProxyType(result)
