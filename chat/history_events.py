"""The decisions of the events that touch history or the roster, free of I/O.

An event that needs the store or the service does not get its outcome at
once: its handler returns a *step*, a typed value naming what must be
written or read (``StoreMessage``, ``JoinReads``, ``HistoryReads``,
``DeleteReads``). The shell (``chat.shell``) does that I/O and hands what it
read to the ``finish_*`` function here, which decides the outcome. Typing
needs no I/O and is decided here whole.

The roster is read from the service as (connection id, user id) pairs and
grouped here per user: at most ``MAX_MEMBERS`` users, sorted by user id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from msgspec import UNSET, UnsetType
from msgspec.structs import replace

from chat import history
from chat.history import Page, StoredMessage
from chat.messages import Ack, Deleted, EventId, HistoryReply, Member, Typing, encode
from chat.outcomes import EventOutcome, ack_reply, guest_id, refuse, user_of
from chat.refusals import Refusal
from chat.rooms import in_room, rooms_from_states
from chat.settings import MAX_ROOMS_PER_CONNECTION
from codec import strict_json
from codec.actions import Action, SendToGroup
from codec.datatype import DataType
from codec.events import ConnectionContext
from codec.replies import UserEventReply

MAX_MEMBERS = 100
"""The most users a roster lists (``truncated`` says when there were more)."""
ROSTER_CONNECTIONS = 300
"""The most connections of a room read to build its roster: a bound on the
service's answer (several pages of it) whatever the room's size."""
TYPING_STATE = "typing"
"""The connection state that records ``{room: ms since 1970}`` of the last typing forwarded."""
TYPING_INTERVAL_MS = 3000
"""At most one typing notice per connection and room in this many milliseconds."""

HISTORY_OFF = "history is off: this chat keeps no messages"
UNAVAILABLE = "history is unavailable right now: try again"
_LIMIT_RULE = f"limit must be a whole number from 1 to {history.MAX_PAGE}"
_CE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)")


@dataclass(frozen=True)
class StoreMessage:
    """Write ``message``, then send ``sent``; if the write fails, answer ``refused`` and send nothing."""

    message: StoredMessage
    sent: EventOutcome
    refused: EventOutcome


@dataclass(frozen=True)
class JoinReads:
    """A join accepted: its ack waits for the room's latest page (when ``history``) and roster."""

    ack: Ack
    rooms: tuple[str, ...] | None  # the rooms to record, None when they did not change
    actions: tuple[Action, ...]
    connection_id: str
    user: str
    history: bool
    limit: int
    not_before: datetime | None


@dataclass(frozen=True)
class HistoryReads:
    """A page of ``room`` older than ``before`` (a message id, checked to be the room's), and
    the roster when ``members``."""

    room: str
    before: str | None
    limit: int
    not_before: datetime | None
    members: bool
    event_id: EventId | UnsetType


@dataclass(frozen=True)
class DeleteReads:
    """Delete ``message_id`` of ``room`` if ``user`` wrote it."""

    room: str
    message_id: str
    user: str
    event_id: EventId | UnsetType


Step = StoreMessage | JoinReads | HistoryReads | DeleteReads
Connections = Sequence[tuple[str, str | None]]
"""A room's connections as the service lists them: (connection id, user id)."""


def event_time(text: str | None) -> datetime | None:
    """The time of a ``ce-time`` header (RFC 3339, any number of fraction digits); None if unreadable."""
    found = _CE_TIME.fullmatch(text) if text else None
    if found is None:
        return None
    # Python 3.11+ reads any number of fraction digits (.NET writes seven;
    # past microseconds they are dropped) and a "Z", but not a "z".
    try:
        return datetime.fromisoformat(found.group().upper())
    except ValueError:
        return None


def new_message_id(ctx: ConnectionContext, now: datetime) -> str:
    """The id of the message this event posts: from its ``ce-id`` and ``ce-time``.

    A retried event has the same two, so the same id. Without a readable
    ``ce-time`` (the service always sends one) the handling time stands in;
    without a ``ce-id`` the connection and that time do: a retry of such an
    event would then get a new id.
    """
    at = event_time(ctx.event_time) or now
    source = ctx.event_id or f"{ctx.connection_id}@{now.isoformat()}"
    try:
        return history.message_id(source, at)
    except ValueError:  # a time outside the ids' range: the handling time is inside it
        return history.message_id(source, now)


def retention(now: datetime, days: int) -> datetime | None:
    """The oldest time served (None: every message)."""
    return history.retention_cutoff(now, days)


def start_history(
    ctx: ConnectionContext,
    room: str,
    before: object,
    limit: object,
    event_id: EventId | UnsetType,
    *,
    page: int,
    not_before: datetime | None,
    on: bool,
) -> HistoryReads | EventOutcome:
    """Check a ``history`` event; ``page`` is the default limit, ``on`` whether history is."""
    if not in_room(ctx.states, room, MAX_ROOMS_PER_CONNECTION):
        joined_first = f"join room {room!r} before reading its history"
        return refuse("history", Refusal.NOT_JOINED, joined_first, event_id)
    if limit is UNSET:
        limit = page
    elif not history.is_page_limit(limit):
        return refuse("history", Refusal.INVALID_LIMIT, _LIMIT_RULE, event_id)
    if before is not UNSET and not history.is_message_id(before):
        return refuse("history", Refusal.INVALID_CURSOR, _cursor_rule(room), event_id)
    if not on:
        return refuse("history", Refusal.HISTORY_OFF, HISTORY_OFF, event_id)
    cursor = before if history.is_message_id(before) else None
    return HistoryReads(room, cursor, limit, not_before, cursor is None, event_id)


def start_delete(
    ctx: ConnectionContext, room: str, message_id: object, event_id: EventId | UnsetType, *, on: bool
) -> DeleteReads | EventOutcome:
    """Check a ``delete`` event (``on``: whether history is)."""
    if not history.is_message_id(message_id):
        rule = "messageId must be a message id (24 lowercase hex digits)"
        return refuse("delete", Refusal.INVALID_DATA, rule, event_id)
    if not on:
        return refuse("delete", Refusal.HISTORY_OFF, HISTORY_OFF, event_id)
    return DeleteReads(room, message_id, user_of(ctx), event_id)


def typing(ctx: ConnectionContext, room: str, event_id: EventId | UnsetType, now: datetime) -> EventOutcome:
    """Forward a typing notice to the room's other connections, at most once per ``TYPING_INTERVAL_MS``.

    The last forwarded time per room lives in the connection's states; a
    notice sooner than that is acknowledged with ``forwarded: false`` and
    dropped. A recorded time in the future (a clock that went back, a forged
    state) does not hold notices back.
    """
    rooms = rooms_from_states(ctx.states, MAX_ROOMS_PER_CONNECTION)
    if room not in rooms:
        return refuse("typing", Refusal.NOT_JOINED, f"join room {room!r} before typing in it", event_id)
    now_ms = history.milliseconds(now)
    recorded = _typing_state(ctx.states)
    last = recorded.get(room)
    if _fresh(last, now_ms):
        ack = Ack(event="typing", room=room, forwarded=False, id=event_id)
        return EventOutcome(ack_reply(ack))
    # Keep only the joined rooms' recent times: the state stays small.
    kept = {r: t for r in rooms if r != room and _fresh(t := recorded.get(r), now_ms)}
    kept[room] = now_ms
    ack = Ack(event="typing", room=room, forwarded=True, id=event_id)
    notice = Typing(user=user_of(ctx), room=room)
    others = (ctx.connection_id,)
    send = SendToGroup(group=room, data=encode(notice), data_type=DataType.JSON, excluded=others)
    reply = UserEventReply(encode(ack), DataType.JSON, {TYPING_STATE: kept})
    return EventOutcome(reply, (send,))


def members(
    connections: Connections | None, joining: tuple[str, str] | None = None
) -> tuple[list[Member] | None, bool]:
    """The roster from the service's list (None when it could not be read), and whether it was cut.

    The list is read up to ``ROSTER_CONNECTIONS``: one more says there were
    more. ``joining`` is the (connection, user) being added to the room by
    this very event, counted when the list did not show it yet.
    """
    if connections is None:
        return None, False
    cut = len(connections) > ROSTER_CONNECTIONS
    counted: dict[str, int] = {}
    seen: set[str] = set()
    for connection, user in connections[:ROSTER_CONNECTIONS]:
        if connection not in seen:
            seen.add(connection)
            name = user or guest_id(connection)
            counted[name] = counted.get(name, 0) + 1
    if joining is not None and not cut and joining[0] not in seen:
        counted[joining[1]] = counted.get(joining[1], 0) + 1
    users = sorted(counted)
    listed = [Member(user, counted[user]) for user in users[:MAX_MEMBERS]]
    return listed, cut or len(users) > MAX_MEMBERS


def finish_join(step: JoinReads, page: Page | None, connections: Connections | None) -> EventOutcome:
    """The join's ack with the page read (None: history off or unavailable) and the roster."""
    listed, truncated = members(connections, (step.connection_id, step.user))
    ack = replace(
        step.ack,
        history=None if page is None else page.wire(),
        more=page is not None and page.more,
        members=listed,
        truncated=truncated,
    )
    return EventOutcome(ack_reply(ack, step.rooms), step.actions)


def finish_history(step: HistoryReads, page: Page | None, connections: Connections | None) -> EventOutcome:
    """The history reply; ``page`` None when ``before`` is no message of the room."""
    if page is None:
        return refuse("history", Refusal.INVALID_CURSOR, _cursor_rule(step.room), step.event_id)
    reply = HistoryReply(room=step.room, messages=page.wire(), more=page.more, id=step.event_id)
    if step.members:
        listed, truncated = members(connections)
        reply = replace(reply, members=listed, truncated=truncated)
    return EventOutcome(UserEventReply(encode(reply), DataType.JSON))


def check_delete(step: DeleteReads, found: StoredMessage | None) -> EventOutcome | None:
    """The refusal for deleting ``found`` (None: no such message), or None to go ahead."""
    if found is None:
        return not_found(step)
    if found.sender != step.user:
        return refuse("delete", Refusal.NOT_YOURS, "only its author may delete a message", step.event_id)
    return None


def not_found(step: DeleteReads) -> EventOutcome:
    """The refusal for a message the room does not hold."""
    return refuse(
        "delete", Refusal.NOT_FOUND, f"room {step.room!r} holds no message {step.message_id}", step.event_id
    )


def finish_delete(step: DeleteReads) -> EventOutcome:
    """The delete's ack, and the room told which message went."""
    ack = Ack(event="delete", room=step.room, message_id=step.message_id, id=step.event_id)
    notice = Deleted(room=step.room, message_id=step.message_id)
    send = SendToGroup(group=step.room, data=encode(notice), data_type=DataType.JSON)
    return EventOutcome(ack_reply(ack), (send,))


def unavailable(name: str, event_id: EventId | UnsetType) -> EventOutcome:
    """The refusal when the store failed (the message event's says nothing was sent)."""
    return refuse(name, Refusal.HISTORY_UNAVAILABLE, UNAVAILABLE, event_id)


def _cursor_rule(room: str) -> str:
    return f"before must be the id of a message in room {room!r}"


def _typing_state(states: Mapping[str, object]) -> Mapping[str, object]:
    """The recorded typing times, raw or JSON-encoded (as ``chat.rooms`` reads the rooms)."""
    value = states.get(TYPING_STATE)
    if isinstance(value, str):
        try:
            value = strict_json.loads(value)
        except (ValueError, RecursionError):
            return {}
    return value if isinstance(value, Mapping) else {}


def _fresh(last: object, now_ms: int) -> bool:
    """Whether ``last`` (ms) is a typing time less than the interval before ``now_ms``."""
    return type(last) is int and 0 <= now_ms - last < TYPING_INTERVAL_MS
