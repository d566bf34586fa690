"""Presence and filtered broadcasts through the real SDK client over a fake transport."""

import json

import azure.functions as func
import pytest

from adapters.webpubsub import ServiceClients
from blueprints import _adapter
from tests.fake_transport import FakeTransport
from tests.payloads import FakeOut

KEY = "PLANTED-ACCESS-KEY-0123456789abcdefghijklmnopqrstuv"
CONNECTION_STRING = f"Endpoint=https://contoso.webpubsub.azure.com;AccessKey={KEY};Version=1.0;"


@pytest.fixture
def service(monkeypatch):
    """Install SDK clients whose transport is a fake; returns the transport."""
    transport = FakeTransport()
    env = {"WebPubSubConnectionString": CONNECTION_STRING}
    monkeypatch.setattr(
        _adapter, "service_clients", ServiceClients("WebPubSubConnectionString", env, transport=transport)
    )
    monkeypatch.setenv("WebPubSubHub", "chat")
    return transport


def get(functions, **params):
    req = func.HttpRequest(method="GET", url="http://localhost/api/presence", body=b"", params=params)
    return functions["presence"](req=req)


def post(functions, value, out):
    req = func.HttpRequest(
        method="POST", url="http://localhost/api/broadcast", body=json.dumps(value).encode()
    )
    return functions["broadcast"](req=req, actions=out)


def test_presence_of_a_user(functions, service):
    service.answer((200, b""))
    response = get(functions, user="bob")
    assert (response.status_code, json.loads(response.get_body())) == (
        200,
        {"user": "bob", "connected": True},
    )
    assert service.requests[0].method == "HEAD"


def test_presence_of_a_room_lists_its_connections(functions, service):
    service.answer((200, {"value": [{"connectionId": "c1", "userId": "alice"}], "nextLink": None}))
    body = json.loads(get(functions, room="lobby").get_body())
    assert body == {
        "room": "lobby",
        "connections": [{"connectionId": "c1", "userId": "alice"}],
        "truncated": False,
    }
    assert "top=101" in service.requests[0].url


def test_a_bad_presence_query_never_reaches_the_service(functions, service):
    assert get(functions, room="bad room").status_code == 400
    assert service.requests == []


def test_a_service_failure_is_a_clear_error_without_secrets(functions, service):
    service.answer((401, b'{"message":"key ' + KEY.encode() + b' rejected"}'))
    response = get(functions, user="bob")
    assert response.status_code == 502
    assert "refused the credentials" in json.loads(response.get_body())["error"]["message"]
    assert KEY.encode() not in response.get_body()


def test_presence_without_a_connection_setting_names_it(functions, monkeypatch):
    monkeypatch.setattr(_adapter, "service_clients", ServiceClients("WebPubSubConnectionString", {}))
    response = get(functions, user="bob")
    assert response.status_code == 500
    assert "WebPubSubConnectionString" in json.loads(response.get_body())["error"]["message"]


MIXED = [
    {"actionName": "sendToAll", "data": "hi", "filter": "userId ne 'bot'"},
    {"actionName": "sendToGroup", "group": "lobby", "data": "plain"},
]


def test_a_filtered_send_goes_through_the_sdk_and_the_rest_through_the_binding(functions, service):
    service.answer((202, b""))
    out = FakeOut()
    response = post(functions, MIXED, out)
    assert response.status_code == 202
    (request,) = service.requests
    assert "filter=userId%20ne%20%27bot%27" in request.url
    assert [a["actionName"] for a in out.actions()] == ["sendToGroup"]


def test_when_a_filtered_send_fails_the_binding_sends_nothing(functions, service):
    service.answer((403, b""))
    out = FakeOut()
    response = post(functions, MIXED, out)
    assert response.status_code == 502
    assert json.loads(response.get_body())["error"]["sent"] == 0
    assert out.values == []


def test_an_invalid_filter_reaches_neither_the_sdk_nor_the_binding(functions, service):
    out = FakeOut()
    response = post(functions, [{"actionName": "sendToAll", "data": "x", "filter": "userId eq 'open"}], out)
    assert response.status_code == 400
    assert service.requests == [] and out.values == []
