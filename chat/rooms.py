"""Room names and the per-connection list of joined rooms.

The function app is stateless: the rooms a connection has joined live in the
connection's Web PubSub ``states`` under ``ROOMS_STATE``, and come back with
every later event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TypeGuard

from codec import strict_json

ROOMS_STATE = "rooms"
ROOM_RULE = "1 to 64 letters, digits, '-' or '_'"
"""What a room name may be, for error messages."""
MAX_ROOM_LENGTH = 64

_ROOM = re.compile(r"[A-Za-z0-9_-]{1,64}")


def is_room_name(value: object) -> TypeGuard[str]:
    """True when ``value`` is 1 to 64 ASCII letters, digits, '-' or '_'."""
    return isinstance(value, str) and _ROOM.fullmatch(value) is not None


def rooms_from_states(states: Mapping[str, object]) -> tuple[str, ...]:
    """The rooms recorded in a connection's states, in join order.

    The extension hands states over as raw JSON values (a list here). A value
    that arrives JSON-encoded as a string is decoded too, so either form of
    the extension works. Anything that is not a valid room name is dropped:
    states are data from the wire, not trusted input.
    """
    value = states.get(ROOMS_STATE)
    if isinstance(value, str):
        try:
            value = strict_json.loads(value)
        except (ValueError, RecursionError):
            return ()
    if not isinstance(value, list):
        return ()
    rooms: list[str] = []
    for room in value:
        if is_room_name(room) and room not in rooms:
            rooms.append(room)
    return tuple(rooms)


def rooms_state(rooms: tuple[str, ...]) -> dict[str, object]:
    """The ``states`` entry that records ``rooms``."""
    return {ROOMS_STATE: list(rooms)}
