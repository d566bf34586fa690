import json

import pytest

from codec.actions import CloseAllConnections, GrantPermission, SendToGroup, SendToUser
from codec.datatype import DataType
from routes import broadcast_body
from routes.broadcast import InvalidAction, _data


def decode(value) -> tuple:
    return broadcast_body.decode_exact(json.dumps(value).encode(), _data)


def test_a_body_in_the_exact_form_decodes_straight_into_actions():
    assert decode(
        [
            {"actionName": "sendToGroup", "group": "lobby", "dataType": "json", "data": {"n": 1}},
            {"actionName": "sendToUser", "userId": "u", "data": "hi"},
            {"actionName": "closeAllConnections", "excluded": ["c1"]},
            {
                "actionName": "grantPermission",
                "connectionId": "c",
                "permission": "sendToGroup",
                "targetName": "g",
            },
        ]
    ) == (
        SendToGroup(group="lobby", data='{"n":1}', data_type=DataType.JSON),
        SendToUser(user_id="u", data="hi"),
        CloseAllConnections(excluded=("c1",)),
        GrantPermission(connection_id="c", permission="sendToGroup", target_name="g"),
    )


def test_one_action_alone_and_a_null_data_type_are_the_exact_form_too():
    assert decode({"actionName": "sendToUser", "userId": "u", "data": "x", "dataType": None}) == (
        SendToUser(user_id="u", data="x", data_type=DataType.TEXT),
    )


@pytest.mark.parametrize(
    "value",
    [
        {"actionName": "SendToUser", "userId": "u", "data": "x"},  # another spelling
        {"actionName": "sendToUser", "userId": "u", "data": "x", "dataType": "JSON"},
        {
            "actionName": "sendToAll",
            "data": "x",
            "filter": "userId eq 'a'",
        },  # filters are read field by field
        {"actionName": "sendToAll", "data": "x", "other": 1},
        {"actionName": "closeAllConnections", "reason": None},  # null is not a reason
        {"actionName": "closeAllConnections", "reason": ""},
        {"actionName": "sendToUser", "userId": "u" * 1025, "data": "x"},
        {"actionName": "sendToGroup", "group": "bad room", "data": "x"},
        {"actionName": "grantPermission", "connectionId": "c", "permission": "sendtogroup"},
        [],
        [{"actionName": "sendToAll", "data": "x"}] * (broadcast_body.MAX_ACTIONS + 1),
    ],
)
def test_anything_else_is_not_the_exact_form(value):
    with pytest.raises(broadcast_body.NotExact):
        decode(value)


def test_data_the_route_refuses_ends_the_exact_reading_with_its_reason():
    with pytest.raises(InvalidAction, match="data must be a string when dataType is text"):
        decode({"actionName": "sendToGroup", "group": "lobby", "data": 5})


def test_the_exact_form_takes_up_to_the_action_limit():
    assert len(decode([{"actionName": "sendToAll", "data": "x"}] * broadcast_body.MAX_ACTIONS)) == 1000
