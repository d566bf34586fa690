"""The real Web PubSub SDK client over a fake transport: exact requests, auth, failures."""

import logging
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import (
    AzureError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

from adapters.webpubsub import SdkGateway, _identity_credential
from chat.settings import SettingsError
from codec.actions import FilteredSend, SendToAll, SendToGroup, SendToUser
from codec.datatype import DataType
from routes.gateway import GatewayError
from tests.fake_transport import FakeTransport

KEY = "PLANTED-ACCESS-KEY-0123456789abcdefghijklmnopqrstuv"
ENDPOINT = "https://contoso.webpubsub.azure.com"
CONNECTION_STRING = f"Endpoint={ENDPOINT};AccessKey={KEY};Version=1.0;"
SETTING = "WebPubSubConnectionString"
API_VERSION = "2024-12-01"


def key_client(*responses):
    transport = FakeTransport(*responses)
    return SdkGateway(SETTING, {SETTING: CONNECTION_STRING}, transport=transport), transport


class FakeCredential:
    def __init__(self):
        self.scopes = []

    def get_token(self, *scopes, **kwargs):
        self.scopes.extend(scopes)
        return AccessToken("PLANTED-BEARER-TOKEN", int(time.time()) + 3600)


def body(request):
    """The bytes a request carries (the SDK streams message bodies)."""
    content = request.content
    return content.getvalue() if hasattr(content, "getvalue") else content


def parts(request):
    url = urlsplit(request.url)
    return request.method, url.path, parse_qs(url.query)


def test_a_filtered_send_to_all_is_one_post_with_the_filter_and_the_exact_body():
    client, transport = key_client((202, b""))
    sent = client.send_filtered(
        "chat",
        [
            FilteredSend(
                SendToAll(data='{"n":1}', data_type=DataType.JSON, excluded=("c1", "c2")), "userId ne 'x'"
            )
        ],
    )
    assert sent == 1
    (request,) = transport.requests
    method, path, query = parts(request)
    assert (method, path) == ("POST", "/api/hubs/chat/:send")
    assert query == {"api-version": [API_VERSION], "filter": ["userId ne 'x'"], "excluded": ["c1", "c2"]}
    assert request.headers["Content-Type"] == "application/json"
    assert body(request) == b'{"n":1}'


def test_group_and_user_sends_take_their_paths_and_content_types():
    client, transport = key_client((202, b""), (202, b""))
    client.send_filtered(
        "chat",
        [
            FilteredSend(SendToGroup(group="lobby", data="hello"), "groups/any(g: g eq 'x')"),
            FilteredSend(
                SendToUser(user_id="bob", data=b"\x00\xff", data_type=DataType.BINARY), "protocol eq 'x'"
            ),
        ],
    )
    group, user = transport.requests
    assert parts(group)[:2] == ("POST", "/api/hubs/chat/groups/lobby/:send")
    assert (group.headers["Content-Type"], body(group)) == ("text/plain", b"hello")
    assert parts(user)[:2] == ("POST", "/api/hubs/chat/users/bob/:send")
    assert (user.headers["Content-Type"], body(user)) == ("application/octet-stream", b"\x00\xff")


def test_a_connection_string_signs_each_request_with_a_jwt_from_the_access_key():
    client, transport = key_client((200, b""))
    client.user_connected("chat", "bob")
    (request,) = transport.requests
    scheme, token = request.headers["Authorization"].split(" ")
    claims = jwt.decode(token, KEY, algorithms=["HS256"], options={"verify_aud": False})
    assert scheme == "Bearer"
    assert claims["aud"].split("?")[0] == f"{ENDPOINT}/api/hubs/chat/users/bob"
    assert claims["exp"] > time.time()


def test_an_identity_uses_a_bearer_token_from_the_credential():
    credential = FakeCredential()
    env = {f"{SETTING}__serviceUri": ENDPOINT}
    transport = FakeTransport((200, b""))
    client = SdkGateway(SETTING, env, transport=transport, credential=credential)
    assert client.user_connected("chat", "bob") is True
    assert transport.requests[0].headers["Authorization"] == "Bearer PLANTED-BEARER-TOKEN"
    assert credential.scopes == ["https://webpubsub.azure.com/.default"]


def test_the_identity_is_the_user_assigned_one_when_a_client_id_is_set():
    assert isinstance(_identity_credential("00000000-0000-0000-0000-000000000001"), ManagedIdentityCredential)
    assert isinstance(_identity_credential(None), DefaultAzureCredential)


def test_presence_of_a_user_is_a_head_request():
    client, transport = key_client((404, b""))
    assert client.user_connected("chat", "a b") is False
    method, path, query = parts(transport.requests[0])
    assert (method, path, query) == ("HEAD", "/api/hubs/chat/users/a%20b", {"api-version": [API_VERSION]})


def test_room_connections_are_listed_with_a_bound():
    page = {"value": [{"connectionId": f"c{i}", "userId": f"u{i}"} for i in range(3)], "nextLink": None}
    client, transport = key_client((200, page))
    assert client.room_connections("chat", "lobby", 2) == [("c0", "u0"), ("c1", "u1")]
    method, path, query = parts(transport.requests[0])
    assert (method, path) == ("GET", "/api/hubs/chat/groups/lobby/connections")
    assert query["top"] == ["2"]


def test_a_4xx_is_a_service_error_with_its_status_and_is_not_retried():
    client, transport = key_client((400, {"code": "BadRequest", "message": "bad filter"}))
    with pytest.raises(GatewayError) as err:
        client.send_filtered("chat", [FilteredSend(SendToAll(data="x"), "userId eq 'a'")])
    assert (err.value.status, err.value.sent, str(err.value)) == (400, 0, "Web PubSub answered 400")
    assert len(transport.requests) == 1


@pytest.mark.parametrize("status", [429, 500, 503])
def test_throttling_and_server_errors_are_retried_a_bounded_number_of_times(status):
    client, transport = key_client(*[(status, b"", {"Retry-After": "0"})] * 10)
    with pytest.raises(GatewayError) as err:
        client.user_connected("chat", "bob")
    assert err.value.status == status
    assert len(transport.requests) == 3  # one try and two retries: no storm
    assert sum(transport.sleeps) <= 10


def test_a_failure_midway_says_how_many_filtered_sends_went_out():
    client, _ = key_client((202, b""), (403, b""))
    sends = [
        FilteredSend(SendToAll(data="1"), "userId eq 'a'"),
        FilteredSend(SendToAll(data="2"), "userId eq 'b'"),
    ]
    with pytest.raises(GatewayError) as err:
        client.send_filtered("chat", sends)
    assert (err.value.status, err.value.sent) == (403, 1)


def test_no_secret_reaches_a_log_record_or_an_error(caplog):
    caplog.set_level(logging.DEBUG)
    client, _ = key_client((500, b""), (500, b""), (500, b""))
    with pytest.raises(GatewayError) as err:
        client.user_connected("chat", "bob")
    texts = [r.getMessage() for r in caplog.records] + [str(err.value), repr(err.value)]
    assert texts and not any(KEY in t for t in texts)
    credential = FakeCredential()
    transport = FakeTransport((500, b""), (500, b""), (500, b""))
    identity = SdkGateway(
        SETTING, {f"{SETTING}__serviceUri": ENDPOINT}, transport=transport, credential=credential
    )
    with pytest.raises(GatewayError):
        identity.user_connected("chat", "bob")
    assert not any("PLANTED-BEARER-TOKEN" in r.getMessage() for r in caplog.records)


def test_one_client_per_hub_built_on_first_use():
    gateway = SdkGateway(SETTING, {SETTING: CONNECTION_STRING}, transport=FakeTransport())
    assert gateway.client("chat") is gateway.client("chat")
    assert gateway.client("chat") is not gateway.client("other")


def test_a_missing_setting_fails_at_first_use_naming_it():
    gateway = SdkGateway(SETTING, {})
    with pytest.raises(SettingsError, match=SETTING):
        gateway.user_connected("chat", "bob")


def test_a_retried_send_carries_the_whole_body_again():
    client, transport = key_client((500, b""), (202, b""))
    client.send_filtered("chat", [FilteredSend(SendToAll(data="once"), "userId eq 'a'")])
    assert [body(r) for r in transport.requests] == [b"once", b"once"]


class PolicyFailure(AzureError):
    """Any other AzureError, as a pipeline policy may raise."""


# Every failure the SDK raises without an HTTP answer is an AzureError.
NO_ANSWER = [
    (ServiceRequestError("connection refused"), "Web PubSub could not be reached"),
    (ServiceRequestTimeoutError("connect timed out"), "Web PubSub could not be reached"),
    (
        ServiceResponseError("connection reset"),
        "Web PubSub did not answer: the connection dropped or timed out",
    ),
    (
        ServiceResponseTimeoutError("read timed out"),
        "Web PubSub did not answer: the connection dropped or timed out",
    ),
    (AzureError("Maximum retries exceeded."), "the Web PubSub client failed (AzureError)"),
    (PolicyFailure("a pipeline policy gave up"), "the Web PubSub client failed (PolicyFailure)"),
]


@pytest.mark.parametrize("error, message", NO_ANSWER)
def test_a_send_that_gets_no_answer_is_a_gateway_error_counting_the_sends_before_it(error, message):
    client, transport = key_client((202, b""), error)
    sends = [FilteredSend(SendToAll(data=str(n)), "userId eq 'a'") for n in range(3)]
    with pytest.raises(GatewayError) as err:
        client.send_filtered("chat", sends)
    assert (err.value.status, err.value.sent, str(err.value)) == (None, 1, message)
    assert len(transport.requests) == 2  # a POST is not retried, and the third never went


@pytest.mark.parametrize("error, message", NO_ANSWER)
def test_a_presence_question_that_gets_no_answer_is_a_gateway_error(error, message):
    # HEAD and GET are retried on a read or connect failure: every try fails here.
    for ask in (lambda c: c.user_connected("chat", "bob"), lambda c: c.room_connections("chat", "r", 5)):
        client, _ = key_client(*[error] * 3)
        with pytest.raises(GatewayError) as err:
            ask(client)
        assert (err.value.status, str(err.value)) == (None, message)


def test_an_sdk_failure_message_carries_neither_the_key_nor_the_errors_own_text():
    client, _ = key_client(ServiceRequestError(f"failed with {KEY}"))
    with pytest.raises(GatewayError) as err:
        client.send_filtered("chat", [FilteredSend(SendToAll(data="x"), "userId eq 'a'")])
    assert KEY not in str(err.value) and KEY not in repr(err.value)
    assert err.value.__cause__ is None and err.value.__suppress_context__
