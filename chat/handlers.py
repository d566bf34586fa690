"""The chat's event handlers: one decision per Web PubSub event.

Clients connect with a user id (from negotiate), land in the default room,
and send three user events: ``message`` (post to a joined room), ``join`` and
``leave``. Every handler returns an ``EventOutcome``: the reply for the
service and the output actions to send. A refused event sends no action.

A user's mistake (a room not joined, a text too long) is answered with a
refusal the sender can read (``chat.refusals``). Only a connect without a
user and an event the service itself sent malformed are rejected with an
error reply.

Handlers tolerate a repeated event (the service retries): joining a room
twice or leaving a room not joined changes nothing and sends nothing.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import msgspec

from chat.refusals import Refusal, refusal_reply
from chat.rooms import ROOM_RULE, is_room_name, rooms_from_states, rooms_state
from chat.settings import MAX_ROOMS_PER_CONNECTION, Settings
from codec import strict_json
from codec.actions import (
    Action,
    AddConnectionToGroup,
    RemoveConnectionFromGroup,
    SendToGroup,
    json_message,
)
from codec.datatype import DataType
from codec.events import (
    ConnectedEvent,
    ConnectEvent,
    ConnectionContext,
    DisconnectedEvent,
    Event,
    InvalidEvent,
    UserEvent,
    parse_event,
)
from codec.replies import ConnectReply, ErrorCode, ErrorReply, ServiceReply, UserEventReply

SUBPROTOCOLS = ("json.reliable.webpubsub.azure.v1", "json.webpubsub.azure.v1")
"""The subprotocols the app accepts, the preferred first."""
USER_EVENTS = ("message", "join", "leave")
MAX_ID_LENGTH = 64
"""The longest string ``id`` a client may attach to an event to match its reply."""
MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer ``id`` (JavaScript's exact integers)."""


class EventOutcome(msgspec.Struct, frozen=True):
    """A handler's answer: the reply (None for none) and the actions to send."""

    reply: ServiceReply | None = None
    actions: tuple[Action, ...] = ()


def handle_request(request: object, settings: Settings, now: datetime) -> EventOutcome:
    """Parse a trigger's ``request`` value and handle it; a malformed one is a userError."""
    try:
        event = parse_event(request)
    except InvalidEvent as err:
        return EventOutcome(ErrorReply(ErrorCode.USER_ERROR, str(err)))
    return handle_event(event, settings, now)


def handle_event(event: Event, settings: Settings, now: datetime) -> EventOutcome:
    """Dispatch any parsed event to its handler."""
    match event:
        case ConnectEvent():
            return on_connect(event, settings)
        case ConnectedEvent():
            return on_connected(event, settings, now)
        case DisconnectedEvent():
            return on_disconnected(event, now)
        case UserEvent():
            return on_user_event(event, settings, now)


def on_connect(event: ConnectEvent, settings: Settings) -> EventOutcome:
    """Accept a user (or, when allowed, a guest) into the default room."""
    user_id = event.context.user_id
    if user_id is None:
        if not settings.allow_anonymous:
            return EventOutcome(
                ErrorReply(ErrorCode.UNAUTHORIZED, "sign in first: the connection has no user id")
            )
        user_id = guest_id(event.context.connection_id)
    room = settings.default_room
    return EventOutcome(
        ConnectReply(
            user_id=user_id,
            groups=(room,),
            subprotocol=choose_subprotocol(event.subprotocols),
            states=rooms_state((room,)),
        )
    )


def choose_subprotocol(offered: tuple[str, ...]) -> str | None:
    """The reliable JSON subprotocol when offered, else the plain one, else none."""
    for subprotocol in SUBPROTOCOLS:
        if subprotocol in offered:
            return subprotocol
    return None


def on_connected(event: ConnectedEvent, settings: Settings, now: datetime) -> EventOutcome:
    """Announce the newcomer in the rooms it was put in at connect."""
    rooms = rooms_from_states(event.context.states) or (settings.default_room,)
    return EventOutcome(actions=tuple(_presence(event.context, room, "joined", now) for room in rooms))


def on_disconnected(event: DisconnectedEvent, now: datetime) -> EventOutcome:
    """Announce the departure in every room the connection had joined."""
    rooms = rooms_from_states(event.context.states)
    return EventOutcome(actions=tuple(_presence(event.context, room, "left", now) for room in rooms))


def on_user_event(event: UserEvent, settings: Settings, now: datetime) -> EventOutcome:
    """Handle ``message``, ``join`` and ``leave``; refuse anything else, saying why."""
    name = event.context.event_name
    if name.lower() not in USER_EVENTS:
        return _refuse(name, Refusal.UNKNOWN_EVENT, f"unknown event: send one of {', '.join(USER_EVENTS)}")
    name = name.lower()
    if event.data_type is DataType.BINARY:
        return _refuse(name, Refusal.UNSUPPORTED_DATA_TYPE, "binary data is not supported: send text or JSON")
    payload = _payload(event)
    if isinstance(payload, EventOutcome):
        return payload
    correlation = _correlation(payload)
    if correlation is None:
        return _refuse(
            name,
            Refusal.INVALID_ID,
            f"id must be a string of 1 to {MAX_ID_LENGTH} characters or a whole number",
        )
    request = _Request(name, event.context, payload, correlation)
    if name == "message":
        return _post(request, settings, now)
    room = payload.get("room")
    if not is_room_name(room):
        return request.refuse(Refusal.INVALID_ROOM, _ROOM_RULE)
    if name == "join":
        return _join(request, room, now)
    return _leave(request, room, now)


def guest_id(connection_id: str) -> str:
    """A stable user id for an anonymous connection (the same on a retried connect)."""
    return "guest-" + connection_id[:8]


_ROOM_RULE = f"room must be {ROOM_RULE}"


class _Request(msgspec.Struct, frozen=True):
    """A user event whose data was read: who sent what, and the id to echo."""

    name: str
    ctx: ConnectionContext
    payload: dict[str, Any]
    correlation: dict[str, Any]

    def refuse(self, code: Refusal, message: str) -> EventOutcome:
        return EventOutcome(refusal_reply(self.name, code, message, self.correlation))

    def ack(self, body: dict[str, Any], rooms: tuple[str, ...] | None = None) -> UserEventReply:
        states = rooms_state(rooms) if rooms is not None else {}
        data = json_message({"type": "ack", "event": self.name, **body, **self.correlation})
        return UserEventReply(data=data, data_type=DataType.JSON, states=states)


def _refuse(name: str, code: Refusal, message: str) -> EventOutcome:
    return EventOutcome(refusal_reply(name, code, message, {}))


def _payload(event: UserEvent) -> dict[str, Any] | EventOutcome:
    """The event's fields: a JSON object, or plain text read as the main field.

    Plain text is the message text for ``message`` and the room for
    ``join``/``leave``.
    """
    name = event.context.event_name.lower()
    if event.data_type is DataType.TEXT:
        return {"text" if name == "message" else "room": event.data}
    try:
        value = strict_json.loads(event.data)
    except (ValueError, RecursionError):
        return _refuse(name, Refusal.INVALID_DATA, "data is not valid JSON")
    if not isinstance(value, dict):
        return _refuse(name, Refusal.INVALID_DATA, "data must be a JSON object")
    return value


def _correlation(payload: dict[str, Any]) -> dict[str, Any] | None:
    """``{"id": ...}`` to echo in the reply, ``{}`` without an id, None for a bad one."""
    if "id" not in payload:
        return {}
    value = payload["id"]
    if type(value) is str and 1 <= len(value) <= MAX_ID_LENGTH:
        return {"id": value}
    if type(value) is int and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return {"id": value}
    return None


def _post(request: _Request, settings: Settings, now: datetime) -> EventOutcome:
    ctx, payload = request.ctx, request.payload
    room = payload.get("room", settings.default_room)
    if not is_room_name(room):
        return request.refuse(Refusal.INVALID_ROOM, _ROOM_RULE)
    if room not in rooms_from_states(ctx.states):
        return request.refuse(Refusal.NOT_JOINED, f"join room {room!r} before posting to it")
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        return request.refuse(Refusal.INVALID_TEXT, "text must be a non-empty string")
    if len(text) > settings.max_message_length:
        return request.refuse(
            Refusal.TEXT_TOO_LONG, f"text is longer than {settings.max_message_length} characters"
        )
    at = _timestamp(now)
    message = {"type": "message", "from": _user(ctx), "room": room, "text": text, "at": at}
    return EventOutcome(
        request.ack({"room": room, "at": at}),
        (SendToGroup(group=room, data=json_message(message), data_type=DataType.JSON),),
    )


def _join(request: _Request, room: str, now: datetime) -> EventOutcome:
    rooms = rooms_from_states(request.ctx.states)
    if room in rooms:
        return EventOutcome(request.ack({"room": room, "rooms": list(rooms)}))
    if len(rooms) >= MAX_ROOMS_PER_CONNECTION:
        return request.refuse(
            Refusal.TOO_MANY_ROOMS,
            f"a connection can be in at most {MAX_ROOMS_PER_CONNECTION} rooms: leave one first",
        )
    rooms = (*rooms, room)
    return EventOutcome(
        request.ack({"room": room, "rooms": list(rooms)}, rooms),
        (
            AddConnectionToGroup(connection_id=request.ctx.connection_id, group=room),
            _presence(request.ctx, room, "joined", now),
        ),
    )


def _leave(request: _Request, room: str, now: datetime) -> EventOutcome:
    rooms = rooms_from_states(request.ctx.states)
    if room not in rooms:
        return EventOutcome(request.ack({"room": room, "rooms": list(rooms)}))
    rooms = tuple(r for r in rooms if r != room)
    return EventOutcome(
        request.ack({"room": room, "rooms": list(rooms)}, rooms),
        (
            RemoveConnectionFromGroup(connection_id=request.ctx.connection_id, group=room),
            _presence(request.ctx, room, "left", now),
        ),
    )


def _presence(ctx: ConnectionContext, room: str, what: str, now: datetime) -> SendToGroup:
    message = {"type": "presence", "user": _user(ctx), "event": what, "room": room, "at": _timestamp(now)}
    return SendToGroup(group=room, data=json_message(message), data_type=DataType.JSON)


def _user(ctx: ConnectionContext) -> str:
    return ctx.user_id or guest_id(ctx.connection_id)


def _timestamp(now: datetime) -> str:
    """ISO 8601 in UTC with millisecond precision and a ``Z`` suffix."""
    # A UTC clock needs no conversion (converting would give the same time).
    t = now if now.tzinfo is timezone.utc else now.astimezone(timezone.utc)  # pragma: no mutate
    # One %-format, microseconds cut to milliseconds: several times faster
    # than isoformat(), strftime or an f-string here.
    text = "%04d-%02d-%02dT%02d:%02d:%02d.%06d" % (  # noqa: UP031
        t.year,
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second,
        t.microsecond,
    )
    return text[:23] + "Z"
