"""The HTTP functions through the real worker, with RpcHttp input as the host sends it."""

import base64
import json

import pytest

from tests import payloads as p

BASE = "http://localhost:7071/api"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYXJvbCJ9.c2ln"
CONNECTION_INFO = json.dumps(
    {
        "baseUrl": "ws://h/client/hubs/chat",
        "url": f"ws://h/client/hubs/chat?access_token={TOKEN}",
        "accessToken": TOKEN,
    }
)


pytestmark = pytest.mark.usefixtures("local_host")


def negotiate(worker, headers):
    req = worker.http("GET", f"{BASE}/negotiate", headers=headers)
    return worker.invoke_sync("negotiate", {"req": req, "connection": worker.json(CONNECTION_INFO)})


def test_negotiate_returns_the_connection_info(worker):
    result = negotiate(worker, {"x-ms-client-principal-name": "carol"})
    assert result.http.status == 200
    assert result.http.headers["Cache-Control"] == "no-store"
    assert result.http.json()["accessToken"] == TOKEN


def test_negotiate_without_the_header_is_a_401_json_error(worker):
    result = negotiate(worker, {})
    assert result.http.status == 401 and result.http.json()["error"]["field"] == "x-ms-client-principal-name"


def test_negotiate_in_azure_without_authentication_withholds_the_token(worker, monkeypatch):
    monkeypatch.setenv("WEBSITE_INSTANCE_ID", "i-1")
    result = negotiate(worker, {"x-ms-client-principal-name": "carol"})
    assert result.http.status == 500 and TOKEN.encode() not in result.http.body


def broadcast(worker, body: bytes):
    return worker.invoke_sync("broadcast", {"req": worker.http("POST", f"{BASE}/broadcast", body=body)})


def test_broadcast_answers_202_and_sends_the_actions_as_one_json_string(worker):
    body = json.dumps(
        [{"actionName": "sendToAll", "data": "a"}, {"actionName": "SENDTOUSER", "userId": "u", "data": "b"}]
    )
    result = broadcast(worker, body.encode())
    assert result.http.status == 202
    assert result.output_kinds == {"actions": "string"}
    assert [a["actionName"] for a in json.loads(result.outputs["actions"])] == ["sendToAll", "sendToUser"]


def test_an_invalid_broadcast_is_a_400_and_sends_nothing(worker):
    result = broadcast(
        worker, json.dumps([{"actionName": "sendToAll", "data": "a"}, {"actionName": "x"}]).encode()
    )
    assert result.http.status == 400
    assert result.http.json()["error"] == {
        "code": "invalid_action",
        "message": "actionName must be one of: addConnectionToGroup, addUserToGroup, "
        "closeAllConnections, closeClientConnection, closeGroupConnections, grantPermission, "
        "removeConnectionFromGroup, removeUserFromAllGroups, removeUserFromGroup, revokePermission, "
        "sendToAll, sendToConnection, sendToGroup, sendToUser",
        "field": "actionName",
        "index": 1,
    }
    assert result.outputs == {}


def webhook(worker, context, method="POST"):
    req = worker.http(method, f"{BASE}/webpubsub", headers={"WebHook-Request-Origin": "localhost"})
    return worker.invoke_sync("webhook", {"req": req, "context": worker.json(context)})


def test_the_http_events_route_answers_a_preflight(worker):
    ctx = p.web_context(
        None,
        isPreflight=True,
        response={"status": 200, "body": None, "headers": {"WebHook-Allowed-Origin": ["*"]}},
    )
    result = webhook(worker, ctx, "OPTIONS")
    assert result.http.status == 200 and result.http.headers["WebHook-Allowed-Origin"] == "*"


def test_the_http_events_route_answers_connect_with_states_header(worker):
    result = webhook(worker, p.web_context(p.connect()))
    assert result.http.status == 200
    assert json.loads(base64.b64decode(result.http.headers["ce-connectionState"])) == {"rooms": ["lobby"]}
    assert result.outputs == {}


def test_the_http_events_route_sends_message_actions(worker):
    result = webhook(worker, p.web_context(p.user_event("message", {"text": "x"})))
    assert result.http.status == 200 and len(json.loads(result.outputs["actions"])) == 1


def test_the_page_is_served_through_the_route_parameter(worker):
    req = worker.http("GET", f"{BASE}/chat/index.html", params={"asset": "index.html"})
    result = worker.invoke_sync("page", {"req": req})
    assert result.http.status == 200 and result.http.headers["Content-Type"].startswith("text/html")
    missing = worker.invoke_sync("page", {"req": worker.http("GET", f"{BASE}/chat/x", params={"asset": "x"})})
    assert missing.http.status == 404


def test_presence_answers_through_the_worker_without_loading_the_sdk_for_a_bad_query(worker):
    req = worker.http("GET", f"{BASE}/presence", query={"room": "not a room"})
    result = worker.invoke_sync("presence", {"req": req})
    assert result.http.status == 400 and result.http.json()["error"]["field"] == "room"


def test_presence_without_a_connection_setting_is_a_500_naming_it(worker, monkeypatch):
    for name in ("WebPubSubConnectionString", "WebPubSubConnectionString__serviceUri"):
        monkeypatch.delenv(name, raising=False)
    req = worker.http("GET", f"{BASE}/presence", query={"user": "bob"})
    result = worker.invoke_sync("presence", {"req": req})
    assert result.http.status == 500
    assert "WebPubSubConnectionString" in result.http.json()["error"]["message"]
