"""What the local service knows: hubs, connections, groups, users and permissions.

This module owns that state. The client protocols and the REST API change it
only through ``Service``'s methods, and reach a client only through its
``Sink`` (the protocol that carries messages to it). Nothing here does I/O
itself: delivering and closing are the sinks' business.

Names follow the data-plane API: a hub's name is case-insensitive; group
names, user ids and connection ids are compared exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

DataType = Literal["text", "json", "binary"]
Permission = Literal["sendToGroup", "joinLeaveGroup"]
PERMISSIONS: tuple[Permission, ...] = ("sendToGroup", "joinLeaveGroup")


@dataclass(frozen=True)
class Message:
    """One message on its way to clients.

    ``data`` is the payload as sent: UTF-8 text or JSON text for ``text`` and
    ``json``, raw bytes for ``binary``. ``group`` is set for a message sent to
    a group by a client (``from: group``); otherwise it came from the server.
    """

    data: bytes
    data_type: DataType
    group: str | None = None
    from_user_id: str | None = None


class Sink(Protocol):
    """How the service reaches one client; each client protocol provides one."""

    async def deliver(self, message: Message) -> None:
        """Send ``message`` to the client (a closed client drops it), without waiting for the client."""

    async def close(self, reason: str) -> None:
        """Close the client's connection, telling it ``reason`` where the protocol can, without
        waiting for the client."""


@dataclass(eq=False)
class Connection:
    """One client connection, as the service tracks it."""

    id: str
    hub: str
    user_id: str | None
    sink: Sink
    protocol: str | None = None
    roles: set[str] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    states: dict[str, object] = field(default_factory=dict)

    def may(self, permission: Permission, group: str) -> bool:
        """Whether the client may ``joinLeaveGroup`` or ``sendToGroup`` for ``group``."""
        return f"webpubsub.{permission}" in self.roles or f"webpubsub.{permission}.{group}" in self.roles


def _role(permission: Permission, target: str | None) -> str:
    return f"webpubsub.{permission}" + (f".{target}" if target else "")


@dataclass
class _Hub:
    connections: dict[str, Connection] = field(default_factory=dict)
    # Users' group memberships outlive their connections: a user added to a
    # group is in it on every connection, present and future.
    user_groups: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


class Service:
    """Every hub's connections, groups, users and permissions, behind methods."""

    def __init__(self) -> None:
        self._hubs: dict[str, _Hub] = defaultdict(_Hub)

    def _hub(self, hub: str) -> _Hub:
        return self._hubs[hub.lower()]

    # connections

    def add(self, conn: Connection) -> None:
        """Register a new (or resumed) connection, with its user's groups."""
        hub = self._hub(conn.hub)
        hub.connections[conn.id] = conn
        if conn.user_id:
            conn.groups |= hub.user_groups.get(conn.user_id, set())

    def remove(self, hub: str, connection_id: str) -> Connection | None:
        """Forget a connection; returns it if it was there."""
        return self._hub(hub).connections.pop(connection_id, None)

    def connection(self, hub: str, connection_id: str) -> Connection | None:
        return self._hub(hub).connections.get(connection_id)

    def connections(self, hub: str) -> list[Connection]:
        return list(self._hub(hub).connections.values())

    def all_connections(self) -> list[Connection]:
        return [c for hub in self._hubs.values() for c in hub.connections.values()]

    def of_user(self, hub: str, user_id: str) -> list[Connection]:
        return [c for c in self.connections(hub) if c.user_id == user_id]

    def in_group(self, hub: str, group: str) -> list[Connection]:
        return [c for c in self.connections(hub) if group in c.groups]

    def group_exists(self, hub: str, group: str) -> bool:
        """A group exists while a connection is in it."""
        return any(group in c.groups for c in self.connections(hub))

    def user_exists(self, hub: str, user_id: str) -> bool:
        """A user exists while it has a connection."""
        return any(c.user_id == user_id for c in self.connections(hub))

    # groups

    def join(self, conn: Connection, group: str) -> None:
        conn.groups.add(group)

    def leave(self, conn: Connection, group: str) -> None:
        conn.groups.discard(group)

    def leave_all(self, conn: Connection) -> None:
        conn.groups.clear()

    def add_user_to_group(self, hub: str, user_id: str, group: str) -> None:
        self._hub(hub).user_groups[user_id].add(group)
        for conn in self.of_user(hub, user_id):
            conn.groups.add(group)

    def remove_user_from_group(self, hub: str, user_id: str, group: str) -> None:
        self._hub(hub).user_groups[user_id].discard(group)
        for conn in self.of_user(hub, user_id):
            conn.groups.discard(group)

    def remove_user_from_all_groups(self, hub: str, user_id: str) -> None:
        self._hub(hub).user_groups.pop(user_id, None)
        for conn in self.of_user(hub, user_id):
            conn.groups.clear()

    # permissions

    def grant(self, conn: Connection, permission: Permission, target: str | None = None) -> None:
        conn.roles.add(_role(permission, target))

    def revoke(self, conn: Connection, permission: Permission, target: str | None = None) -> None:
        conn.roles.discard(_role(permission, target))

    def has_permission(self, conn: Connection, permission: Permission, target: str | None = None) -> bool:
        """Whether ``conn`` holds the permission (for ``target``, or hub-wide when ``None``)."""
        if target is None:
            return _role(permission, None) in conn.roles
        return conn.may(permission, target)

    # states

    def set_states(self, conn: Connection, states: dict[str, object]) -> None:
        """Replace the connection's states with what an event handler answered."""
        conn.states = dict(states)

    # delivery

    async def send(self, targets: Iterable[Connection], message: Message) -> None:
        """Deliver ``message`` to each target in turn: a sink queues it and never waits for its
        client, so one slow client delays none of the others."""
        for conn in targets:
            await conn.sink.deliver(message)

    async def close(self, targets: Iterable[Connection], reason: str) -> None:
        """Close each target's connection (a sink never waits for its client to do it); each is
        removed when its protocol sees it end."""
        for conn in targets:
            await conn.sink.close(reason)
