"""An in-memory ``HistoryStore``: the rooms' messages, every call made, and scripted failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from chat import history
from chat.history import Page, StoredMessage
from chat.history_store import HistoryUnavailable


@dataclass
class FakeHistory:
    """Messages by room, then by row key (so in the order Table Storage keeps them).

    ``failure`` is raised by every call while it is set; ``calls`` names each
    call with its arguments, in order.
    """

    rows: dict[str, dict[str, StoredMessage]] = field(default_factory=dict)
    failure: HistoryUnavailable | None = None
    calls: list[tuple[object, ...]] = field(default_factory=list)
    closed: int = 0

    def messages(self, room: str) -> list[StoredMessage]:
        """The room's messages, oldest first."""
        partition = self.rows.get(room, {})
        return [partition[key] for key in sorted(partition, reverse=True)]

    async def put_message(self, message: StoredMessage) -> None:
        self._call("put_message", message)
        self.rows.setdefault(message.room, {}).setdefault(history.row_key(message.id), message)

    async def latest(
        self, room: str, limit: int, *, before: str | None = None, not_before: datetime | None = None
    ) -> Page:
        self._call("latest", room, limit, before, not_before)
        partition = self.rows.get(room, {})
        after = history.row_key(before) if before is not None else None
        through = history.oldest_kept_row_key(not_before) if not_before is not None else None
        keys = [
            key
            for key in sorted(partition)
            if (after is None or key > after) and (through is None or key <= through)
        ]
        return history.page([partition[key] for key in keys[: limit + 1]], limit)

    async def get(self, room: str, message_id: str) -> StoredMessage | None:
        self._call("get", room, message_id)
        return self.rows.get(room, {}).get(history.row_key(message_id))

    async def mark_deleted(self, room: str, message_id: str) -> bool:
        self._call("mark_deleted", room, message_id)
        partition = self.rows.get(room, {})
        key = history.row_key(message_id)
        if key not in partition:
            return False
        partition[key] = partition[key].as_deleted()
        return True

    async def delete_older_than(self, cutoff: datetime) -> int:
        self._call("delete_older_than", cutoff)
        through = history.oldest_kept_row_key(cutoff)
        deleted = 0
        for partition in self.rows.values():
            for key in [key for key in partition if key > through]:
                del partition[key]
                deleted += 1
        return deleted

    async def close(self) -> None:
        self.closed += 1

    def _call(self, *call: object) -> None:
        self.calls.append(call)
        if self.failure is not None:
            raise self.failure
