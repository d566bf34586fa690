"""``/api/presence``: who is connected, asked of the service through the SDK.

``?user=<id>`` answers whether the user has a connection; ``?room=<name>``
lists the room's connections, at most ``MAX_LISTED`` of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from chat.rooms import ROOM_RULE, is_room_name
from chat.settings import SettingsError
from routes.gateway import GatewayError, WebPubSubGateway, gateway_failure
from routes.http import HttpAnswer, error_answer, json_answer

MAX_LISTED = 100
MAX_USER_ID_LENGTH = 1024


@dataclass(frozen=True)
class UserQuery:
    """Is this user connected?"""

    user: str


@dataclass(frozen=True)
class RoomQuery:
    """Who is in this room?"""

    room: str


def presence(params: Mapping[str, str], gateway: WebPubSubGateway, hub: Callable[[], str]) -> HttpAnswer:
    """Answer a presence query by asking the service; a bad query never reaches it."""
    query = parse_query(params)
    if isinstance(query, HttpAnswer):
        return query
    try:
        if isinstance(query, RoomQuery):
            return room_answer(query, gateway.room_connections(hub(), query.room, MAX_LISTED + 1))
        return user_answer(query, gateway.user_connected(hub(), query.user))
    except (SettingsError, GatewayError) as err:
        return gateway_failure(err)


def parse_query(params: Mapping[str, str]) -> UserQuery | RoomQuery | HttpAnswer:
    """The question asked, or a 400 naming the parameter."""
    user, room = params.get("user"), params.get("room")
    if (user is None) == (room is None):
        return error_answer(400, "invalid_query", "give exactly one of user or room", field="user")
    if user is not None:
        if not 1 <= len(user) <= MAX_USER_ID_LENGTH or not user.isprintable():
            return error_answer(
                400,
                "invalid_query",
                f"user must be 1 to {MAX_USER_ID_LENGTH} printable characters",
                field="user",
            )
        return UserQuery(user)
    if not is_room_name(room):
        return error_answer(400, "invalid_query", f"room must be {ROOM_RULE}", field="room")
    return RoomQuery(room)


def user_answer(query: UserQuery, connected: bool) -> HttpAnswer:
    """``{"user", "connected"}``, never cached."""
    return json_answer(200, {"user": query.user, "connected": connected}, Cache_Control="no-store")


def room_answer(query: RoomQuery, members: list[tuple[str, str | None]]) -> HttpAnswer:
    """``members`` may hold one more than MAX_LISTED: that one says the list was cut."""
    listed = [{"connectionId": c, "userId": u} for c, u in members[:MAX_LISTED]]
    body = {"room": query.room, "connections": listed, "truncated": len(members) > MAX_LISTED}
    return json_answer(200, body, Cache_Control="no-store")
