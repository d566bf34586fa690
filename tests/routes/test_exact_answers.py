"""Every route's answers, body for body: codes, messages and limits at the edge and just past it."""

import json

import pytest

from chat.settings import Settings, SettingsError
from codec.actions import FilteredSend, SendToAll, SendToGroup
from routes.broadcast import (
    MAX_BODY_BYTES,
    MAX_FILTER_LENGTH,
    MAX_ID_LENGTH,
    MAX_REASON_LENGTH,
    broadcast,
    check_filter,
    parse_action,
    plan_broadcast,
)
from routes.gateway import GatewayError
from routes.http import HttpAnswer, service_failure
from routes.negotiate import MAX_USER_ID_LENGTH, negotiate
from routes.page import HEADERS, page
from routes.presence import MAX_LISTED, RoomQuery, UserQuery, parse_query, room_answer
from routes.webhook import handle_webhook
from tests import payloads as p
from tests.fake_gateway import FakeGateway

INFO = json.dumps({"url": "wss://h?access_token=t", "baseUrl": "wss://h", "accessToken": "t"})
ROOM_RULE = "1 to 64 letters, digits, '-' or '_'"


def body_of(answer):
    return answer.status, json.loads(answer.body)


def invalid(message, field, **where):
    return 400, {"error": {"code": "invalid_action", "message": message, "field": field, **where}}


def bad(item):
    return body_of(plan_broadcast(json.dumps(item).encode()))


# presence


def test_a_query_with_neither_or_both_parameters_is_refused_with_its_exact_body():
    expected = (
        400,
        {"error": {"code": "invalid_query", "message": "give exactly one of user or room", "field": "user"}},
    )
    assert body_of(parse_query({})) == expected
    assert body_of(parse_query({"user": "a", "room": "b"})) == expected


@pytest.mark.parametrize("user", ["a", "x" * 1024])
def test_a_user_of_1_to_1024_characters_is_a_query(user):
    assert parse_query({"user": user}) == UserQuery(user)


@pytest.mark.parametrize("user", ["", "x" * 1025, "a\tb"])
def test_a_user_outside_the_rule_is_refused_with_its_exact_body(user):
    assert body_of(parse_query({"user": user})) == (
        400,
        {
            "error": {
                "code": "invalid_query",
                "message": "user must be 1 to 1024 printable characters",
                "field": "user",
            }
        },
    )


def test_a_room_outside_the_rule_is_refused_with_its_exact_body():
    assert body_of(parse_query({"room": "a b"})) == (
        400,
        {"error": {"code": "invalid_query", "message": f"room must be {ROOM_RULE}", "field": "room"}},
    )


def test_a_room_of_exactly_the_listed_size_is_not_truncated():
    members = [(f"c{i}", None) for i in range(MAX_LISTED)]
    answer = room_answer(RoomQuery("r"), members)
    assert answer.status == 200 and json.loads(answer.body)["truncated"] is False
    assert answer.headers == {"Content-Type": "application/json", "Cache-Control": "no-store"}


# page


def test_an_unknown_asset_is_a_404_with_its_exact_body_and_reads_nothing():
    read = []
    answer = page("secrets.txt", read.append)
    assert body_of(answer) == (
        404,
        {"error": {"code": "not_found", "message": "no such file", "field": "asset"}},
    )
    assert read == []


def test_an_asset_is_served_with_its_type_and_the_security_headers():
    answer = page("chat.css", lambda name: f"<{name}>".encode())
    assert answer == HttpAnswer(200, b"<chat.css>", {"Content-Type": "text/css; charset=utf-8", **HEADERS})


# webhook


def test_a_context_that_is_not_an_object_is_a_400_with_its_exact_body():
    assert body_of(handle_webhook("[]", Settings(), p.NOW)) == (
        400,
        {"error": {"code": "invalid_context", "message": "the Web PubSub context is not a JSON object"}},
    )


def test_a_connect_over_http_answers_its_fields_as_json_and_its_states_in_the_header():
    answer = handle_webhook(p.web_context(p.connect()), Settings(), p.NOW)
    assert json.loads(answer.body) == {"userId": "alice", "groups": ["lobby"], "subprotocol": p.SUBPROTOCOL}
    assert answer.headers["Content-Type"] == "application/json" and answer.actions == ()


# http


def test_throttling_keeps_where_the_failure_happened_and_asks_for_a_retry():
    answer = service_failure(429, "Web PubSub answered 429", sent=2)
    assert body_of(answer) == (
        503,
        {
            "error": {
                "code": "service_busy",
                "message": "Web PubSub answered 429: try again shortly",
                "sent": 2,
            }
        },
    )
    assert answer.headers == {"Content-Type": "application/json", "Retry-After": "5"}


def test_a_gateway_error_has_sent_nothing_unless_it_says_so():
    assert GatewayError(500, "m").sent == 0


# broadcast


def test_a_filtered_send_whose_settings_are_bad_is_a_500_naming_the_setting():
    def hub():
        raise SettingsError("WebPubSubHub must start with a letter")

    raw = json.dumps({"actionName": "sendToAll", "data": "x", "filter": "userId eq 'a'"}).encode()
    assert body_of(broadcast(raw, FakeGateway(), hub)) == (
        500,
        {"error": {"code": "not_configured", "message": "WebPubSubHub must start with a letter"}},
    )


def test_a_body_of_exactly_1_mib_is_read_and_one_byte_more_is_a_413():
    head = b'{"actionName":"sendToAll","data":"'
    raw = head + b"x" * (MAX_BODY_BYTES - len(head) - 2) + b'"}'
    assert len(raw) == MAX_BODY_BYTES
    assert plan_broadcast(raw).answer.status == 202
    assert body_of(plan_broadcast(raw + b" ")) == (
        413,
        {
            "error": {
                "code": "body_too_large",
                "message": "the body is larger than 1048576 bytes",
                "field": "body",
            }
        },
    )


def test_exactly_1000_actions_are_accepted():
    raw = json.dumps([{"actionName": "sendToAll", "data": "x"}] * 1000).encode()
    assert json.loads(plan_broadcast(raw).answer.body)["accepted"] == 1000


@pytest.mark.parametrize("value", [[], 5, "x", None])
def test_a_body_that_is_no_action_is_refused_with_its_exact_body(value):
    assert bad(value) == invalid("the body must be an action object or a non-empty list of them", "body")


def test_a_bad_action_in_a_list_keeps_its_message_and_says_its_index():
    assert bad([{"actionName": "sendToAll", "data": "x"}, 7]) == invalid(
        "an action must be a JSON object", "actionName", index=1
    )


def test_an_unknown_action_name_lists_the_names_there_are():
    names = (
        "addConnectionToGroup, addUserToGroup, closeAllConnections, closeClientConnection, "
        "closeGroupConnections, grantPermission, removeConnectionFromGroup, removeUserFromAllGroups, "
        "removeUserFromGroup, revokePermission, sendToAll, sendToConnection, sendToGroup, sendToUser"
    )
    assert bad({"actionName": "shout"}) == invalid(f"actionName must be one of: {names}", "actionName")


def test_a_filter_on_an_action_that_cannot_take_one_is_refused():
    assert bad(
        {"actionName": "sendToConnection", "connectionId": "c", "data": "x", "filter": "userId eq 'a'"}
    ) == (invalid("filter applies only to sendToAll, sendToGroup and sendToUser", "filter"))


def test_an_unknown_field_is_named_with_at_most_64_characters():
    key = "k" * 65
    assert bad({"actionName": "sendToAll", "data": "x", key: 1}) == invalid(
        f"sendToAll has no field {'k' * 64!r}", "k" * 64
    )


def test_a_missing_field_is_named():
    assert bad({"actionName": "sendToGroup", "data": "x"}) == invalid(
        "group is required for sendToGroup", "group"
    )
    assert bad({"actionName": "sendToAll"}) == invalid("data is required for sendToAll", "data")


def test_every_optional_field_after_the_data_type_is_read():
    action = parse_action({"actionName": "sendToAll", "data": "x", "dataType": "text", "excluded": ["c1"]})
    assert action == SendToAll(data="x", excluded=("c1",))


@pytest.mark.parametrize(
    "field, limit, extra",
    [
        ("userId", MAX_ID_LENGTH, {"actionName": "removeUserFromAllGroups"}),
        ("connectionId", MAX_ID_LENGTH, {"actionName": "closeClientConnection"}),
        ("reason", MAX_REASON_LENGTH, {"actionName": "closeAllConnections"}),
    ],
)
def test_ids_and_reasons_are_strings_of_1_to_1024_characters(field, limit, extra):
    assert parse_action({**extra, field: "a"}) is not None
    assert parse_action({**extra, field: "x" * limit}) is not None
    message = f"{field} must be a string of 1 to {limit} characters"
    for value in ("", "x" * (limit + 1), 5, None, ["a"]):
        assert bad({**extra, field: value}) == invalid(message, field)


def test_a_bad_group_is_refused_with_the_room_rule():
    assert bad({"actionName": "sendToGroup", "group": "a b", "data": "x"}) == invalid(
        f"group must be {ROOM_RULE}", "group"
    )


def test_excluded_ids_of_1024_characters_pass_and_longer_ones_are_refused():
    assert parse_action({"actionName": "sendToAll", "data": "x", "excluded": ["x" * 1024]}).excluded == (
        "x" * 1024,
    )
    message = "excluded must be a list of connection ids"
    for excluded in (["x" * 1025], [""], [1], "c1"):
        assert bad({"actionName": "sendToAll", "data": "x", "excluded": excluded}) == invalid(
            message, "excluded"
        )


def test_a_bad_permission_lists_the_permissions_there_are():
    item = {"actionName": "grantPermission", "connectionId": "c", "permission": "admin"}
    assert bad(item) == invalid("permission must be one of: sendToGroup, joinLeaveGroup", "permission")


@pytest.mark.parametrize(
    "item, message",
    [
        ({"data": 5}, "data must be a string when dataType is text"),
        (
            {"data": [1], "dataType": "binary"},
            'data must be {"type": "Buffer", "data": [bytes 0-255]} when dataType is binary',
        ),
        ({"data": "x", "dataType": "xml"}, "dataType must be text, json or binary"),
    ],
)
def test_bad_data_and_data_types_are_refused_with_their_rule(item, message):
    field = "dataType" if "xml" in item.values() else "data"
    assert bad({"actionName": "sendToAll", **item}) == invalid(message, field)


def test_a_filter_of_1024_characters_passes_and_1025_does_not():
    odata = "userId eq '" + "a" * (MAX_FILTER_LENGTH - 12) + "'"
    assert len(odata) == MAX_FILTER_LENGTH and check_filter(odata) == odata
    assert bad({"actionName": "sendToAll", "data": "x", "filter": odata + " "}) == invalid(
        "filter must be a string of 1 to 1024 characters", "filter"
    )


@pytest.mark.parametrize(
    "odata, message",
    [
        ("userId eq 'a'\n", "filter must not contain control characters"),
        ("userId eq 'a", "filter has an unclosed quote"),
        ("(userId eq 'a'", "filter has unbalanced parentheses"),
        ("userId eq ')('", None),
        ("name eq 'userId'", "filter must test userId, connectionId, groups or protocol"),
    ],
)
def test_each_malformed_filter_gets_its_exact_message(odata, message):
    if message is None:
        assert check_filter(odata) == odata  # parentheses inside quotes do not count
        return
    assert bad({"actionName": "sendToAll", "data": "x", "filter": odata}) == invalid(message, "filter")


@pytest.mark.parametrize("odata, tests_a_field", [("'x'userId", True), ("user'x'Id eq 1", False)])
def test_a_quoted_string_separates_names_but_never_joins_them(odata, tests_a_field):
    if tests_a_field:
        assert check_filter(odata) == odata
    else:
        assert bad({"actionName": "sendToAll", "data": "x", "filter": odata}) == invalid(
            "filter must test userId, connectionId, groups or protocol", "filter"
        )


def test_a_filtered_send_goes_to_the_gateway_with_its_hub():
    gateway = FakeGateway()
    raw = json.dumps(
        {"actionName": "sendToGroup", "group": "g", "data": "x", "filter": "userId eq 'a'"}
    ).encode()
    assert broadcast(raw, gateway, lambda: "hub1").status == 202
    assert gateway.sent == [("hub1", FilteredSend(SendToGroup(group="g", data="x"), "userId eq 'a'"))]


# negotiate

TRUSTED = Settings(local_development_host=True)


def test_negotiate_in_azure_without_authentication_explains_itself_exactly():
    answer = negotiate(INFO, "alice", Settings())
    assert body_of(answer) == (
        500,
        {
            "error": {
                "code": "authentication_not_configured",
                "message": "App Service Authentication is not known to be on, so the caller's identity "
                "header cannot be trusted; turn it on for this app (see docs/deploying.md, Who the user is)",
            }
        },
    )


def test_negotiate_without_a_user_is_a_401_with_its_exact_body():
    assert body_of(negotiate(INFO, None, TRUSTED)) == (
        401,
        {
            "error": {
                "code": "no_user",
                "message": "sign in first: the x-ms-client-principal-name header is missing",
                "field": "x-ms-client-principal-name",
            }
        },
    )


def test_a_user_id_of_256_characters_is_accepted_and_257_refused_with_its_exact_body():
    assert negotiate(INFO, "u" * MAX_USER_ID_LENGTH, TRUSTED).status == 200
    assert body_of(negotiate(INFO, "u" * (MAX_USER_ID_LENGTH + 1), TRUSTED)) == (
        400,
        {
            "error": {
                "code": "invalid_user",
                "message": "the x-ms-client-principal-name header must be 1 to 256 printable characters",
                "field": "x-ms-client-principal-name",
            }
        },
    )


@pytest.mark.parametrize("info", [None, "", "[", "[]", json.dumps({"url": "u", "baseUrl": "b"})])
def test_unusable_connection_info_is_a_502_with_its_exact_body(info):
    assert body_of(negotiate(info, "alice", TRUSTED)) == (
        502,
        {
            "error": {
                "code": "bad_connection_info",
                "message": "the Web PubSub binding returned no usable connection info",
            }
        },
    )
