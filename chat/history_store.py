"""What the chat needs from a message store, and the one error it raises.

``adapters.tables`` implements ``HistoryStore`` on Azure Table Storage
(Azurite locally); the tests use an in-memory fake. The composition root
builds the store and hands it in, as it does the Web PubSub gateway.

It lives in ``chat`` rather than ``routes`` so that the event functions can
name it without loading anything else; it does no I/O itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from chat.history import Page, StoredMessage


class HistoryUnavailable(Exception):
    """The store could not be reached, refused the credentials or failed.

    ``status`` is the storage service's HTTP status (None when nothing
    answered). The text says what failed and never carries a secret.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class HistoryStore(Protocol):
    """The rooms' messages, one partition per room, newest first. Every call may raise HistoryUnavailable."""

    async def put_message(self, message: StoredMessage) -> None:
        """Store ``message`` unless a message of that id is already in its room.

        A retried event stores nothing new: in particular a message deleted
        since keeps its deletion.
        """
        ...

    async def latest(
        self, room: str, limit: int, *, before: str | None = None, not_before: datetime | None = None
    ) -> Page:
        """The room's newest ``limit`` messages older than the message ``before`` (a
        message id) and not older than ``not_before``, in one query, as
        ``chat.history.page`` cuts them (oldest first, ``more``)."""
        ...

    async def get(self, room: str, message_id: str) -> StoredMessage | None:
        """The room's message of that id, deleted or not; None when there is none."""
        ...

    async def mark_deleted(self, room: str, message_id: str) -> bool:
        """Remove the message's text and mark it deleted; False when there is no such message."""
        ...

    async def delete_older_than(self, cutoff: datetime) -> int:
        """Delete every room's messages older than ``cutoff``; returns how many were deleted."""
        ...

    async def close(self) -> None:
        """Release connections (the store may be used again afterwards)."""
        ...
