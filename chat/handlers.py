"""The chat's event handlers: one decision per Web PubSub event.

Clients connect with a user id (from negotiate), land in the default room,
and send the user events of ``chat.event_names``: ``message`` (post to a
joined room), ``join``, ``leave``, ``history``, ``delete`` and ``typing``.
A handler returns an ``EventOutcome`` (the reply for the service and the
output actions to send), or, for an event that must write or read the
history store or read the room's roster first, a step of
``chat.history_events`` that the shell (``chat.shell``) completes. A refused
event sends no action.

A user's mistake (a room not joined, a text too long) is answered with a
refusal the sender can read (``chat.refusals``). Only a connect without a
user and an event the service itself sent malformed are rejected with an
error reply.

Handlers tolerate a repeated event (the service retries): joining a room
twice changes no state and announces nothing (it only adds the connection to
the group again, which the service does idempotently), leaving a room not
joined changes and sends nothing, and a retried message gets the same id
(from the event's ``ce-id`` and ``ce-time``), which the store keeps once.

The rooms are read from the connection's states, at most
``MAX_ROOMS_PER_CONNECTION`` of them: a forged or corrupted state of
thousands of rooms costs no more work, and sends no more presence messages,
than a full one.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from msgspec import UNSET, UnsetType

from chat import history_events
from chat.event_names import USER_EVENTS
from chat.history import StoredMessage, message_time, text_fits
from chat.history_events import JoinReads, Step, StoreMessage
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
from chat.outcomes import EventOutcome, ack_reply, guest_id, refuse, user_of
from chat.refusals import Refusal
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
from codec.replies import ConnectReply, ErrorCode, ErrorReply

__all__ = ["USER_EVENTS", "EventOutcome", "guest_id", "handle_event", "handle_request"]

SUBPROTOCOLS = ("json.reliable.webpubsub.azure.v1", "json.webpubsub.azure.v1")
"""The subprotocols the app accepts, the preferred first."""


def handle_request(
    request: object, settings: Settings, now: datetime, *, history: bool = False
) -> EventOutcome | Step:
    """Parse a trigger's ``request`` value and handle it; a malformed one is a userError.

    ``history`` says whether the history store is configured.
    """
    try:
        event = parse_event(request)
    except InvalidEvent as err:
        return EventOutcome(ErrorReply(ErrorCode.USER_ERROR, str(err)))
    return handle_event(event, settings, now, history=history)


def handle_event(
    event: Event, settings: Settings, now: datetime, *, history: bool = False
) -> EventOutcome | Step:
    """Dispatch any parsed event to its handler."""
    match event:  # the most frequent first
        case UserEvent():
            return on_user_event(event, settings, now, history=history)
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


def on_user_event(
    event: UserEvent, settings: Settings, now: datetime, *, history: bool = False
) -> EventOutcome | Step:
    """Handle the user events of ``USER_EVENTS``; refuse anything else, saying why."""
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
        return _post(ctx, data, settings, now, history)
    if data.room is UNSET:
        return _refuse(name, Refusal.INVALID_ROOM, _ROOM_RULE, data.id)
    if name == "join":
        return _join(ctx, data.room, data.id, settings, now, history)
    if name == "leave":
        return _leave(ctx, data.room, data.id, now)
    if name == "history":
        return history_events.start_history(
            ctx,
            data.room,
            data.before,
            data.limit,
            data.id,
            page=settings.history_page,
            not_before=history_events.retention(now, settings.history_days),
            on=history,
        )
    if name == "delete":
        return history_events.start_delete(ctx, data.room, data.message_id, data.id, on=history)
    return history_events.typing(ctx, data.room, data.id, now)


_ROOM_RULE = f"room must be {ROOM_RULE}"
_INVALID_ID = f"id must be a string of 1 to {MAX_ID_LENGTH} characters or a whole number"


_refuse = refuse


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
    # the other events do not read it.
    return EventData(
        room=room,
        text=given if isinstance(given, str) else UNSET,
        id=event_id,
        before=value.get("before", UNSET),
        limit=value.get("limit", UNSET),
        # Absent or null alike: a delete refuses both as no message id.
        message_id=value.get("messageId"),
    )


def _is_id(value: object) -> bool:
    """True for what ``EventId`` accepts: a string of 1 to 64 characters or a safe integer."""
    if type(value) is str:
        return 1 <= len(value) <= MAX_ID_LENGTH
    return type(value) is int and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER


def _post(
    ctx: ConnectionContext, data: EventData, settings: Settings, now: datetime, history: bool
) -> EventOutcome | StoreMessage:
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
    if history and not text_fits(text):
        return _refuse("message", Refusal.TEXT_TOO_LONG, "text is too long to keep in history", data.id)
    message_id = history_events.new_message_id(ctx, now)
    # Every client shows the time the id holds: the event's, as history will.
    at = _timestamp(message_time(message_id))
    sender = _user(ctx)
    message = ChatMessage(id=message_id, sender=sender, room=room, text=text, at=at)
    sent = EventOutcome(
        _reply(Ack(event="message", room=room, at=at, message_id=message_id, id=data.id)),
        (SendToGroup(group=room, data=encode(message), data_type=DataType.JSON),),
    )
    if not history:
        return sent
    stored = StoredMessage(id=message_id, room=room, sender=sender, text=text)
    return StoreMessage(stored, sent, history_events.unavailable("message", data.id))


def _join(
    ctx: ConnectionContext,
    room: str,
    event_id: EventId | UnsetType,
    settings: Settings,
    now: datetime,
    history: bool,
) -> EventOutcome | JoinReads:
    rooms = _rooms(ctx)
    add = AddConnectionToGroup(connection_id=ctx.connection_id, group=room)

    def reads(ack: Ack, recorded: tuple[str, ...] | None, actions: tuple[Action, ...]) -> JoinReads:
        not_before = history_events.retention(now, settings.history_days)
        user = _user(ctx)
        return JoinReads(
            ack, recorded, actions, ctx.connection_id, user, history, settings.history_page, not_before
        )

    if room in rooms:
        # Recorded, but the connection may have been taken out of the group
        # (removeConnectionFromGroup through /api/broadcast, say): adding it
        # again lets it back in and costs nothing when it is still there. The
        # client may be fetching the room again: it gets its history too.
        ack = Ack(event="join", room=room, rooms=list(rooms), id=event_id)
        return reads(ack, None, (add,))
    if len(rooms) >= MAX_ROOMS_PER_CONNECTION:
        return _refuse(
            "join",
            Refusal.TOO_MANY_ROOMS,
            f"a connection can be in at most {MAX_ROOMS_PER_CONNECTION} rooms: leave one first",
            event_id,
        )
    rooms = (*rooms, room)
    ack = Ack(event="join", room=room, rooms=list(rooms), id=event_id)
    return reads(ack, rooms, (add, _presence(ctx, room, "joined", now)))


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


_reply = ack_reply


def _presence(ctx: ConnectionContext, room: str, what: str, now: datetime) -> SendToGroup:
    message = Presence(user=_user(ctx), event=what, room=room, at=_timestamp(now))
    return SendToGroup(group=room, data=encode(message), data_type=DataType.JSON)


_user = user_of


def _timestamp(now: datetime) -> str:
    """ISO 8601 in UTC with millisecond precision and a ``Z`` suffix."""
    # A UTC clock needs no conversion (converting would give the same time).
    t = now if now.tzinfo is UTC else now.astimezone(UTC)  # pragma: no mutate
    # msgspec writes RFC 3339 in UTC with a "Z", and microseconds when there
    # are any: several times faster than isoformat(), strftime or %-formatting.
    text: str = msgspec.to_builtins(t)
    return text[:23] + "Z" if t.microsecond else text[:19] + ".000Z"
