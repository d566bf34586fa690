"""What a user is told when the chat refuses one of its events.

A refusal is a successful reply to the sender whose JSON data says why:
``{"type": "error", "event", "code", "message"}``, plus the event's ``id``
when it carried one. A failed reply would reach the client only as a failed
ack without its text, and Microsoft's client SDKs resend an event whose ack
failed; a successful reply is shown at once and never resent.
"""

from __future__ import annotations

import enum

from msgspec import UNSET, UnsetType

from chat.messages import EventId, Refused, encode
from codec.datatype import DataType
from codec.replies import UserEventReply

MAX_EVENT_NAME = 64
"""The longest event name echoed back (the name is the client's own text)."""


class Refusal(enum.StrEnum):
    """Why a user event was refused; the codes client writers can rely on."""

    UNKNOWN_EVENT = "unknown_event"
    UNSUPPORTED_DATA_TYPE = "unsupported_data_type"
    INVALID_DATA = "invalid_data"
    INVALID_ID = "invalid_id"
    INVALID_ROOM = "invalid_room"
    NOT_JOINED = "not_joined"
    TOO_MANY_ROOMS = "too_many_rooms"
    INVALID_TEXT = "invalid_text"
    TEXT_TOO_LONG = "text_too_long"
    HISTORY_OFF = "history_off"
    HISTORY_UNAVAILABLE = "history_unavailable"
    INVALID_CURSOR = "invalid_cursor"
    INVALID_LIMIT = "invalid_limit"
    NOT_FOUND = "not_found"
    NOT_YOURS = "not_yours"


def refusal_reply(
    event: str, code: Refusal, message: str, event_id: EventId | UnsetType = UNSET
) -> UserEventReply:
    """The reply that tells the sender why ``event`` was refused, echoing the event's id if it had one."""
    refused = Refused(event=event[:MAX_EVENT_NAME], code=code.value, message=message, id=event_id)
    return UserEventReply(data=encode(refused), data_type=DataType.JSON)
