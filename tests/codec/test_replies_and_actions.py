"""The replies and actions as the extension reads them, field by field."""

import pytest

from codec import strict_json
from codec.actions import (
    ACTION_TYPES,
    AddConnectionToGroup,
    CloseAllConnections,
    CloseGroupConnections,
    GrantPermission,
    SendToAll,
    SendToGroup,
    encode_actions,
    wire_fields_of,
    wire_name,
    written_as_is,
)
from codec.datatype import DataType
from codec.replies import ConnectReply, ErrorCode, ErrorReply, UserEventReply


def test_a_connect_reply_writes_every_field_that_is_set():
    reply = ConnectReply(
        user_id="u", groups=("a", "b"), roles=("webpubsub.joinLeaveGroup",), subprotocol="p", states={"k": 1}
    )
    assert reply.to_binding() == {
        "userId": "u",
        "groups": ["a", "b"],
        "roles": ["webpubsub.joinLeaveGroup"],
        "subprotocol": "p",
        "states": {"k": 1},
    }
    assert ConnectReply().to_binding() == {}


def test_a_user_event_reply_and_an_error_reply_as_the_extension_reads_them():
    assert UserEventReply("x").to_binding() == {"data": "x", "dataType": "text"}
    assert UserEventReply("{}", DataType.JSON, {"rooms": []}).to_binding() == {
        "data": "{}",
        "dataType": "json",
        "states": {"rooms": []},
    }
    assert ErrorReply(ErrorCode.SERVER_ERROR, "m").to_binding() == {
        "code": "serverError",
        "errorMessage": "m",
    }


@pytest.mark.parametrize("code, status", [("unauthorized", 401), ("userError", 400), ("serverError", 500)])
def test_each_error_code_is_the_status_the_service_sees(code, status):
    assert ErrorCode(code).http_status == status


@pytest.mark.parametrize(
    "name, wire",
    [("data", "data"), ("data_type", "dataType"), ("target_name", "targetName"), ("a_b_c", "aBC")],
)
def test_field_names_become_the_bindings_camel_case(name, wire):
    assert wire_name(name) == wire


def test_each_action_declares_its_binding_fields_in_order():
    assert list(wire_fields_of(SendToGroup)) == ["group", "data", "dataType", "excluded"]
    assert list(wire_fields_of(GrantPermission)) == ["connectionId", "permission", "targetName"]
    assert list(wire_fields_of(CloseGroupConnections)) == ["group", "excluded", "reason"]
    assert all(cls.wire_fields() == wire_fields_of(cls) for cls in ACTION_TYPES.values())


@pytest.mark.parametrize("value", [5, None, b"text", ["text"]])
def test_a_data_type_that_is_not_a_string_names_none(value):
    assert DataType.parse(value) is None


@pytest.mark.parametrize("value, expected", [("TEXT", DataType.TEXT), ("Json", DataType.JSON), ("xml", None)])
def test_data_types_are_named_in_any_case(value, expected):
    assert DataType.parse(value) is expected


ENCODED_ALIKE = [
    SendToAll(data="x"),
    SendToAll(data=b"\x00\xff", data_type=DataType.BINARY),
    SendToGroup(group="lobby", data='{"t":"é"}', data_type=DataType.JSON, excluded=("c1",)),
    SendToGroup(group="lobby", data="\ud800"),
    CloseAllConnections(),
    CloseAllConnections(excluded=("c1",), reason="bye"),
    CloseGroupConnections(group="g", reason=None),
    GrantPermission(connection_id="c", permission="sendToGroup"),
    GrantPermission(connection_id="c", permission="sendToGroup", target_name="g"),
    AddConnectionToGroup(connection_id="c", group="g"),
]


@pytest.mark.parametrize("action", ENCODED_ALIKE)
def test_an_action_is_written_as_its_binding_object_compact_and_ascii(action):
    assert encode_actions([action]) == strict_json.dumps([action.to_binding()])


def test_a_list_of_actions_is_written_as_the_list_of_their_binding_objects():
    expected = strict_json.dumps([a.to_binding() for a in ENCODED_ALIKE])
    assert encode_actions(ENCODED_ALIKE) == expected
    assert encode_actions(a for a in ENCODED_ALIKE if not isinstance(a, CloseAllConnections)) == (
        strict_json.dumps([a.to_binding() for a in ENCODED_ALIKE if not isinstance(a, CloseAllConnections)])
    )


def test_no_actions_is_no_output():
    assert encode_actions([]) is None
    assert encode_actions(iter(())) is None


def test_plain_sends_are_written_exactly():
    assert encode_actions([SendToGroup(group="g", data="hi"), AddConnectionToGroup("c", "g")]) == (
        '[{"actionName":"sendToGroup","group":"g","data":"hi","dataType":"text","excluded":[]},'
        '{"actionName":"addConnectionToGroup","connectionId":"c","group":"g"}]'
    )


def test_every_action_is_tagged_with_its_name_and_its_fields_carry_their_binding_names():
    for cls in ACTION_TYPES.values():
        assert cls.__struct_config__.tag == cls.action_name
        assert [f.encode_name for f in cls.wire_fields().values()] == list(cls.wire_fields())


@pytest.mark.parametrize(
    "action, as_is",
    [
        (SendToGroup(group="g", data="x"), True),
        (SendToAll(data=b"x", data_type=DataType.BINARY), False),
        (AddConnectionToGroup(connection_id="c", group="g"), True),
        (CloseAllConnections(), False),
        (CloseAllConnections(reason="r"), True),
        (GrantPermission(connection_id="c", permission="sendToGroup"), False),
        (GrantPermission(connection_id="c", permission="sendToGroup", target_name="g"), True),
    ],
)
def test_msgspec_writes_an_action_itself_unless_a_field_is_none_or_bytes(action, as_is):
    assert written_as_is(action) is as_is
