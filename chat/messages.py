"""The chat's own messages: what a client puts in a user event's data, and
what the app sends back to it and to the rooms.

Each is declared once, as a msgspec struct. A client's JSON data is decoded
straight into ``EventData``, which checks the room name's length, the
text's type and the id as it parses (``decode_event_data`` then checks the
room's characters); the app's messages are written straight from their
structs. Both directions keep the app's JSON rules: strict JSON in, compact
ASCII JSON out (see ``codec.strict_json``).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType

from chat.rooms import ROOM_RULE, RoomLength, is_room_name
from codec import strict_json

MAX_ID_LENGTH = 64
"""The longest string ``id`` a client may attach to an event to match its reply."""
MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer ``id`` (JavaScript's exact integers)."""

EventId = (
    Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID_LENGTH)]
    | Annotated[int, msgspec.Meta(ge=-MAX_SAFE_INTEGER, le=MAX_SAFE_INTEGER)]
)


class EventData(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A user event's data: ``{"room"?, "text"?, "id"?, "before"?, "limit"?, "messageId"?}``.

    ``room``, ``text`` and ``id`` are checked here; ``before``, ``limit``
    and ``messageId`` are taken as any JSON value and checked by the event
    that reads them, so that a wrong one gets its own refusal.

    ``decode_event_data`` accepts exactly these fields. A client may send
    others; those go the slower way in ``chat.handlers``, where the whole
    text is checked as strict JSON (a skipped field is not checked here, and
    ``1e400`` in one is still not JSON).
    """

    room: RoomLength | UnsetType = UNSET
    text: str | UnsetType = UNSET
    id: EventId | UnsetType = UNSET
    before: Any = UNSET
    limit: Any = UNSET
    message_id: Any = msgspec.field(name="messageId", default=UNSET)


_DECODE = msgspec.json.Decoder(EventData).decode


def decode_event_data(text: str) -> EventData:
    """Decode a user event's JSON data; raises ``msgspec.ValidationError`` or
    ``msgspec.DecodeError`` (both ``ValueError``) for anything else."""
    data = _DECODE(text)
    if data.room is not UNSET and not is_room_name(data.room):
        raise msgspec.ValidationError(f"Expected a room name of {ROOM_RULE} - at `$.room`")
    return data


class OutMessage(msgspec.Struct, frozen=True, tag_field="type"):
    """Base of the messages the app sends; ``type`` names each."""


class ChatMessage(OutMessage, frozen=True, tag="message"):
    """A message posted to a room, as every member receives it (``id``: see ``chat.history``)."""

    id: str
    sender: str = msgspec.field(name="from")
    room: str
    text: str
    at: str


class Presence(OutMessage, frozen=True, tag="presence"):
    """A user joined or left a room."""

    user: str
    event: str
    room: str
    at: str


class Deleted(OutMessage, frozen=True, tag="deleted"):
    """Its author deleted a room's message."""

    room: str
    message_id: str = msgspec.field(name="messageId")


class Typing(OutMessage, frozen=True, tag="typing"):
    """A user is typing in a room (sent to the others)."""

    user: str
    room: str


class Member(msgspec.Struct, frozen=True):
    """A user connected to a room, and with how many connections."""

    user: str
    connections: int


class Ack(OutMessage, frozen=True, tag="ack"):
    """The sender's reply to an accepted event, with the id it sent.

    ``message``: ``messageId``; ``join``: ``history`` (null when history is
    off or could not be read), ``more``, ``members`` (null when the roster
    could not be read), ``truncated``; ``delete``: ``messageId``;
    ``typing``: ``forwarded``. An UNSET field is left out; None is null.
    """

    event: str
    room: str
    at: str | UnsetType = UNSET
    rooms: list[str] | UnsetType = UNSET
    message_id: str | UnsetType = msgspec.field(name="messageId", default=UNSET)
    history: list[dict[str, object]] | None | UnsetType = UNSET
    more: bool | UnsetType = UNSET
    members: list[Member] | None | UnsetType = UNSET
    truncated: bool | UnsetType = UNSET
    forwarded: bool | UnsetType = UNSET
    id: str | int | UnsetType = UNSET


class HistoryReply(OutMessage, frozen=True, tag="history"):
    """A page of a room's messages, oldest first; the first page (no ``before``) adds the roster."""

    room: str
    messages: list[dict[str, object]]
    more: bool
    members: list[Member] | None | UnsetType = UNSET
    truncated: bool | UnsetType = UNSET
    id: str | int | UnsetType = UNSET


class Refused(OutMessage, frozen=True, tag="error"):
    """The sender's reply to a refused event: which, why (``code``) and in words."""

    event: str
    code: str
    message: str
    id: str | int | UnsetType = UNSET


_ENCODE = msgspec.json.Encoder().encode


def encode(message: OutMessage) -> str:
    """The message as compact JSON text, escaped to ASCII as the app writes all JSON."""
    try:
        encoded = _ENCODE(message)
    except ValueError:  # a lone surrogate in a text: the standard encoder escapes it
        pass
    else:
        # Every field is text or a whole number: no NaN can be in it.
        if encoded.isascii():
            return encoded.decode()
    return strict_json.dumps(msgspec.to_builtins(message))
