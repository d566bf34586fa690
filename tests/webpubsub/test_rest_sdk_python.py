"""Microsoft's Python server SDK (``azure-messaging-webpubsubservice``) against the REST API.

Every operation the SDK's ``WebPubSubServiceClient`` offers is called on a
loopback port; the three the 1.3 client has no method for (``:generateToken``
with a key, ``:addToGroups``, ``:removeFromGroups``) and the health check go
through its ``send_request``, signed by the same pipeline.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import jwt
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest
from azure.messaging.webpubsubservice import WebPubSubServiceClient
from azure.messaging.webpubsubservice._operations._operations import (
    build_web_pub_sub_service_get_client_access_token_request,
)

from tests.webpubsub.rest_fixtures import HUB, KEY, Served, serve
from tools.webpubsub.tokens import verify_client_token


@pytest.fixture
def served() -> Iterator[Served]:
    with serve() as running:
        yield running


@pytest.fixture
def client(served: Served) -> Iterator[WebPubSubServiceClient]:
    with WebPubSubServiceClient.from_connection_string(served.connection_string(), hub=HUB) as sdk:
        yield sdk


# sends


def test_send_to_all_delivers_json_text_and_binary(served: Served, client: WebPubSubServiceClient) -> None:
    sink = served.connect("c1")
    client.send_to_all({"text": "hi", "n": 1})
    client.send_to_all("plain", content_type="text/plain")
    client.send_to_all(io.BytesIO(b"\x00\x01"), content_type="application/octet-stream")
    assert [(json.loads(sink.messages[0].data), sink.messages[0].data_type)] == [
        ({"text": "hi", "n": 1}, "json")
    ]
    assert [(m.data, m.data_type) for m in sink.messages[1:]] == [(b"plain", "text"), (b"\x00\x01", "binary")]


def test_send_to_all_honours_excluded_and_filter(served: Served, client: WebPubSubServiceClient) -> None:
    alice, bob, carol = (
        served.connect("c1", "alice"),
        served.connect("c2", "bob"),
        served.connect("c3", "carol"),
    )
    client.send_to_all("a", content_type="text/plain", excluded=["c1", "c3"])
    client.send_to_all("b", content_type="text/plain", filter="userId ne 'bob'", excluded=["c3"])
    assert [m.data for m in alice.messages] == [b"b"]
    assert [m.data for m in bob.messages] == [b"a"]
    assert carol.messages == []


def test_send_to_group_reaches_its_members_only(served: Served, client: WebPubSubServiceClient) -> None:
    inside = served.connect("c1", groups=("room",))
    also = served.connect("c2", "bob", groups=("room",))
    outside = served.connect("c3")
    client.send_to_group("room", "hello", content_type="text/plain", excluded=["c2"])
    client.send_to_group("room", {"n": 2}, filter="userId eq 'bob'")
    assert [m.data for m in inside.messages] == [b"hello"]
    assert [m.data_type for m in also.messages] == ["json"]
    assert outside.messages == []


def test_send_to_user_reaches_each_of_its_connections(served: Served, client: WebPubSubServiceClient) -> None:
    first, second = served.connect("c1", "alice"), served.connect("c2", "alice", groups=("vip",))
    other = served.connect("c3", "bob")
    client.send_to_user("alice", "hi", content_type="text/plain")
    client.send_to_user("alice", "vip only", content_type="text/plain", filter="'vip' in groups")
    assert [m.data for m in first.messages] == [b"hi"]
    assert [m.data for m in second.messages] == [b"hi", b"vip only"]
    assert other.messages == []


def test_send_to_connection_reaches_that_connection(served: Served, client: WebPubSubServiceClient) -> None:
    target, other = served.connect("c1"), served.connect("c2")
    client.send_to_connection("c1", io.BytesIO(b"\xff"), content_type="application/octet-stream")
    assert [(m.data, m.data_type) for m in target.messages] == [(b"\xff", "binary")]
    assert other.messages == []


# closing


def test_close_all_connections_spares_the_excluded(served: Served, client: WebPubSubServiceClient) -> None:
    a, b = served.connect("c1"), served.connect("c2")
    client.close_all_connections(excluded=["c2"], reason="maintenance")
    assert (a.closed, b.closed) == (["maintenance"], [])
    assert served.connection("c1") is None and served.connection("c2") is not None


def test_close_group_connections(served: Served, client: WebPubSubServiceClient) -> None:
    a, b, c = (
        served.connect("c1", groups=("room",)),
        served.connect("c2", groups=("room",)),
        served.connect("c3"),
    )
    client.close_group_connections("room", excluded=["c1"], reason="room closed")
    assert (a.closed, b.closed, c.closed) == ([], ["room closed"], [])


def test_close_user_connections(served: Served, client: WebPubSubServiceClient) -> None:
    a, b, c = served.connect("c1", "alice"), served.connect("c2", "alice"), served.connect("c3", "bob")
    client.close_user_connections("alice", excluded=["c2"], reason="signed out")
    assert (a.closed, b.closed, c.closed) == (["signed out"], [], [])


def test_close_connection(served: Served, client: WebPubSubServiceClient) -> None:
    a = served.connect("c1")
    client.close_connection("c1", reason="bye")
    client.close_connection("c1")  # already gone: still a success
    assert a.closed == ["bye"]
    assert served.connection("c1") is None


# existence


def test_existence_checks_answer_true_and_false(served: Served, client: WebPubSubServiceClient) -> None:
    served.connect("c1", "alice", groups=("room",))
    assert client.connection_exists("c1") is True
    assert client.connection_exists("c9") is False
    assert client.user_exists("alice") is True
    assert client.user_exists("bob") is False
    assert client.group_exists("room") is True
    assert client.group_exists("hall") is False


# groups


def test_connection_group_membership(served: Served, client: WebPubSubServiceClient) -> None:
    served.connect("c1")
    client.add_connection_to_group("room", "c1")
    client.add_connection_to_group("hall", "c1")
    assert client.group_exists("room")
    client.remove_connection_from_group("room", "c1")
    assert [c.id for c in served.service.in_group(HUB, "hall")] == ["c1"]
    assert not client.group_exists("room")
    client.remove_connection_from_all_groups("c1")
    assert not client.group_exists("hall")


def test_adding_a_missing_connection_raises_not_found(client: WebPubSubServiceClient) -> None:
    with pytest.raises(ResourceNotFoundError) as caught:
        client.add_connection_to_group("room", "c9")
    assert caught.value.status_code == 404
    assert caught.value.error is not None and caught.value.error.code == "NotFound"
    assert caught.value.error.message == "the connection does not exist"


def test_user_group_membership_reaches_present_and_future_connections(
    served: Served, client: WebPubSubServiceClient
) -> None:
    served.connect("c1", "alice")
    client.add_user_to_group("room", "alice")
    client.add_user_to_group("hall", "alice")
    later = served.connect("c2", "alice")
    client.send_to_group("room", "hi", content_type="text/plain")
    assert [m.data for m in later.messages] == [b"hi"]
    client.remove_user_from_group("room", "alice")
    assert not client.group_exists("room")
    client.remove_user_from_all_groups("alice")
    assert not client.group_exists("hall")


def test_list_connections_follows_next_links_across_pages(
    served: Served, client: WebPubSubServiceClient
) -> None:
    for n in range(7):
        served.connect(f"c{n}", f"u{n}", groups=("room",))
    served.connect("c9", groups=("hall",))
    pages = [list(page) for page in client.list_connections(group="room", maxpagesize=3).by_page()]
    assert [len(p) for p in pages] == [3, 3, 1]
    members = [m for page in pages for m in page]
    assert [(m.connection_id, m.user_id) for m in members] == [(f"c{n}", f"u{n}") for n in range(7)]
    assert [m.connection_id for m in client.list_connections(group="room", top=4, maxpagesize=3)] == [
        "c0",
        "c1",
        "c2",
        "c3",
    ]


def test_list_connections_out_of_range_page_size_raises(client: WebPubSubServiceClient) -> None:
    with pytest.raises(HttpResponseError) as caught:
        list(client.list_connections(group="room", maxpagesize=201))
    assert caught.value.status_code == 400
    assert caught.value.error is not None
    assert caught.value.error.message == "maxpagesize: 201 is out of range; it must be from 1 to 200"


# permissions


def test_permissions_are_granted_checked_and_revoked(served: Served, client: WebPubSubServiceClient) -> None:
    served.connect("c1")
    assert client.has_permission("sendToGroup", "c1", target_name="room") is False
    client.grant_permission("sendToGroup", "c1", target_name="room")
    assert client.has_permission("sendToGroup", "c1", target_name="room") is True
    assert client.has_permission("sendToGroup", "c1", target_name="hall") is False
    client.grant_permission("joinLeaveGroup", "c1")
    assert client.has_permission("joinLeaveGroup", "c1") is True
    assert client.has_permission("joinLeaveGroup", "c1", target_name="any") is True
    client.revoke_permission("sendToGroup", "c1", target_name="room")
    client.revoke_permission("joinLeaveGroup", "c1")
    assert client.has_permission("sendToGroup", "c1", target_name="room") is False
    assert client.has_permission("joinLeaveGroup", "c1") is False
    assert client.has_permission("joinLeaveGroup", "c9") is False


# client tokens


def test_get_client_access_token_is_accepted_by_the_service(
    served: Served, client: WebPubSubServiceClient
) -> None:
    issued = client.get_client_access_token(
        user_id="alice", roles=["webpubsub.sendToGroup.room"], groups=["room"], minutes_to_expire=5
    )
    assert issued["url"] == f"ws://localhost:{served.port}/client/hubs/{HUB}?access_token={issued['token']}"
    identity = verify_client_token(KEY, served.endpoint, HUB, issued["token"])
    assert (identity.user_id, identity.roles, identity.groups) == (
        "alice",
        ("webpubsub.sendToGroup.room",),
        ("room",),
    )


def test_generate_token_through_the_sdk_pipeline(served: Served, client: WebPubSubServiceClient) -> None:
    request = build_web_pub_sub_service_get_client_access_token_request(
        hub=HUB, user_id="bob", roles=["webpubsub.joinLeaveGroup"], minutes_to_expire=2, groups=["a", "b"]
    )
    response = client.send_request(request)
    assert response.status_code == 200
    token = response.json()["token"]
    identity = verify_client_token(KEY, served.endpoint, HUB, token)
    assert (identity.user_id, identity.roles, identity.groups) == (
        "bob",
        ("webpubsub.joinLeaveGroup",),
        ("a", "b"),
    )
    claims = jwt.decode(token, KEY, algorithms=["HS256"], options={"verify_aud": False})
    assert claims["exp"] - claims["iat"] == 120


def test_add_and_remove_groups_through_the_sdk_pipeline(
    served: Served, client: WebPubSubServiceClient
) -> None:
    served.connect("c1", "alice")
    served.connect("c2", "bob")
    add = HttpRequest(
        "POST",
        f"/api/hubs/{HUB}/:addToGroups",
        params={"api-version": "2024-12-01"},
        json={"groups": ["room"], "filter": "userId eq 'alice'"},
    )
    assert client.send_request(add).status_code == 200
    assert [c.id for c in served.service.in_group(HUB, "room")] == ["c1"]
    remove = HttpRequest(
        "POST",
        f"/api/hubs/{HUB}/:removeFromGroups",
        params={"api-version": "2024-12-01"},
        json={"groups": ["room"]},
    )
    assert client.send_request(remove).status_code == 200
    assert served.service.in_group(HUB, "room") == []


def test_health_through_the_sdk_pipeline(client: WebPubSubServiceClient) -> None:
    assert client.send_request(HttpRequest("HEAD", "/api/health")).status_code == 200


# versions, hosts and keys


@pytest.mark.parametrize("version", ["2021-10-01", "2022-11-01", "2024-01-01", "2024-12-01"])
def test_the_sdk_works_on_each_supported_api_version(served: Served, version: str) -> None:
    sink = served.connect("c1", groups=("room",))
    with WebPubSubServiceClient.from_connection_string(
        served.connection_string(), hub=HUB, api_version=version
    ) as sdk:
        sdk.send_to_group("room", "v", content_type="text/plain")
        assert [m.connection_id for m in sdk.list_connections(group="room")] == ["c1"]
    assert [m.data for m in sink.messages] == [b"v"]


def test_the_sdk_works_with_a_127_0_0_1_endpoint(served: Served) -> None:
    sink = served.connect("c1")
    with WebPubSubServiceClient.from_connection_string(served.connection_string("127.0.0.1"), hub=HUB) as sdk:
        sdk.send_to_all("x", content_type="text/plain")
        assert sdk.connection_exists("c1")
    assert len(sink.messages) == 1


def test_the_sdk_with_a_wrong_key_gets_a_401_it_can_read(served: Served) -> None:
    wrong = served.connection_string().replace(KEY, "x" * 64)
    with (
        WebPubSubServiceClient.from_connection_string(wrong, hub=HUB) as sdk,
        pytest.raises(HttpResponseError) as caught,
    ):
        sdk.send_to_all("x", content_type="text/plain")
    assert caught.value.status_code == 401
    assert caught.value.error is not None
    assert caught.value.error.message == "the token's signature does not match the access key"
