"""Planted secrets never reach a log record, an error reply or an HTTP body."""

import json
import logging

import azure.functions as func
import pytest

from adapters.webpubsub import SdkGateway
from composition import Dependencies
from tests.conftest import user_functions
from tests.fake_transport import FakeTransport
from tests.payloads import FakeOut

ACCESS_KEY = "PLANTEDKEY0123456789abcdefghijklmnopqrstuvwxyzAB"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.PLANTEDTOKEN.c2lnbmF0dXJl"
CONNECTION_STRING = f"Endpoint=https://contoso.webpubsub.azure.com;AccessKey={ACCESS_KEY};Version=1.0;"
SECRETS = (ACCESS_KEY, TOKEN, CONNECTION_STRING)
CONNECTION_INFO = json.dumps(
    {
        "baseUrl": "wss://h/client/hubs/chat",
        "url": f"wss://h/client/hubs/chat?access_token={TOKEN}",
        "accessToken": TOKEN,
    }
)


ENV = {
    "WebPubSubHub": "chat",
    "WebPubSubConnectionString": CONNECTION_STRING,
    "AZURE_FUNCTIONS_ENVIRONMENT": "Development",
}


def app(env: dict[str, str]):
    """The functions, their SDK gateway answered by a service that even echoes the key."""
    transport = FakeTransport(*[(500, ACCESS_KEY.encode())] * 50)
    gateway = SdkGateway("WebPubSubConnectionString", env, transport=transport)
    return user_functions(Dependencies(env, gateway=gateway))


@pytest.fixture
def functions():
    return app(ENV)


@pytest.fixture
def planted(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def request(method="POST", body=b"", headers=None, params=None):
    return func.HttpRequest(
        method=method, url="http://localhost/api/x", body=body, headers=headers or {}, params=params or {}
    )


def assert_clean(texts):
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def test_no_secret_leaks_from_any_route_or_log(functions, planted):
    bodies = []
    # Negotiate refuses in Azure without authentication, and for a missing or bad user.
    in_azure = app({**ENV, "WEBSITE_INSTANCE_ID": "i-1"})
    bodies.append(
        in_azure["negotiate"](
            req=request("GET", headers={"x-ms-client-principal-name": "a"}), connection=CONNECTION_INFO
        )
    )
    bodies.append(functions["negotiate"](req=request("GET"), connection=CONNECTION_INFO))
    bodies.append(
        functions["negotiate"](
            req=request("GET", headers={"x-ms-client-principal-name": "a"}), connection="{bad"
        )
    )
    # The SDK paths fail against the service (which even echoes the key).
    bodies.append(functions["presence"](req=request("GET", params={"user": "bob"})))
    filtered = [{"actionName": "sendToAll", "data": "x", "filter": "userId eq 'a'"}]
    bodies.append(functions["broadcast"](req=request(body=json.dumps(filtered).encode()), actions=FakeOut()))
    # A malformed connection string holding the key.
    malformed = user_functions(Dependencies({**ENV, "WebPubSubConnectionString": f"AccessKey={ACCESS_KEY}"}))
    bodies.append(malformed["presence"](req=request("GET", params={"user": "bob"})))
    assert [r.status_code for r in bodies] == [500, 401, 502, 502, 502, 500]
    assert_clean([r.get_body().decode() for r in bodies])
    assert_clean([json.dumps(dict(r.headers)) for r in bodies])
    assert_clean([record.getMessage() for record in planted.records] + [str(r.args) for r in planted.records])


def test_the_token_appears_only_in_a_successful_negotiate_body(functions, planted):
    response = functions["negotiate"](
        req=request("GET", headers={"x-ms-client-principal-name": "a"}), connection=CONNECTION_INFO
    )
    assert response.status_code == 200 and TOKEN.encode() in response.get_body()
    assert_clean([record.getMessage() for record in planted.records])
