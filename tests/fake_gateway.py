"""An in-memory ``WebPubSubGateway``: what the routes asked of the service, and scripted answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from codec.actions import FilteredSend
from routes.gateway import GatewayError


@dataclass
class FakeGateway:
    """Records every call; ``users`` are connected, ``rooms`` list their members.

    ``failure`` is raised by the call number ``fail_at`` (0 for the first
    send of a ``send_filtered`` or the first presence call), with ``sent``
    set to the sends that went out before it.
    """

    users: set[str] = field(default_factory=set)
    rooms: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    failure: GatewayError | Exception | None = None
    fail_at: int = 0
    sent: list[tuple[str, FilteredSend]] = field(default_factory=list)
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def send_filtered(self, hub: str, sends: Sequence[FilteredSend]) -> int:
        for index, send in enumerate(sends):
            if self.failure is not None and index == self.fail_at:
                if isinstance(self.failure, GatewayError):
                    raise GatewayError(self.failure.status, str(self.failure), index)
                raise self.failure
            self.sent.append((hub, send))
        return len(sends)

    def user_connected(self, hub: str, user_id: str) -> bool:
        self.calls.append(("user_connected", hub, user_id))
        self._maybe_fail()
        return user_id in self.users

    def room_connections(self, hub: str, room: str, limit: int) -> list[tuple[str, str | None]]:
        self.calls.append(("room_connections", hub, room, str(limit)))
        self._maybe_fail()
        return self.rooms.get(room, [])[:limit]

    def _maybe_fail(self) -> None:
        if self.failure is not None:
            raise self.failure
