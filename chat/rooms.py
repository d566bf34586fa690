"""Room names and the per-connection list of joined rooms.

The function app is stateless: the rooms a connection has joined live in the
connection's Web PubSub ``states`` under ``ROOMS_STATE``, and come back with
every later event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, TypeGuard

import msgspec

from codec import strict_json

ROOMS_STATE = "rooms"
MAX_ROOM_LENGTH = 64
ROOM_RULE = f"1 to {MAX_ROOM_LENGTH} letters, digits, '-' or '_'"
"""What a room name may be, for error messages."""

RoomLength = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ROOM_LENGTH)]
"""A string of a room name's length, for typed decoding; ``is_room_name``
checks its characters (msgspec's own pattern check costs about a
microsecond a string, several times the whole of ``is_room_name``)."""

_NAME_CHARACTERS = re.compile(r"[A-Za-z0-9_-]*")  # the length is checked on its own


def is_room_name(value: object) -> TypeGuard[str]:
    """True when ``value`` is 1 to 64 ASCII letters, digits, '-' or '_'."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ROOM_LENGTH:
        return False
    if value.isalnum():
        # Letters and digits only, the usual name: two string tests are
        # several times faster than the pattern.
        return value.isascii()
    return _NAME_CHARACTERS.fullmatch(value) is not None


def rooms_from_states(states: Mapping[str, object], limit: int | None = None) -> tuple[str, ...]:
    """The rooms recorded in a connection's states, in join order, at most ``limit`` of them.

    The extension hands states over as raw JSON values (a list here). A value
    that arrives JSON-encoded as a string is decoded too, so either form of
    the extension works. Anything that is not a valid room name is dropped:
    states are data from the wire, not trusted input. Reading stops at
    ``limit`` rooms (the handlers pass the per-connection room limit), so a
    forged or corrupted list of thousands costs no more than a full one.
    """
    value = _recorded(states)
    if value is None:
        return ()
    # A dict's keys: the join order kept, a duplicate found in constant time.
    rooms: dict[str, None] = {}
    for room in value:
        if limit is not None and len(rooms) >= limit:
            break
        if is_room_name(room):
            rooms.setdefault(room)
    return tuple(rooms)


def in_room(states: Mapping[str, object], room: str, limit: int | None = None) -> bool:
    """True when ``room`` (a valid name) is among the rooms ``rooms_from_states`` reads with ``limit``."""
    value = _recorded(states)
    if value is None:
        return False
    if limit is None:
        return room in value
    # A list no longer than the limit is read whole, and its entries that are
    # not room names never equal one: the usual short list needs no copy.
    # (At exactly the limit both ways agree: ``<`` would change only speed.)
    if len(value) <= limit:  # pragma: no mutate
        return room in value
    return room in rooms_from_states(states, limit)


def _recorded(states: Mapping[str, object]) -> list[object] | None:
    """The list recorded under ``ROOMS_STATE``, raw or JSON-encoded; None for anything else."""
    value = states.get(ROOMS_STATE)
    if isinstance(value, str):
        try:
            value = strict_json.loads(value)
        except (ValueError, RecursionError):
            return None
    return value if isinstance(value, list) else None


def rooms_state(rooms: tuple[str, ...]) -> dict[str, object]:
    """The ``states`` entry that records ``rooms``."""
    return {ROOMS_STATE: list(rooms)}
