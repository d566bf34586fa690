"""Presence and filtered broadcasts through the gateway, with an in-memory fake of it."""

import json

import azure.functions as func
import pytest

from codec.actions import FilteredSend, SendToAll
from composition import Dependencies
from routes.gateway import GatewayError
from tests.conftest import user_functions
from tests.fake_gateway import FakeGateway
from tests.payloads import FakeOut

ENV = {"WebPubSubHub": "chat"}


@pytest.fixture
def gateway():
    return FakeGateway(users={"bob"}, rooms={"lobby": [("c1", "alice"), ("c2", None)]})


@pytest.fixture
def functions(gateway):
    return user_functions(Dependencies(ENV, gateway=gateway))


def get(functions, **params):
    req = func.HttpRequest(method="GET", url="http://localhost/api/presence", body=b"", params=params)
    return functions["presence"](req=req)


def post(functions, value, out):
    req = func.HttpRequest(
        method="POST", url="http://localhost/api/broadcast", body=json.dumps(value).encode()
    )
    return functions["broadcast"](req=req, actions=out)


def answer(response):
    return response.status_code, json.loads(response.get_body())


def test_presence_of_a_user_asks_the_gateway_for_the_configured_hub(functions, gateway):
    assert answer(get(functions, user="bob")) == (200, {"user": "bob", "connected": True})
    assert answer(get(functions, user="carol")) == (200, {"user": "carol", "connected": False})
    assert gateway.calls[0] == ("user_connected", "chat", "bob")


def test_presence_of_a_room_lists_its_connections_asking_for_one_more_than_listed(functions, gateway):
    response = get(functions, room="lobby")
    assert answer(response) == (
        200,
        {
            "room": "lobby",
            "connections": [
                {"connectionId": "c1", "userId": "alice"},
                {"connectionId": "c2", "userId": None},
            ],
            "truncated": False,
        },
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert gateway.calls == [("room_connections", "chat", "lobby", "101")]


def test_a_bad_presence_query_never_reaches_the_service(functions, gateway):
    status, body = answer(get(functions, room="bad room"))
    assert (status, body["error"]["code"], body["error"]["field"]) == (400, "invalid_query", "room")
    assert gateway.calls == []


@pytest.mark.parametrize(
    "status, expected, code",
    [
        (401, 502, "service_error"),
        (500, 502, "service_error"),
        (None, 502, "service_error"),
        (429, 503, "service_busy"),
    ],
)
def test_a_service_failure_is_a_502_or_a_503_with_retry_after(functions, gateway, status, expected, code):
    gateway.failure = GatewayError(status, "Web PubSub answered something")
    response = get(functions, user="bob")
    assert response.status_code == expected
    assert json.loads(response.get_body())["error"]["code"] == code
    assert ("Retry-After" in response.headers) is (expected == 503)


def test_presence_without_a_connection_setting_is_a_500_naming_it():
    functions = user_functions(Dependencies(ENV))
    status, body = answer(get(functions, user="bob"))
    assert (status, body["error"]["code"]) == (500, "not_configured")
    assert "WebPubSubConnectionString" in body["error"]["message"]


def test_a_malformed_hub_setting_is_a_500_naming_it(gateway):
    functions = user_functions(Dependencies({"WebPubSubHub": "no spaces"}, gateway=gateway))
    status, body = answer(get(functions, user="bob"))
    assert (status, body["error"]["code"]) == (500, "not_configured")
    assert body["error"]["message"].startswith("WebPubSubHub must")


MIXED = [
    {"actionName": "sendToAll", "data": "hi", "filter": "userId ne 'bot'"},
    {"actionName": "sendToGroup", "group": "lobby", "data": "plain"},
]


def test_a_filtered_send_goes_through_the_gateway_and_the_rest_through_the_binding(functions, gateway):
    out = FakeOut()
    response = post(functions, MIXED, out)
    assert answer(response) == (202, {"accepted": 2, "actions": {"sendToAll": 1, "sendToGroup": 1}})
    assert gateway.sent == [("chat", FilteredSend(SendToAll(data="hi"), "userId ne 'bot'"))]
    assert out.actions() == [
        {"actionName": "sendToGroup", "group": "lobby", "data": "plain", "dataType": "text", "excluded": []}
    ]


def test_when_a_filtered_send_fails_the_binding_sends_nothing_and_the_error_counts_what_went(
    functions, gateway
):
    gateway.failure, gateway.fail_at = GatewayError(403, "Web PubSub answered 403"), 1
    out = FakeOut()
    twice = [MIXED[0], {**MIXED[0], "data": "again"}, MIXED[1]]
    status, body = answer(post(functions, twice, out))
    assert (status, body["error"]) == (
        502,
        {"code": "service_error", "message": "Web PubSub answered 403", "sent": 1},
    )
    assert out.values == []


def test_an_invalid_filter_reaches_neither_the_gateway_nor_the_binding(functions, gateway):
    out = FakeOut()
    response = post(functions, [{"actionName": "sendToAll", "data": "x", "filter": "userId eq 'open"}], out)
    assert response.status_code == 400
    assert gateway.sent == [] and out.values == []


def test_a_broadcast_without_filters_needs_no_gateway_nor_settings():
    functions = user_functions(Dependencies({"WebPubSubHub": "no spaces"}))
    out = FakeOut()
    assert post(functions, MIXED[1:], out).status_code == 202
    assert len(out.actions()) == 1
