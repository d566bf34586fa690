"""Web PubSub events, parsed from what the extension hands the worker.

The trigger's ``request`` value (and the ``request`` part of the HTTP
context) is the Newtonsoft serialization of the extension's event types:
camelCase keys, PascalCase enum values (``System``, ``Json``), header, claim
and query values as arrays. Parsing is case-insensitive on keys and enum
values, ignores unknown keys (and the connect fields the app does not use:
claims, query, headers, client certificates), and turns anything malformed
into ``InvalidEvent``.

The wire structures below (``WireRequest``, ``WireContext``) declare that
payload exactly as the extension writes it, and msgspec decodes a binding
string straight into them, checking types as it parses: the common case
costs about one JSON parse. Anything they do not take (other key casings,
enum values in another case, unknown fields, a malformed field) goes the
case-insensitive way below, which gives the same event or names the
problem.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import msgspec

from codec import strict_json
from codec.datatype import DataType


class InvalidEvent(ValueError):
    """The event payload is not shaped as the extension sends it."""


class EventType(enum.StrEnum):
    """System events (connect, connected, disconnected) or user events."""

    SYSTEM = "system"
    USER = "user"


class ConnectionContext(msgspec.Struct, frozen=True):
    """Who sent an event, on which connection, with what recorded state."""

    event_type: EventType
    event_name: str
    hub: str
    connection_id: str
    user_id: str | None = None
    origin: str | None = None
    states: Mapping[str, Any] = msgspec.field(default_factory=dict)
    # The CloudEvents ``ce-id`` and ``ce-time`` headers, as the service sent
    # them: a retried event carries the same two (chat history's message ids).
    event_id: str | None = None
    event_time: str | None = None


class ConnectEvent(msgspec.Struct, frozen=True):
    """A client asks to connect, offering these WebSocket subprotocols."""

    context: ConnectionContext
    subprotocols: tuple[str, ...]


class ConnectedEvent(msgspec.Struct, frozen=True):
    """A connection is established."""

    context: ConnectionContext


class UserEvent(msgspec.Struct, frozen=True):
    """A client sent an event; ``data`` is its text (a JSON message as JSON text)."""

    context: ConnectionContext
    data: str
    data_type: DataType


class DisconnectedEvent(msgspec.Struct, frozen=True):
    """A connection closed, for ``reason`` when the service gives one."""

    context: ConnectionContext
    reason: str | None


Event = ConnectEvent | ConnectedEvent | UserEvent | DisconnectedEvent


NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
Values = dict[str, list[str]]


class WireContext(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """``connectionContext`` exactly as the extension writes it (Newtonsoft, camelCase)."""

    event_type: Literal["System", "User"]
    event_name: NonEmpty
    hub: NonEmpty
    connection_id: NonEmpty
    user_id: str | None = None
    signature: str | None = None
    origin: str | None = None
    states: dict[str, Any] | None = None
    headers: Values | None = None


class WireRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """A trigger's ``request`` exactly as the extension writes it, for any event.

    ``claims``, ``query``, ``headers`` and ``clientCertificates`` are
    declared so that a payload carrying them is still the exact form; the
    app does not read them.
    """

    connection_context: WireContext
    data: str | None = None
    data_type: Literal["Text", "Json", "Binary"] | None = None
    subprotocols: list[str] | None = None
    reason: str | None = None
    claims: Values | None = None
    query: Values | None = None
    headers: Values | None = None
    client_certificates: list[dict[str, Any]] | None = None


_WIRE = msgspec.json.Decoder(WireRequest).decode
_WIRE_TYPES = {"System": EventType.SYSTEM, "User": EventType.USER}
_WIRE_DATA_TYPES = {"Text": DataType.TEXT, "Json": DataType.JSON, "Binary": DataType.BINARY}


def decode_exact(raw: str | bytes | bytearray) -> Event | None:
    """The event when ``raw`` is in the extension's exact form, else None.

    None means only "not this form": ``parse_event`` then reads it the
    case-insensitive way, which accepts it or says what is wrong.
    """
    try:
        wire = _WIRE(raw)
    except (ValueError, RecursionError):  # msgspec's errors are ValueErrors
        return None
    ctx = wire.connection_context
    context = ConnectionContext(
        event_type=_WIRE_TYPES[ctx.event_type],
        event_name=ctx.event_name,
        hub=ctx.hub,
        connection_id=ctx.connection_id,
        user_id=_present(ctx.user_id),
        origin=ctx.origin,
        states={} if ctx.states is None else ctx.states,
        event_id=_header(ctx.headers, "ce-id"),
        event_time=_header(ctx.headers, "ce-time"),
    )
    if context.event_type is EventType.USER:
        data_type = DataType.TEXT if wire.data_type is None else _WIRE_DATA_TYPES[wire.data_type]
        return UserEvent(context, "" if wire.data is None else wire.data, data_type)
    name = ctx.event_name.lower()
    if name == "connect":
        return ConnectEvent(context, () if wire.subprotocols is None else tuple(wire.subprotocols))
    if name == "connected":
        return ConnectedEvent(context)
    if name == "disconnected":
        return DisconnectedEvent(context, wire.reason)
    return None


def parse_event(raw: object) -> Event:
    """Parse a trigger ``request`` value (JSON text or an already-decoded object)."""
    if isinstance(raw, (str, bytes, bytearray)):
        # The fallback gives the same event, so only the time tells the two apart.
        event = decode_exact(raw)  # pragma: no mutate
        if event is not None:
            return event
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
        # Without a copy: the payload's object is not used elsewhere.
        states=states,
        event_id=_header(ctx.get("headers"), "ce-id"),
        event_time=_header(ctx.get("headers"), "ce-time"),
    )


def _header(headers: object, name: str) -> str | None:
    """The first value of header ``name`` (lower case) in the context's headers, any case; else None.

    The extension hands the request's headers over as ``{name: [values]}``
    with the names as sent; the service writes ``ce-id`` and ``ce-time``
    in lower case (https://learn.microsoft.com/azure/azure-web-pubsub/reference-cloud-events),
    so the exact name is tried first.
    """
    if not isinstance(headers, Mapping):
        return None
    values = headers.get(name)
    if values is None:
        values = next((v for k, v in headers.items() if isinstance(k, str) and k.lower() == name), None)
    if isinstance(values, list) and values and isinstance(values[0], str):
        return values[0]
    return values if isinstance(values, str) else None


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
