"""The chat's event handlers: one decision per Web PubSub event.

Clients connect with a user id (from negotiate), land in the default room,
and send three user events: ``message`` (post to a joined room), ``join`` and
``leave``. Every handler returns an ``Outcome``: the reply for the service and
the output actions to send. A rejected event sends no action.

Handlers tolerate a repeated event (the service retries): joining a room
twice or leaving a room not joined changes nothing and sends nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from chat.actions import (
    Action,
    AddConnectionToGroup,
    RemoveConnectionFromGroup,
    SendToGroup,
    json_message,
)
from chat.datatype import DataType
from chat.events import (
    ConnectedEvent,
    ConnectEvent,
    ConnectionContext,
    DisconnectedEvent,
    Event,
    InvalidEvent,
    UserEvent,
    parse_event,
)
from chat.replies import ConnectReply, ErrorCode, ErrorReply, Reply, UserEventReply
from chat.rooms import ROOM_RULE, is_room_name, rooms_from_states, rooms_state
from chat.settings import MAX_ROOMS_PER_CONNECTION, Settings

SUBPROTOCOL = "json.webpubsub.azure.v1"
USER_EVENTS = ("message", "join", "leave")


@dataclass(frozen=True)
class Outcome:
    """A handler's answer: the reply (None for none) and the actions to send."""

    reply: Reply | None = None
    actions: tuple[Action, ...] = ()


def handle_request(request: object, settings: Settings, now: datetime) -> Outcome:
    """Parse a trigger's ``request`` value and handle it; a malformed one is a userError."""
    try:
        event = parse_event(request)
    except InvalidEvent as err:
        return _reject(ErrorCode.USER_ERROR, str(err))
    return handle_event(event, settings, now)


def handle_event(event: Event, settings: Settings, now: datetime) -> Outcome:
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


def on_connect(event: ConnectEvent, settings: Settings) -> Outcome:
    """Accept a user (or, when allowed, a guest) into the default room."""
    user_id = event.context.user_id
    if user_id is None:
        if not settings.allow_anonymous:
            return _reject(ErrorCode.UNAUTHORIZED, "sign in first: the connection has no user id")
        user_id = guest_id(event.context.connection_id)
    room = settings.default_room
    return Outcome(
        ConnectReply(
            user_id=user_id,
            groups=(room,),
            subprotocol=SUBPROTOCOL if SUBPROTOCOL in event.subprotocols else None,
            states=rooms_state((room,)),
        )
    )


def on_connected(event: ConnectedEvent, settings: Settings, now: datetime) -> Outcome:
    """Announce the newcomer in the rooms it was put in at connect."""
    rooms = rooms_from_states(event.context.states) or (settings.default_room,)
    return Outcome(actions=tuple(_presence(event.context, room, "joined", now) for room in rooms))


def on_disconnected(event: DisconnectedEvent, now: datetime) -> Outcome:
    """Announce the departure in every room the connection had joined."""
    rooms = rooms_from_states(event.context.states)
    return Outcome(actions=tuple(_presence(event.context, room, "left", now) for room in rooms))


def on_user_event(event: UserEvent, settings: Settings, now: datetime) -> Outcome:
    """Handle ``message``, ``join`` and ``leave``; reject anything else."""
    name = event.context.event_name.lower()
    if name not in USER_EVENTS:
        return _reject(ErrorCode.USER_ERROR, f"unknown event {event.context.event_name[:64]!r}")
    if event.data_type is DataType.BINARY:
        return _reject(ErrorCode.USER_ERROR, "binary messages are not supported: send text or JSON")
    payload = _payload(event)
    if isinstance(payload, ErrorReply):
        return Outcome(payload)
    if name == "message":
        return _post(event.context, payload, settings, now)
    room = payload.get("room")
    if not is_room_name(room):
        return _reject(ErrorCode.USER_ERROR, _ROOM_RULE)
    if name == "join":
        return _join(event.context, room, now)
    return _leave(event.context, room, now)


def guest_id(connection_id: str) -> str:
    """A stable user id for an anonymous connection (the same on a retried connect)."""
    return "guest-" + connection_id[:8]


_ROOM_RULE = f"room must be {ROOM_RULE}"


def _payload(event: UserEvent) -> dict[str, Any] | ErrorReply:
    """The event's fields: a JSON object, or plain text read as the main field.

    Plain text is the message text for ``message`` and the room for
    ``join``/``leave``.
    """
    if event.data_type is DataType.TEXT:
        key = "text" if event.context.event_name.lower() == "message" else "room"
        return {key: event.data}
    try:
        value = json.loads(event.data)
    except (ValueError, RecursionError):
        return ErrorReply(ErrorCode.USER_ERROR, "data is not valid JSON")
    if not isinstance(value, dict):
        return ErrorReply(ErrorCode.USER_ERROR, "data must be a JSON object")
    return value


def _post(ctx: ConnectionContext, payload: dict[str, Any], settings: Settings, now: datetime) -> Outcome:
    rooms = rooms_from_states(ctx.states)
    room = payload.get("room", settings.default_room)
    if not is_room_name(room):
        return _reject(ErrorCode.USER_ERROR, _ROOM_RULE)
    if room not in rooms:
        return _reject(ErrorCode.USER_ERROR, f"join room {room!r} before posting to it")
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        return _reject(ErrorCode.USER_ERROR, "text must be a non-empty string")
    if len(text) > settings.max_message_length:
        return _reject(
            ErrorCode.USER_ERROR,
            f"text is longer than {settings.max_message_length} characters",
        )
    at = _timestamp(now)
    message = {"type": "message", "from": _user(ctx), "room": room, "text": text, "at": at}
    return Outcome(
        _ack({"type": "ack", "event": "message", "room": room, "at": at}),
        (SendToGroup(group=room, data=json_message(message), data_type=DataType.JSON),),
    )


def _join(ctx: ConnectionContext, room: str, now: datetime) -> Outcome:
    rooms = rooms_from_states(ctx.states)
    if room in rooms:
        return Outcome(_ack({"type": "ack", "event": "join", "room": room, "rooms": list(rooms)}))
    if len(rooms) >= MAX_ROOMS_PER_CONNECTION:
        return _reject(
            ErrorCode.USER_ERROR,
            f"a connection can be in at most {MAX_ROOMS_PER_CONNECTION} rooms: leave one first",
        )
    rooms = (*rooms, room)
    return Outcome(
        _ack({"type": "ack", "event": "join", "room": room, "rooms": list(rooms)}, rooms),
        (
            AddConnectionToGroup(connection_id=ctx.connection_id, group=room),
            _presence(ctx, room, "joined", now),
        ),
    )


def _leave(ctx: ConnectionContext, room: str, now: datetime) -> Outcome:
    rooms = rooms_from_states(ctx.states)
    if room not in rooms:
        return Outcome(_ack({"type": "ack", "event": "leave", "room": room, "rooms": list(rooms)}))
    rooms = tuple(r for r in rooms if r != room)
    return Outcome(
        _ack({"type": "ack", "event": "leave", "room": room, "rooms": list(rooms)}, rooms),
        (
            RemoveConnectionFromGroup(connection_id=ctx.connection_id, group=room),
            _presence(ctx, room, "left", now),
        ),
    )


def _presence(ctx: ConnectionContext, room: str, what: str, now: datetime) -> SendToGroup:
    message = {"type": "presence", "user": _user(ctx), "event": what, "room": room, "at": _timestamp(now)}
    return SendToGroup(group=room, data=json_message(message), data_type=DataType.JSON)


def _ack(body: dict[str, Any], rooms: tuple[str, ...] | None = None) -> UserEventReply:
    states = rooms_state(rooms) if rooms is not None else {}
    return UserEventReply(data=json_message(body), data_type=DataType.JSON, states=states)


def _reject(code: ErrorCode, message: str) -> Outcome:
    return Outcome(ErrorReply(code, message))


def _user(ctx: ConnectionContext) -> str:
    return ctx.user_id or guest_id(ctx.connection_id)


def _timestamp(now: datetime) -> str:
    """ISO 8601 in UTC with millisecond precision and a ``Z`` suffix."""
    t = now.astimezone(timezone.utc)
    # Plain formatting: several times faster than isoformat() or strftime here.
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
        t.year,
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second,
        t.microsecond // 1000,
    )
