"""Chat history's decisions: message ids, row keys, what is stored, what a page holds.

No I/O here: the store (``chat.history_store``) reads and writes, these
functions decide.

**Ids.** A message id is 24 lowercase hex digits: 12 for the event's time in
milliseconds since 1970 (enough until the year 10889, past the year 9999
where Python's ``datetime`` ends), then 12 from a
SHA-256 of the CloudEvents ``ce-id``. The service delivers a retried event
with the same ``ce-id`` and time, so a retry gets the same id; ids sort by
time as plain strings (messages of the same millisecond by their hash).

**Row keys.** One partition per room (the room name is the ``PartitionKey``;
room names hold only letters, digits, ``-`` and ``_``, all allowed there).
Table Storage returns a partition's rows in ascending ``RowKey`` order
(contract section 10), so the row key is the id with every hex digit
flipped (``0``<->``f``, ``1``<->``e``...): row keys sort exactly in reverse
of ids, newest first, and the latest page is one range query from the top.
Flipping twice gives the id back.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TypeGuard

from chat.settings import MAX_HISTORY_PAGE
from codec import strict_json

MESSAGE_ID_LENGTH = 24
_TIME_DIGITS = 12
_ID = re.compile(r"[0-9a-f]{24}")
_FLIP = str.maketrans("0123456789abcdef", "fedcba9876543210")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

MAX_PAGE = MAX_HISTORY_PAGE
"""The most a page holds: a ``history`` event's ``limit`` is 1 to 100 (``ChatHistoryPage`` too)."""
MAX_PAGE_BYTES = 256 * 1024
"""The most JSON a page's messages may take, as the array ``[...]`` they form."""
MAX_STORED_TEXT = 32 * 1024
"""The longest text a row holds, in UTF-16 code units: Table Storage keeps a
string property in at most 64 KiB of UTF-16 (contract section 10)."""


def message_id(event_id: str, event_time: datetime) -> str:
    """The id of the message posted by the event ``event_id`` (``ce-id``) at ``event_time``.

    The same event always gives the same id. Raises ValueError for a time
    before 1970 or a naive time (any later ``datetime`` fits in 12 hex digits).
    """
    ms = milliseconds(event_time)
    if ms < 0:
        raise ValueError("the event's time is before 1970, where message ids start")
    # UTF-8 (the default); a lone surrogate (JSON can spell one) is hashed too.
    digest = hashlib.sha256(event_id.encode(errors="surrogatepass")).hexdigest()
    return f"{ms:0{_TIME_DIGITS}x}{digest[: MESSAGE_ID_LENGTH - _TIME_DIGITS]}"


def is_message_id(value: object) -> TypeGuard[str]:
    """Whether ``value`` has the form of a message id (a ``before`` cursor must)."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def message_time(message_id: str) -> datetime:
    """The time an id was made for, to the millisecond; raises ValueError for a non-id."""
    _check_id(message_id)
    return _EPOCH + timedelta(milliseconds=int(message_id[:_TIME_DIGITS], 16))


def row_key(message_id: str) -> str:
    """The ``RowKey`` of a message: its id with each hex digit flipped (newest sorts first)."""
    _check_id(message_id)
    return message_id.translate(_FLIP)


def id_of_row_key(key: str) -> str:
    """The message id a ``RowKey`` stands for; raises ValueError for a key that is not one."""
    message_id = key.translate(_FLIP)
    _check_id(message_id)
    return message_id


def oldest_kept_row_key(cutoff: datetime) -> str:
    """The highest row key of a message at or after ``cutoff``: rows at or below it are kept.

    A message of the cutoff's very millisecond is kept; every row key above
    this one is older. A cutoff before 1970 keeps every message.
    """
    ms = max(milliseconds(cutoff), 0)
    return row_key(f"{ms:0{_TIME_DIGITS}x}" + "0" * (MESSAGE_ID_LENGTH - _TIME_DIGITS))


def retention_cutoff(now: datetime, days: int) -> datetime | None:
    """The time before which messages are no longer served or kept; None when ``days`` is 0 (keep all)."""
    if days < 0:
        raise ValueError("days must be 0 or more")
    if days == 0:
        return None
    try:
        return now - timedelta(days=days)
    except OverflowError:
        return _EPOCH  # before year 1: every message is younger


def text_fits(text: str) -> bool:
    """Whether ``text`` fits in one row's string property (``MAX_STORED_TEXT`` UTF-16 units)."""
    return len(text.encode("utf-16-le", "surrogatepass")) <= 2 * MAX_STORED_TEXT


@dataclass(frozen=True)
class StoredMessage:
    """A chat message as history keeps it. A deleted one keeps its id and author, not its text."""

    id: str
    room: str
    sender: str
    text: str
    deleted: bool = False

    def __post_init__(self) -> None:
        _check_id(self.id)
        if not text_fits(self.text):
            raise ValueError(f"a stored text holds at most {MAX_STORED_TEXT} UTF-16 code units")
        if self.deleted and self.text:
            raise ValueError("a deleted message keeps no text")

    @property
    def at(self) -> datetime:
        """When the message was posted (its event's time, to the millisecond)."""
        return message_time(self.id)

    def as_deleted(self) -> StoredMessage:
        """The same message once its author deleted it."""
        return replace(self, text="", deleted=True)

    def wire(self) -> dict[str, object]:
        """What clients receive: ``{"type":"message","id","from","room","text","at"}``,
        or ``"deleted": true`` instead of the text."""
        body: dict[str, object] = {"type": "message", "id": self.id, "from": self.sender, "room": self.room}
        if self.deleted:
            body["deleted"] = True
        else:
            body["text"] = self.text
        body["at"] = timestamp(self.at)
        return body


def new_message(event_id: str, event_time: datetime, room: str, sender: str, text: str) -> StoredMessage:
    """The message a ``message`` event posts, with the id its event gives it."""
    return StoredMessage(id=message_id(event_id, event_time), room=room, sender=sender, text=text)


def timestamp(at: datetime) -> str:
    """ISO 8601 in UTC to the millisecond with a ``Z``, as the chat writes every ``at``.

    Raises ValueError for a naive time.
    """
    t = _EPOCH + timedelta(milliseconds=milliseconds(at))
    return f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Page:
    """Messages of one room, oldest first, and whether older ones exist."""

    messages: tuple[StoredMessage, ...]
    more: bool

    def wire(self) -> list[dict[str, object]]:
        """The messages as clients receive them, oldest first."""
        return [message.wire() for message in self.messages]


def page(newest_first: Sequence[StoredMessage], limit: int) -> Page:
    """The page a store answers from what it read: up to ``limit + 1`` messages, newest first.

    It holds the newest ``limit`` of them, fewer when their JSON array would
    pass ``MAX_PAGE_BYTES``; ``more`` says whether older ones were left out.
    A stored message is far smaller than the cap (see ``text_fits``), so a
    page holds at least one message when there is one.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE}")
    taken: list[StoredMessage] = []
    size = len("[]")
    for message in newest_first[:limit]:
        # Compact ASCII JSON: one character is one byte; a comma between items.
        size += len(strict_json.dumps(message.wire())) + (1 if taken else 0)
        if size > MAX_PAGE_BYTES:
            return Page(tuple(reversed(taken)), True)
        taken.append(message)
    return Page(tuple(reversed(taken)), len(newest_first) > limit)


def is_page_limit(value: object) -> TypeGuard[int]:
    """Whether ``value`` is a ``limit`` a ``history`` event may ask for: an integer 1 to 100."""
    return type(value) is int and 1 <= value <= MAX_PAGE


def milliseconds(at: datetime) -> int:
    """Milliseconds since 1970 of an aware time (rounded down); raises ValueError for a naive one."""
    if at.tzinfo is None:
        raise ValueError("a time without a time zone is ambiguous")
    return (at - _EPOCH) // timedelta(milliseconds=1)


def _check_id(value: str) -> None:
    if not is_message_id(value):
        raise ValueError("not a message id (24 lowercase hex digits)")
