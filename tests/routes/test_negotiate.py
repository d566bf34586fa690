import json

import pytest

from chat.settings import Settings
from routes.negotiate import negotiate

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"
INFO = json.dumps(
    {
        "baseUrl": "wss://res.webpubsub.azure.com/client/hubs/chat",
        "url": f"wss://res.webpubsub.azure.com/client/hubs/chat?access_token={TOKEN}",
        "accessToken": TOKEN,
    }
)
LOCAL = Settings()
AZURE_WITH_AUTH = Settings(running_in_azure=True, auth_enabled=True)
AZURE_WITHOUT_AUTH = Settings(running_in_azure=True, auth_enabled=False)


def test_negotiate_returns_the_connection_json_uncached():
    reply = negotiate(INFO, "alice", LOCAL)
    assert reply.status == 200
    assert reply.headers == {"Content-Type": "application/json", "Cache-Control": "no-store"}
    assert json.loads(reply.body) == json.loads(INFO)


def test_negotiate_in_azure_with_authentication_returns_the_token():
    assert negotiate(INFO, "alice@contoso.com", AZURE_WITH_AUTH).status == 200


def test_negotiate_in_azure_without_authentication_refuses_and_never_returns_the_token():
    reply = negotiate(INFO, "alice", AZURE_WITHOUT_AUTH)
    assert reply.status == 500
    assert json.loads(reply.body)["error"]["code"] == "authentication_not_configured"
    assert TOKEN.encode() not in reply.body


@pytest.mark.parametrize("user", [None, "", "   "])
def test_negotiate_without_a_user_is_a_401_naming_the_header(user):
    reply = negotiate(INFO, user, LOCAL)
    error = json.loads(reply.body)["error"]
    assert (reply.status, error["field"]) == (401, "x-ms-client-principal-name")
    assert TOKEN.encode() not in reply.body


@pytest.mark.parametrize("user", ["a" * 257, "tab\there", "bell\x07"])
def test_negotiate_refuses_an_unusable_user_id(user):
    reply = negotiate(INFO, user, LOCAL)
    assert reply.status == 400
    assert json.loads(reply.body)["error"]["field"] == "x-ms-client-principal-name"


@pytest.mark.parametrize(
    "info",
    [
        None,
        "",
        "{",
        "[]",
        json.dumps({"url": "wss://x", "baseUrl": "wss://x"}),
        json.dumps({"url": 1, "baseUrl": "b", "accessToken": TOKEN}),
    ],
)
def test_unusable_connection_info_is_a_502_that_does_not_echo_it(info):
    reply = negotiate(info, "alice", LOCAL)
    assert reply.status == 502
    assert TOKEN.encode() not in reply.body


def test_extra_fields_from_the_binding_are_not_passed_on():
    info = json.loads(INFO) | {"debug": "x"}
    assert set(json.loads(negotiate(json.dumps(info), "alice", LOCAL).body)) == {
        "url",
        "baseUrl",
        "accessToken",
    }
