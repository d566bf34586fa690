import json

import pytest

from codec.actions import (
    ACTION_TYPES,
    CloseAllConnections,
    FilteredSend,
    GrantPermission,
    SendToAll,
    SendToGroup,
    SendToUser,
)
from codec.datatype import DataType
from routes.broadcast import (
    MAX_ACTIONS,
    MAX_BODY_BYTES,
    broadcast,
    check_filter,
    parse_actions,
)
from tests.fake_gateway import FakeGateway


def handle_broadcast(raw: bytes, gateway: FakeGateway | None = None):
    return broadcast(raw, gateway if gateway is not None else FakeGateway(), lambda: "chat")


def body(value) -> bytes:
    return json.dumps(value).encode()


def error_of(outcome):
    assert outcome.actions == ()
    return outcome.status, json.loads(outcome.body)["error"]


def test_one_action_is_accepted_with_202_and_a_summary():
    outcome = handle_broadcast(body({"actionName": "sendToAll", "data": "hello"}))
    assert outcome.actions == (SendToAll(data="hello"),)
    assert outcome.status == 202
    assert outcome.headers["Content-Type"] == "application/json"
    assert json.loads(outcome.body) == {"accepted": 1, "actions": {"sendToAll": 1}}


def test_a_list_of_actions_is_accepted_in_order():
    outcome = handle_broadcast(
        body(
            [
                {"actionName": "sendToGroup", "group": "lobby", "data": "a"},
                {"actionName": "sendToUser", "userId": "bob", "data": "b", "dataType": "text"},
                {"actionName": "sendToGroup", "group": "games", "data": "c", "excluded": ["c1"]},
            ]
        )
    )
    assert outcome.actions == (
        SendToGroup(group="lobby", data="a"),
        SendToUser(user_id="bob", data="b"),
        SendToGroup(group="games", data="c", excluded=("c1",)),
    )
    assert json.loads(outcome.body) == {
        "accepted": 3,
        "actions": {"sendToGroup": 2, "sendToUser": 1},
    }


def test_action_names_and_data_types_are_case_insensitive():
    (action,) = parse_actions(body({"actionName": "SendToAll", "data": 1, "dataType": "JSON"}))
    assert action == SendToAll(data="1", data_type=DataType.JSON)


def test_json_data_may_be_any_json_value_and_is_serialized():
    (action,) = parse_actions(body({"actionName": "sendToAll", "dataType": "json", "data": {"n": [1, 2]}}))
    assert action.data == '{"n":[1,2]}'
    (action,) = parse_actions(body({"actionName": "sendToAll", "dataType": "json", "data": "text"}))
    assert action.data == '"text"'


def test_binary_data_in_buffer_form_becomes_bytes():
    (action,) = parse_actions(
        body({"actionName": "sendToAll", "dataType": "binary", "data": {"type": "Buffer", "data": [0, 255]}})
    )
    assert action.data == b"\x00\xff"
    assert action.to_binding()["data"] == {"type": "Buffer", "data": [0, 255]}


def test_every_one_of_the_14_actions_parses_and_round_trips_to_its_binding_form():
    samples = [
        {"actionName": "sendToAll", "data": "d", "dataType": "text", "excluded": ["c"]},
        {"actionName": "sendToGroup", "group": "g", "data": "d", "dataType": "text", "excluded": []},
        {"actionName": "sendToUser", "userId": "u", "data": "d", "dataType": "text"},
        {"actionName": "sendToConnection", "connectionId": "c", "data": "d", "dataType": "text"},
        {"actionName": "addUserToGroup", "userId": "u", "group": "g"},
        {"actionName": "removeUserFromGroup", "userId": "u", "group": "g"},
        {"actionName": "removeUserFromAllGroups", "userId": "u"},
        {"actionName": "addConnectionToGroup", "connectionId": "c", "group": "g"},
        {"actionName": "removeConnectionFromGroup", "connectionId": "c", "group": "g"},
        {"actionName": "closeAllConnections", "excluded": ["c"], "reason": "r"},
        {"actionName": "closeClientConnection", "connectionId": "c", "reason": "r"},
        {"actionName": "closeGroupConnections", "group": "g", "excluded": ["c"], "reason": "r"},
        {
            "actionName": "grantPermission",
            "connectionId": "c",
            "permission": "sendToGroup",
            "targetName": "g",
        },
        {
            "actionName": "revokePermission",
            "connectionId": "c",
            "permission": "joinLeaveGroup",
            "targetName": "g",
        },
    ]
    assert {s["actionName"].lower() for s in samples} == set(ACTION_TYPES)
    actions = parse_actions(body(samples))
    assert [a.to_binding() for a in actions] == samples


def test_optional_fields_are_left_out_of_the_binding_form_when_absent():
    (action,) = parse_actions(body({"actionName": "closeAllConnections"}))
    assert action == CloseAllConnections()
    assert action.to_binding() == {"actionName": "closeAllConnections", "excluded": []}


def test_permission_names_are_normalised():
    (action,) = parse_actions(
        body({"actionName": "grantPermission", "connectionId": "c", "permission": "SENDTOGROUP"})
    )
    assert action == GrantPermission(connection_id="c", permission="sendToGroup")


@pytest.mark.parametrize(
    "action, field",
    [
        ({"actionName": "sendEverywhere", "data": "x"}, "actionName"),
        ({"data": "x"}, "actionName"),
        ({"actionName": 5}, "actionName"),
        ({"actionName": "sendToGroup", "data": "x"}, "group"),
        ({"actionName": "sendToGroup", "group": "no spaces", "data": "x"}, "group"),
        ({"actionName": "sendToGroup", "group": "g" * 65, "data": "x"}, "group"),
        ({"actionName": "sendToGroup", "group": "g"}, "data"),
        ({"actionName": "sendToAll", "data": {"a": 1}}, "data"),
        ({"actionName": "sendToAll", "data": "x", "dataType": "xml"}, "dataType"),
        ({"actionName": "sendToAll", "data": [1], "dataType": "binary"}, "data"),
        (
            {"actionName": "sendToAll", "data": {"type": "Buffer", "data": [256]}, "dataType": "binary"},
            "data",
        ),
        (
            {"actionName": "sendToAll", "data": {"type": "Buffer", "data": [True]}, "dataType": "binary"},
            "data",
        ),
        ({"actionName": "sendToAll", "data": "x", "excluded": "c1"}, "excluded"),
        ({"actionName": "sendToAll", "data": "x", "excluded": [""]}, "excluded"),
        ({"actionName": "sendToUser", "userId": "", "data": "x"}, "userId"),
        ({"actionName": "sendToUser", "userId": "u" * 1025, "data": "x"}, "userId"),
        ({"actionName": "sendToConnection", "connectionId": 12, "data": "x"}, "connectionId"),
        ({"actionName": "grantPermission", "connectionId": "c", "permission": "admin"}, "permission"),
        ({"actionName": "addUserToGroup", "userId": "u", "group": "g", "filter": "userId eq 'a'"}, "filter"),
        ({"actionName": "sendToAll", "data": "x", "grop": "typo"}, "grop"),
    ],
)
def test_an_invalid_action_is_a_400_naming_the_field(action, field):
    status, error = error_of(handle_broadcast(body(action)))
    assert status == 400
    assert error["code"] == "invalid_action"
    assert error["field"] == field
    assert "index" not in error


def test_one_invalid_action_in_a_list_sends_nothing_and_names_its_index():
    outcome = handle_broadcast(
        body(
            [
                {"actionName": "sendToAll", "data": "fine"},
                {"actionName": "sendToAll", "data": "fine"},
                {"actionName": "sendToGroup", "data": "no group"},
            ]
        )
    )
    status, error = error_of(outcome)
    assert (status, error["index"], error["field"]) == (400, 2, "group")


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe", b"null", b"42", b'"x"', b"[]", b"[1]"])
def test_a_body_that_is_not_actions_is_a_400(raw):
    status, error = error_of(handle_broadcast(raw))
    assert status == 400 and error["field"] in ("body", "actionName")


def test_too_many_actions_are_refused():
    status, error = error_of(
        handle_broadcast(body([{"actionName": "sendToAll", "data": "x"}] * (MAX_ACTIONS + 1)))
    )
    assert (status, error["field"]) == (400, "body")


def test_a_body_over_the_size_limit_is_a_413():
    raw = body({"actionName": "sendToAll", "data": "x" * MAX_BODY_BYTES})
    status, error = error_of(handle_broadcast(raw))
    assert (status, error["code"], error["field"]) == (413, "body_too_large", "body")


def test_a_send_with_a_filter_is_planned_for_the_sdk_and_the_rest_for_the_binding():
    gateway = FakeGateway()
    outcome = handle_broadcast(
        body(
            [
                {"actionName": "sendToAll", "data": "hi", "filter": "userId ne 'bot'"},
                {"actionName": "sendToGroup", "group": "lobby", "data": "plain"},
                {
                    "actionName": "sendToUser",
                    "userId": "u",
                    "dataType": "json",
                    "data": [1],
                    "filter": "'g1' in groups",
                },
            ]
        ),
        gateway,
    )
    assert outcome.status == 202
    assert outcome.actions == (SendToGroup(group="lobby", data="plain"),)
    assert gateway.sent == [
        ("chat", FilteredSend(SendToAll(data="hi"), "userId ne 'bot'")),
        (
            "chat",
            FilteredSend(SendToUser(user_id="u", data="[1]", data_type=DataType.JSON), "'g1' in groups"),
        ),
    ]
    assert json.loads(outcome.body) == {
        "accepted": 3,
        "actions": {"sendToAll": 1, "sendToGroup": 1, "sendToUser": 1},
    }


@pytest.mark.parametrize(
    "odata",
    [
        "userId eq 'a'",
        "connectionId ne 'c1' and protocol eq 'json.webpubsub.azure.v1'",
        "('admins' in groups) or userId eq 'o''brien'",
        "groups/any(g: g eq 'x')",
    ],
)
def test_well_formed_filters_pass(odata):
    assert check_filter(odata) == odata


@pytest.mark.parametrize(
    "odata, fragment",
    [
        ("", "1 to 1024"),
        ("   ", "1 to 1024"),
        (42, "1 to 1024"),
        ("userId eq '" + "a" * 1024 + "'", "1 to 1024"),
        ("userId eq 'a'\n", "control characters"),
        ("userId eq 'a", "unclosed quote"),
        ("(userId eq 'a'", "unbalanced parentheses"),
        ("userId eq 'a')(", "unbalanced parentheses"),
        ("name eq 'userId'", "must test userId"),
        ("1 eq 1", "must test userId"),
    ],
)
def test_malformed_filters_are_refused_naming_the_field(odata, fragment):
    gateway = FakeGateway()
    outcome = handle_broadcast(body({"actionName": "sendToAll", "data": "x", "filter": odata}), gateway)
    status, error = error_of(outcome)
    assert (status, error["field"]) == (400, "filter")
    assert fragment in error["message"]
    assert gateway.sent == []


def test_the_field_by_field_reading_takes_1000_actions_and_refuses_1001():
    # PascalCase names: only the field-by-field reading accepts them.
    item = {"actionName": "SendToAll", "data": "x"}
    assert handle_broadcast(body([item] * MAX_ACTIONS)).status == 202
    status, error = error_of(handle_broadcast(body([item] * (MAX_ACTIONS + 1))))
    assert (status, error["message"]) == (400, f"at most {MAX_ACTIONS} actions per request")


def test_the_field_by_field_reading_takes_one_character_ids_in_excluded_and_refuses_empty_ones():
    item = {"actionName": "CloseAllConnections", "excluded": ["c"]}
    assert handle_broadcast(body(item)).actions == (CloseAllConnections(excluded=("c",)),)
    status, error = error_of(handle_broadcast(body({**item, "excluded": [""]})))
    assert (status, error["field"], error["message"]) == (
        400,
        "excluded",
        "excluded must be a list of connection ids",
    )
