"""Presence and filtered broadcasts through the gateway: an in-memory fake of it, and the SDK one."""

import json

import azure.functions as func
import pytest
from azure.core.exceptions import AzureError, ServiceResponseTimeoutError

from adapters.webpubsub import SdkGateway
from codec.actions import FilteredSend, SendToAll
from composition import Dependencies
from routes.gateway import GatewayError
from tests.conftest import user_functions
from tests.fake_gateway import FakeGateway
from tests.fake_transport import FakeTransport
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


# The real SDK gateway over a transport that gets no answer: every AzureError
# the SDK raises is a JSON 502, never an unhandled 500.

CONNECTION_STRING = "Endpoint=https://contoso.webpubsub.azure.com;AccessKey=PLANTED-KEY-0123456789abcdefghijklmnopqrstuv;Version=1.0;"


def sdk_functions(*canned):
    env = {**ENV, "WebPubSubConnectionString": CONNECTION_STRING}
    transport = FakeTransport(*canned)
    gateway = SdkGateway("WebPubSubConnectionString", env, transport=transport)
    return user_functions(Dependencies(env, gateway=gateway)), transport


TIMED_OUT = {
    "code": "service_error",
    "message": "Web PubSub did not answer: the connection dropped or timed out",
}


@pytest.mark.parametrize("params", [{"user": "bob"}, {"room": "lobby"}])
def test_presence_when_the_service_times_out_is_a_json_502(params):
    functions, transport = sdk_functions(*[ServiceResponseTimeoutError("read timed out")] * 3)
    response = get(functions, **params)
    assert answer(response) == (502, {"error": TIMED_OUT})
    assert "Retry-After" not in response.headers
    assert len(transport.requests) == 3  # a question is retried twice, no more


def test_presence_when_the_sdk_gives_up_is_a_json_502_naming_the_failure():
    functions, _ = sdk_functions(*[AzureError("Maximum retries exceeded.")] * 3)
    assert answer(get(functions, user="bob")) == (
        502,
        {"error": {"code": "service_error", "message": "the Web PubSub client failed (AzureError)"}},
    )


def test_a_filtered_broadcast_cut_by_a_timeout_is_a_json_502_counting_the_sends_that_went():
    functions, transport = sdk_functions((202, b""), ServiceResponseTimeoutError("read timed out"))
    out = FakeOut()
    three = [MIXED[0], {**MIXED[0], "data": "again"}, {**MIXED[0], "data": "never"}, MIXED[1]]
    assert answer(post(functions, three, out)) == (502, {"error": {**TIMED_OUT, "sent": 1}})
    assert len(transport.requests) == 2
    assert out.values == []


def test_a_filtered_broadcast_throttled_by_the_service_is_a_503_with_retry_after():
    functions, _ = sdk_functions(*[(429, b"", {"Retry-After": "0"})] * 3)
    response = post(functions, MIXED, FakeOut())
    assert answer(response) == (
        503,
        {
            "error": {
                "code": "service_busy",
                "message": "Web PubSub answered 429: try again shortly",
                "sent": 0,
            }
        },
    )
    assert response.headers["Retry-After"] == "5"
