"""``/api/presence``: who is connected, asked of the service through the SDK.

``?user=<id>`` answers whether the user has a connection; ``?room=<name>``
lists the room's connections, at most ``MAX_LISTED`` of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chat.http import HttpReply, error_reply, json_reply
from chat.rooms import ROOM_RULE, is_room_name

MAX_LISTED = 100
MAX_USER_ID_LENGTH = 1024


@dataclass(frozen=True)
class UserQuery:
    user: str


@dataclass(frozen=True)
class RoomQuery:
    room: str


def parse_query(params: Mapping[str, str]) -> UserQuery | RoomQuery | HttpReply:
    """The question asked, or a 400 naming the parameter."""
    user, room = params.get("user"), params.get("room")
    if (user is None) == (room is None):
        return error_reply(400, "invalid_query", "give exactly one of user or room", field="user")
    if user is not None:
        if not 1 <= len(user) <= MAX_USER_ID_LENGTH or not user.isprintable():
            return error_reply(
                400,
                "invalid_query",
                f"user must be 1 to {MAX_USER_ID_LENGTH} printable characters",
                field="user",
            )
        return UserQuery(user)
    if not is_room_name(room):
        return error_reply(400, "invalid_query", f"room must be {ROOM_RULE}", field="room")
    return RoomQuery(room)


def user_reply(query: UserQuery, connected: bool) -> HttpReply:
    return json_reply(200, {"user": query.user, "connected": connected}, Cache_Control="no-store")


def room_reply(query: RoomQuery, members: list[tuple[str, str | None]]) -> HttpReply:
    """``members`` may hold one more than MAX_LISTED: that one says the list was cut."""
    listed = [{"connectionId": c, "userId": u} for c, u in members[:MAX_LISTED]]
    body = {"room": query.room, "connections": listed, "truncated": len(members) > MAX_LISTED}
    return json_reply(200, body, Cache_Control="no-store")
