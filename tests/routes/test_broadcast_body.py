import json

import msgspec
import pytest

from codec.actions import (
    ACTION_TYPES,
    CloseAllConnections,
    CloseGroupConnections,
    GrantPermission,
    SendToGroup,
    SendToUser,
)
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
        {"actionName": "sendToGroup", "group": "g" * 65, "data": "x"},
        {
            "actionName": "grantPermission",
            "connectionId": "c",
            "permission": "sendToGroup",
            "targetName": "a b",
        },
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


@pytest.mark.parametrize("cls", list(ACTION_TYPES.values()), ids=lambda cls: cls.action_name)
def test_each_request_struct_has_its_actions_binding_fields_its_tag_and_no_other_field(cls):
    struct = broadcast_body.request_struct(cls)
    names = {f.encode_name: f for f in msgspec.structs.fields(struct)}
    assert set(names) == set(cls.wire_fields())
    assert all(f.required == cls.wire_fields()[key].required for key, f in names.items() if key != "dataType")
    config = struct.__struct_config__
    assert (config.tag_field, config.tag, config.forbid_unknown_fields) == (
        "actionName",
        cls.action_name,
        True,
    )


def test_a_request_struct_applies_the_limits_and_the_actions_defaults():
    struct = broadcast_body.request_struct(CloseGroupConnections)
    decoded = msgspec.json.decode(b'{"actionName": "closeGroupConnections", "group": "g"}', type=struct)
    assert (decoded.group, decoded.excluded, decoded.reason) == ("g", (), None)
    # A room's characters are checked by decode_exact (see above), its length here.
    for bad in (
        '"group": "' + "g" * 65 + '"',
        '"group": "g", "reason": null',
        '"group": "g", "excluded": [""]',
    ):
        with pytest.raises(msgspec.ValidationError):
            msgspec.json.decode(f'{{"actionName": "closeGroupConnections", {bad}}}'.encode(), type=struct)
    sends = broadcast_body.request_struct(SendToGroup)
    decoded = msgspec.json.decode(
        b'{"actionName": "sendToGroup", "group": "g", "data": {"a": [1]}}', type=sends
    )
    assert (decoded.data, decoded.data_type) == ({"a": [1]}, None)
