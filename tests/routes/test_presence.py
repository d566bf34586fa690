import json

import pytest

from routes.http import HttpAnswer
from routes.presence import (
    MAX_LISTED,
    RoomQuery,
    UserQuery,
    parse_query,
    room_answer,
    user_answer,
)


def error(reply):
    assert isinstance(reply, HttpAnswer)
    return reply.status, json.loads(reply.body)["error"]


def test_a_user_or_a_room_query_is_parsed():
    assert parse_query({"user": "bob"}) == UserQuery("bob")
    assert parse_query({"room": "lobby"}) == RoomQuery("lobby")


@pytest.mark.parametrize(
    "params, field",
    [
        ({}, "user"),
        ({"user": "a", "room": "b"}, "user"),
        ({"user": ""}, "user"),
        ({"user": "x" * 1025}, "user"),
        ({"user": "new\nline"}, "user"),
        ({"room": "no spaces"}, "room"),
        ({"room": ""}, "room"),
    ],
)
def test_a_bad_query_is_a_400_naming_the_parameter(params, field):
    status, body = error(parse_query(params))
    assert (status, body["field"]) == (400, field)


def test_the_user_answer_says_whether_the_user_is_connected():
    reply = user_answer(UserQuery("bob"), True)
    assert (reply.status, json.loads(reply.body)) == (200, {"user": "bob", "connected": True})
    assert reply.headers["Cache-Control"] == "no-store"


def test_the_room_answer_is_bounded_and_says_when_it_was_cut():
    members = [(f"c{i}", f"u{i}") for i in range(MAX_LISTED + 1)]
    body = json.loads(room_answer(RoomQuery("lobby"), members).body)
    assert len(body["connections"]) == MAX_LISTED and body["truncated"] is True
    body = json.loads(room_answer(RoomQuery("lobby"), members[:2]).body)
    assert body == {
        "room": "lobby",
        "connections": [{"connectionId": "c0", "userId": "u0"}, {"connectionId": "c1", "userId": "u1"}],
        "truncated": False,
    }
