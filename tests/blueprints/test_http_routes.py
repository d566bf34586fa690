"""Call the HTTP functions with real ``func.HttpRequest`` objects."""

import base64
import json

import azure.functions as func
import pytest

from tests import payloads as p
from tests.payloads import FakeOut

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2ln"
CONNECTION_INFO = json.dumps(
    {
        "baseUrl": "ws://localhost:8080/client/hubs/chat",
        "url": f"ws://localhost:8080/client/hubs/chat?access_token={TOKEN}",
        "accessToken": TOKEN,
    }
)


def request(method="POST", url="http://localhost:7071/api/x", body=b"", headers=None, route_params=None):
    return func.HttpRequest(
        method=method, url=url, body=body, headers=headers or {}, route_params=route_params or {}
    )


def error_body(response):
    assert response.headers["Content-Type"] == "application/json"
    return json.loads(response.get_body())["error"]


pytestmark = pytest.mark.usefixtures("local_host")


# negotiate


def test_negotiate_returns_the_bindings_connection_info(functions):
    req = request("GET", headers={"x-ms-client-principal-name": "bob"})
    response = functions["negotiate"](req=req, connection=CONNECTION_INFO)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.get_body())["accessToken"] == TOKEN


def test_negotiate_refuses_in_azure_without_app_service_authentication(functions, monkeypatch):
    monkeypatch.setenv("WEBSITE_INSTANCE_ID", "instance-1")
    response = functions["negotiate"](
        req=request("GET", headers={"x-ms-client-principal-name": "bob"}), connection=CONNECTION_INFO
    )
    assert response.status_code == 500
    assert error_body(response)["code"] == "authentication_not_configured"
    assert TOKEN.encode() not in response.get_body()


def test_negotiate_in_azure_with_authentication_hands_out_the_token(functions, monkeypatch):
    monkeypatch.setenv("WEBSITE_INSTANCE_ID", "instance-1")
    monkeypatch.setenv("WEBSITE_AUTH_ENABLED", "True")
    response = functions["negotiate"](
        req=request("GET", headers={"x-ms-client-principal-name": "bob"}), connection=CONNECTION_INFO
    )
    assert response.status_code == 200


def test_negotiate_without_the_identity_header_is_a_401(functions):
    response = functions["negotiate"](req=request("GET"), connection=CONNECTION_INFO)
    assert response.status_code == 401
    assert error_body(response)["field"] == "x-ms-client-principal-name"


# broadcast


def test_broadcast_sets_the_actions_and_answers_202(functions):
    out = FakeOut()
    body = json.dumps(
        [
            {
                "actionName": "sendToGroup",
                "group": "lobby",
                "dataType": "json",
                "data": {"type": "notice", "text": "maintenance at 5"},
            },
            {"actionName": "sendToUser", "userId": "bob", "data": "hi bob"},
        ]
    ).encode()
    response = functions["broadcast"](req=request(body=body), actions=out)
    assert response.status_code == 202
    assert json.loads(response.get_body()) == {"accepted": 2, "actions": {"sendToGroup": 1, "sendToUser": 1}}
    assert out.actions() == [
        {
            "actionName": "sendToGroup",
            "group": "lobby",
            "data": '{"type":"notice","text":"maintenance at 5"}',
            "dataType": "json",
            "excluded": [],
        },
        {"actionName": "sendToUser", "userId": "bob", "data": "hi bob", "dataType": "text"},
    ]


@pytest.mark.parametrize(
    "body, status, field",
    [
        (b"{not json", 400, "body"),
        (b"", 400, "body"),
        (
            json.dumps([{"actionName": "sendToAll", "data": "ok"}, {"actionName": "nope"}]).encode(),
            400,
            "actionName",
        ),
        (json.dumps({"actionName": "sendToAll", "data": "x" * (1024 * 1024)}).encode(), 413, "body"),
    ],
)
def test_a_bad_broadcast_is_a_4xx_naming_the_field_and_sends_nothing(functions, body, status, field):
    out = FakeOut()
    response = functions["broadcast"](req=request(body=body), actions=out)
    assert response.status_code == status
    assert error_body(response)["field"] == field
    assert out.values == []


# events over HTTP


def test_the_http_events_route_answers_a_preflight_from_the_context(functions):
    out = FakeOut()
    ctx = p.web_context(
        None,
        isPreflight=True,
        response={"status": 200, "body": None, "headers": {"WebHook-Allowed-Origin": ["*"]}},
    )
    response = functions["webhook"](
        req=request("OPTIONS", headers={"WebHook-Request-Origin": "x.webpubsub.azure.com"}),
        context=ctx,
        actions=out,
    )
    assert response.status_code == 200
    assert response.headers["WebHook-Allowed-Origin"] == "*"
    assert out.values == []


def test_the_http_events_route_answers_a_connect_with_json_and_state_header(functions):
    out = FakeOut()
    response = functions["webhook"](req=request(), context=p.web_context(p.connect()), actions=out)
    assert response.status_code == 200
    assert json.loads(response.get_body())["userId"] == "alice"
    assert json.loads(base64.b64decode(response.headers["ce-connectionState"])) == {"rooms": ["lobby"]}
    assert out.values == []


def test_the_http_events_route_sends_a_messages_actions(functions):
    out = FakeOut()
    response = functions["webhook"](
        req=request(), context=p.web_context(p.user_event("message", {"text": "yo"})), actions=out
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert [a["actionName"] for a in out.actions()] == ["sendToGroup"]


def test_the_http_events_route_refuses_bad_input_without_actions(functions):
    out = FakeOut()
    response = functions["webhook"](
        req=request(), context=p.web_context(p.user_event("message", {"text": ""})), actions=out
    )
    assert response.status_code == 200
    assert json.loads(response.get_body())["code"] == "invalid_text"
    assert out.values == []


# page


@pytest.mark.parametrize("asset", [None, "", "index.html"])
def test_the_page_serves_the_client(functions, asset):
    response = functions["page"](
        req=request("GET", route_params={"asset": asset} if asset is not None else {})
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert b"<!doctype html>" in response.get_body().lower()


@pytest.mark.parametrize(
    "asset, content_type",
    [
        ("chat.js", "text/javascript; charset=utf-8"),
        ("connection.js", "text/javascript; charset=utf-8"),
        ("state.js", "text/javascript; charset=utf-8"),
        ("view.js", "text/javascript; charset=utf-8"),
        ("chat.css", "text/css; charset=utf-8"),
    ],
)
def test_the_page_serves_its_script_and_styles(functions, asset, content_type):
    response = functions["page"](req=request("GET", route_params={"asset": asset}))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "asset", ["../function_app.py", "..%2Ffunction_app.py", "local.settings.json", "nope.js", "chat.py"]
)
def test_the_page_serves_nothing_else(functions, asset):
    response = functions["page"](req=request("GET", route_params={"asset": asset}))
    assert response.status_code == 404
    assert error_body(response)["field"] == "asset"
