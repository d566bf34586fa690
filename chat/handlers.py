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
twice changes no state and announces nothing (it only adds the connection to
the group again, which the service does idempotently), and leaving a room not
joined changes and sends nothing.

The rooms are read from the connection's states, at most
``MAX_ROOMS_PER_CONNECTION`` of them: a forged or corrupted state of
thousands of rooms costs no more work, and sends no more presence messages,
than a full one.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from msgspec import UNSET, UnsetType

from chat.messages import (
    MAX_ID_LENGTH,
    MAX_SAFE_INTEGER,
    Ack,
    ChatMessage,
    EventData,
    EventId,
    Presence,
    decode_event_data,
    encode,
)
from chat.refusals import Refusal, refusal_reply
from chat.rooms import ROOM_RULE, in_room, is_room_name, rooms_from_states, rooms_state
from chat.settings import MAX_ROOMS_PER_CONNECTION, Settings
from codec import strict_json
from codec.actions import Action, AddConnectionToGroup, RemoveConnectionFromGroup, SendToGroup
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
    match event:  # the most frequent first
        case UserEvent():
            return on_user_event(event, settings, now)
        case ConnectEvent():
            return on_connect(event, settings)
        case ConnectedEvent():
            return on_connected(event, settings, now)
        case DisconnectedEvent():
            return on_disconnected(event, now)


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
    rooms = _rooms(event.context) or (settings.default_room,)
    return EventOutcome(actions=tuple(_presence(event.context, room, "joined", now) for room in rooms))


def on_disconnected(event: DisconnectedEvent, now: datetime) -> EventOutcome:
    """Announce the departure in every room the connection had joined."""
    rooms = _rooms(event.context)
    return EventOutcome(actions=tuple(_presence(event.context, room, "left", now) for room in rooms))


def on_user_event(event: UserEvent, settings: Settings, now: datetime) -> EventOutcome:
    """Handle ``message``, ``join`` and ``leave``; refuse anything else, saying why."""
    ctx = event.context
    name = ctx.event_name.lower()
    if name not in USER_EVENTS:
        return _refuse(
            ctx.event_name, Refusal.UNKNOWN_EVENT, f"unknown event: send one of {', '.join(USER_EVENTS)}"
        )
    if event.data_type is DataType.BINARY:
        return _refuse(name, Refusal.UNSUPPORTED_DATA_TYPE, "binary data is not supported: send text or JSON")
    data = _read_json(event.data, name) if event.data_type is DataType.JSON else _read_text(event.data, name)
    if isinstance(data, EventOutcome):
        return data
    if name == "message":
        return _post(ctx, data, settings, now)
    if data.room is UNSET:
        return _refuse(name, Refusal.INVALID_ROOM, _ROOM_RULE, data.id)
    if name == "join":
        return _join(ctx, data.room, data.id, now)
    return _leave(ctx, data.room, data.id, now)


def guest_id(connection_id: str) -> str:
    """A stable user id for an anonymous connection (the same on a retried connect)."""
    return "guest-" + connection_id[:8]


_ROOM_RULE = f"room must be {ROOM_RULE}"
_INVALID_ID = f"id must be a string of 1 to {MAX_ID_LENGTH} characters or a whole number"


def _refuse(name: str, code: Refusal, message: str, event_id: EventId | UnsetType = UNSET) -> EventOutcome:
    return EventOutcome(refusal_reply(name, code, message, event_id))


def _read_text(text: str, name: str) -> EventData | EventOutcome:
    """Plain text is the message's text for ``message`` and the room for ``join``/``leave``."""
    if name == "message":
        return EventData(text=text)
    if not is_room_name(text):
        return _refuse(name, Refusal.INVALID_ROOM, _ROOM_RULE)
    return EventData(room=text)


def _read_json(text: str, name: str) -> EventData | EventOutcome:
    """JSON data: decoded and checked in one pass, else read field by field to say what is wrong."""
    try:
        return decode_event_data(text)
    except (ValueError, RecursionError):
        # Other fields, a field of the wrong kind, not JSON: the reading below
        # gives the same data or the refusal that names the problem.
        pass
    try:
        value = strict_json.loads(text)
    except (ValueError, RecursionError):
        return _refuse(name, Refusal.INVALID_DATA, "data is not valid JSON")
    if not isinstance(value, dict):
        return _refuse(name, Refusal.INVALID_DATA, "data must be a JSON object")
    event_id = value.get("id", UNSET)
    if event_id is not UNSET and not _is_id(event_id):
        return _refuse(name, Refusal.INVALID_ID, _INVALID_ID)
    room = value.get("room", UNSET)
    if room is not UNSET and not is_room_name(room):
        return _refuse(name, Refusal.INVALID_ROOM, _ROOM_RULE, event_id)
    given = value.get("text")
    # A text that is not a string is no text: a message is refused for it,
    # join and leave do not read it.
    return EventData(room=room, text=given if isinstance(given, str) else UNSET, id=event_id)


def _is_id(value: object) -> bool:
    """True for what ``EventId`` accepts: a string of 1 to 64 characters or a safe integer."""
    if type(value) is str:
        return 1 <= len(value) <= MAX_ID_LENGTH
    return type(value) is int and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER


def _post(ctx: ConnectionContext, data: EventData, settings: Settings, now: datetime) -> EventOutcome:
    room = settings.default_room if data.room is UNSET else data.room
    if not in_room(ctx.states, room, MAX_ROOMS_PER_CONNECTION):
        return _refuse("message", Refusal.NOT_JOINED, f"join room {room!r} before posting to it", data.id)
    text = data.text
    if text is UNSET or not text.strip():
        return _refuse("message", Refusal.INVALID_TEXT, "text must be a non-empty string", data.id)
    if len(text) > settings.max_message_length:
        return _refuse(
            "message",
            Refusal.TEXT_TOO_LONG,
            f"text is longer than {settings.max_message_length} characters",
            data.id,
        )
    at = _timestamp(now)
    message = ChatMessage(sender=_user(ctx), room=room, text=text, at=at)
    return EventOutcome(
        _reply(Ack(event="message", room=room, at=at, id=data.id)),
        (SendToGroup(group=room, data=encode(message), data_type=DataType.JSON),),
    )


def _join(ctx: ConnectionContext, room: str, event_id: EventId | UnsetType, now: datetime) -> EventOutcome:
    rooms = _rooms(ctx)
    add = AddConnectionToGroup(connection_id=ctx.connection_id, group=room)
    if room in rooms:
        # Recorded, but the connection may have been taken out of the group
        # (removeConnectionFromGroup through /api/broadcast, say): adding it
        # again lets it back in and costs nothing when it is still there.
        return EventOutcome(_reply(Ack(event="join", room=room, rooms=list(rooms), id=event_id)), (add,))
    if len(rooms) >= MAX_ROOMS_PER_CONNECTION:
        return _refuse(
            "join",
            Refusal.TOO_MANY_ROOMS,
            f"a connection can be in at most {MAX_ROOMS_PER_CONNECTION} rooms: leave one first",
            event_id,
        )
    rooms = (*rooms, room)
    return EventOutcome(
        _reply(Ack(event="join", room=room, rooms=list(rooms), id=event_id), rooms),
        (add, _presence(ctx, room, "joined", now)),
    )


def _leave(ctx: ConnectionContext, room: str, event_id: EventId | UnsetType, now: datetime) -> EventOutcome:
    rooms = _rooms(ctx)
    if room not in rooms:
        return EventOutcome(_reply(Ack(event="leave", room=room, rooms=list(rooms), id=event_id)))
    at = rooms.index(room)  # rooms holds each name once
    rooms = rooms[:at] + rooms[at + 1 :]
    return EventOutcome(
        _reply(Ack(event="leave", room=room, rooms=list(rooms), id=event_id), rooms),
        (
            RemoveConnectionFromGroup(connection_id=ctx.connection_id, group=room),
            _presence(ctx, room, "left", now),
        ),
    )


def _rooms(ctx: ConnectionContext) -> tuple[str, ...]:
    """The rooms the connection's states record, at most the per-connection limit."""
    return rooms_from_states(ctx.states, MAX_ROOMS_PER_CONNECTION)


def _reply(ack: Ack, rooms: tuple[str, ...] | None = None) -> UserEventReply:
    """The sender's ack, recording ``rooms`` in the connection's states when they changed."""
    states = rooms_state(rooms) if rooms is not None else {}
    return UserEventReply(encode(ack), DataType.JSON, states)


def _presence(ctx: ConnectionContext, room: str, what: str, now: datetime) -> SendToGroup:
    message = Presence(user=_user(ctx), event=what, room=room, at=_timestamp(now))
    return SendToGroup(group=room, data=encode(message), data_type=DataType.JSON)


def _user(ctx: ConnectionContext) -> str:
    return ctx.user_id or guest_id(ctx.connection_id)


def _timestamp(now: datetime) -> str:
    """ISO 8601 in UTC with millisecond precision and a ``Z`` suffix."""
    # A UTC clock needs no conversion (converting would give the same time).
    t = now if now.tzinfo is UTC else now.astimezone(UTC)  # pragma: no mutate
    # msgspec writes RFC 3339 in UTC with a "Z", and microseconds when there
    # are any: several times faster than isoformat(), strftime or %-formatting.
    text: str = msgspec.to_builtins(t)
    return text[:23] + "Z" if t.microsecond else text[:19] + ".000Z"
