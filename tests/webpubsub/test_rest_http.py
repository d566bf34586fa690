"""The REST API on the wire: validation at its limits, api-versions, paging, bodies, unknown paths."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import jwt
import pytest

from tests.webpubsub.rest_fixtures import HUB, KEY, Reply, Served, bearer, http, serve
from tools.webpubsub.rest import routes
from tools.webpubsub.tokens import verify_client_token


@pytest.fixture
def served() -> Iterator[Served]:
    with serve() as running:
        yield running


def call(
    served: Served,
    method: str,
    path: str,
    query: list[tuple[str, str]] | None = None,
    body: bytes | None = None,
    content_type: str | None = None,
) -> Reply:
    """A signed request, as an SDK would send it."""
    url = served.url(path) + (f"?{urlencode(query)}" if query else "")
    headers = bearer(url)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return http(method, url, data=body, headers=headers)


def send(served: Served, path: str = f"/api/hubs/{HUB}/:send", **kwargs: Any) -> Reply:
    kwargs.setdefault("body", b"hello")
    kwargs.setdefault("content_type", "text/plain")
    return call(served, "POST", path, **kwargs)


def assert_bad_request(response: Reply, target: str, message: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["x-ms-error-code"] == "InvalidArgument"
    assert response.json() == {"code": "InvalidArgument", "message": f"{target}: {message}", "target": target}


# api-versions


@pytest.mark.parametrize("version", ["2021-10-01", "2022-11-01", "2024-01-01", "2024-12-01"])
def test_each_supported_api_version_is_served(served: Served, version: str) -> None:
    sink = served.connect("c1")
    assert send(served, query=[("api-version", version)]).status_code == 202
    assert len(sink.messages) == 1


def test_no_api_version_means_the_latest(served: Served) -> None:
    served.connect("c1")
    assert send(served).status_code == 202


def test_an_unknown_api_version_is_a_400(served: Served) -> None:
    assert_bad_request(
        send(served, query=[("api-version", "2099-01-01")]),
        "api-version",
        "'2099-01-01' is not supported; use one of 2021-10-01, 2022-11-01, 2024-01-01, 2024-12-01",
    )


def test_conflicting_api_versions_are_a_400(served: Served) -> None:
    assert_bad_request(
        send(served, query=[("api-version", "2024-12-01"), ("api-version", "2024-01-01")]),
        "api-version",
        "given more than once with different values",
    )


# paths


def test_an_unknown_path_is_a_404_with_an_error_body(served: Served) -> None:
    response = call(served, "POST", f"/api/hubs/{HUB}/:explode")
    assert response.status_code == 404
    assert response.json() == {"code": "NotFound", "message": f"no operation at /api/hubs/{HUB}/:explode"}


def test_a_known_path_with_the_wrong_method_is_a_405(served: Served) -> None:
    response = call(served, "GET", f"/api/hubs/{HUB}/:send")
    assert response.status_code == 405
    assert response.json() == {"code": "MethodNotAllowed", "message": "GET is not allowed here; use POST"}
    assert response.headers["Allow"] == "POST"


def test_the_api_serves_the_25_operations_of_the_spec() -> None:
    operations = list(routes())
    assert len(operations) == len(set(operations)) == 25
    assert ("HEAD", "/api/health") in operations
    assert ("GET", "/api/hubs/{hub}/groups/{group}/connections") in operations
    assert ("POST", "/api/hubs/{hub}/:removeFromGroups") in operations


def test_a_body_over_the_applications_limit_is_a_413(served: Served) -> None:
    sink = served.connect("c1")
    limit = 1024**2  # aiohttp's default client_max_size
    assert send(served, body=b"x" * (limit - 1)).status_code == 202
    response = send(served, body=b"x" * (limit + 1))
    assert response.status_code == 413
    assert response.json()["code"] == "RequestEntityTooLarge"
    assert [len(m.data) for m in sink.messages] == [limit - 1]


def test_each_call_is_logged_without_its_token(served: Served, caplog: pytest.LogCaptureFixture) -> None:
    served.connect("c1")
    caplog.set_level(logging.DEBUG, logger="tools.webpubsub.rest")
    url = served.url(f"/api/hubs/{HUB}/:send?api-version=2024-12-01")
    headers = {**bearer(url), "Content-Type": "text/plain"}
    assert http("POST", url, data=b"x", headers=headers).status_code == 202
    assert f"REST POST /api/hubs/{HUB}/:send?api-version=2024-12-01 -> 202" in caplog.messages
    token = headers["Authorization"].split()[1]
    assert all(token not in message for message in caplog.messages)


def test_an_unknown_path_needs_no_token_to_be_a_404(served: Served) -> None:
    assert http("GET", served.url("/api/nothing")).status_code == 404


# hub, group, id and permission names


def test_a_hub_name_of_128_characters_is_accepted_and_129_is_a_400(served: Served) -> None:
    assert send(served, f"/api/hubs/h{'x' * 127}/:send").status_code == 202
    assert_bad_request(
        send(served, f"/api/hubs/h{'x' * 128}/:send"),
        "hub",
        "must start with a letter and hold up to 128 letters, digits and _`,.[] characters",
    )


@pytest.mark.parametrize("hub", ["1chat", "chat-room", "_chat"])
def test_a_hub_name_outside_the_pattern_is_a_400(served: Served, hub: str) -> None:
    response = send(served, f"/api/hubs/{hub}/:send")
    assert response.status_code == 400
    assert response.json()["target"] == "hub"


def test_a_hub_name_with_the_patterns_punctuation_is_accepted(served: Served) -> None:
    assert send(served, "/api/hubs/" + quote("a_b`c,d.e[f]", safe="") + "/:send").status_code == 202


def test_a_group_of_1024_characters_is_accepted_and_1025_is_a_400(served: Served) -> None:
    sink = served.connect("c1", groups=("g" * 1024,))
    assert send(served, f"/api/hubs/{HUB}/groups/{'g' * 1024}/:send").status_code == 202
    assert len(sink.messages) == 1
    assert_bad_request(
        send(served, f"/api/hubs/{HUB}/groups/{'g' * 1025}/:send"),
        "group",
        "is 1025 characters long; the limit is 1024",
    )


def test_a_white_space_group_is_a_400(served: Served) -> None:
    assert_bad_request(
        call(served, "PUT", f"/api/hubs/{HUB}/users/u1/groups/%20%20"),
        "group",
        "must not be empty or only white space",
    )


def test_an_escaped_slash_stays_inside_a_group_name(served: Served) -> None:
    served.connect("c1")
    assert call(served, "PUT", f"/api/hubs/{HUB}/groups/a%2Fb/connections/c1").status_code == 200
    assert served.service.in_group(HUB, "a/b")[0].id == "c1"


def test_an_empty_user_id_is_a_400(served: Served) -> None:
    assert_bad_request(send(served, f"/api/hubs/{HUB}/users//:send"), "userId", "must not be empty")


def test_an_unknown_permission_is_a_400(served: Served) -> None:
    served.connect("c1")
    assert_bad_request(
        call(served, "PUT", f"/api/hubs/{HUB}/permissions/admin/connections/c1"),
        "permission",
        "'admin' is not one of sendToGroup, joinLeaveGroup",
    )


def test_a_target_name_over_1024_characters_is_a_400(served: Served) -> None:
    served.connect("c1")
    path = f"/api/hubs/{HUB}/permissions/sendToGroup/connections/c1"
    assert call(served, "PUT", path, query=[("targetName", "t" * 1024)]).status_code == 200
    assert_bad_request(
        call(served, "PUT", path, query=[("targetName", "t" * 1025)]),
        "targetName",
        "is 1025 characters long; the limit is 1024",
    )


# query parameters


@pytest.mark.parametrize("ttl", ["0", "300"])
def test_message_ttl_at_its_limits_is_accepted(served: Served, ttl: str) -> None:
    assert send(served, query=[("messageTtlSeconds", ttl)]).status_code == 202


@pytest.mark.parametrize(
    ("ttl", "message"),
    [
        ("301", "301 is out of range; it must be from 0 to 300"),
        ("-1", "-1 is out of range; it must be from 0 to 300"),
        ("ten", "'ten' is not an integer"),
    ],
)
def test_message_ttl_past_its_limits_is_a_400(served: Served, ttl: str, message: str) -> None:
    assert_bad_request(send(served, query=[("messageTtlSeconds", ttl)]), "messageTtlSeconds", message)


@pytest.mark.parametrize(
    "excluded",
    [
        [("excluded", "c1"), ("excluded", "c3")],
        [("excluded", "c1,c3")],
        [("excluded", "c1, c3"), ("excluded", "")],
    ],
)
def test_excluded_is_read_repeated_and_comma_separated(
    served: Served, excluded: list[tuple[str, str]]
) -> None:
    sinks = [served.connect(f"c{n}") for n in (1, 2, 3)]
    assert send(served, query=excluded).status_code == 202
    assert [len(s.messages) for s in sinks] == [0, 1, 0]


def test_a_filter_outside_the_grammar_is_a_400_naming_the_problem(served: Served) -> None:
    assert_bad_request(
        send(served, query=[("filter", "userId = 'a'")]), "filter", "cannot read '=' at position 7"
    )


def test_a_filter_selects_the_recipients_of_a_group_send(served: Served) -> None:
    alice = served.connect("c1", "alice", groups=("room",))
    bob = served.connect("c2", "bob", groups=("room", "vip"))
    outside = served.connect("c3", "carol")
    response = send(served, f"/api/hubs/{HUB}/groups/room/:send", query=[("filter", "not ('vip' in groups)")])
    assert response.status_code == 202
    assert [len(alice.messages), len(bob.messages), len(outside.messages)] == [1, 0, 0]


# bodies


@pytest.mark.parametrize(
    ("content_type", "body", "data_type"),
    [
        ("text/plain", "héllo".encode(), "text"),
        ("text/plain; charset=utf-8", b"hi", "text"),
        ("application/json", b'{"a": [1, 2.5, null]}', "json"),
        ("application/json; charset=utf-8", b'"just a string"', "json"),
        ("application/octet-stream", bytes(range(256)), "binary"),
    ],
)
def test_a_send_body_is_typed_by_its_content_type(
    served: Served, content_type: str, body: bytes, data_type: str
) -> None:
    sink = served.connect("c1")
    assert send(served, body=body, content_type=content_type).status_code == 202
    assert [(m.data, m.data_type) for m in sink.messages] == [(body, data_type)]


@pytest.mark.parametrize(
    ("content_type", "body", "target", "message"),
    [
        ("application/json", b"{not json", "body", "is not valid JSON (Content-Type is application/json)"),
        ("application/json", b"NaN", "body", "is not valid JSON (Content-Type is application/json)"),
        ("application/json", b"", "body", "is not valid JSON (Content-Type is application/json)"),
        ("text/plain", b"\xff\xfe", "body", "is not UTF-8 text"),
        (
            "text/html",
            b"<p>",
            "Content-Type",
            "'text/html' is not one of text/plain, application/json, application/octet-stream",
        ),
    ],
)
def test_a_send_body_that_does_not_match_its_type_is_a_400(
    served: Served, content_type: str, body: bytes, target: str, message: str
) -> None:
    sink = served.connect("c1")
    assert_bad_request(send(served, body=body, content_type=content_type), target, message)
    assert sink.messages == []


def test_a_send_without_content_type_is_a_400(served: Served) -> None:
    url = served.url(f"/api/hubs/{HUB}/:send")
    response = http("POST", url, data=b"x", headers={**bearer(url), "Content-Type": ""})
    assert response.status_code == 400
    assert response.json()["target"] == "Content-Type"


@pytest.mark.parametrize(
    ("body", "target", "message"),
    [
        (b"[", "body", "is not valid JSON"),
        (b'["g"]', "body", 'must be a JSON object {"groups": [...], "filter": "..."}'),
        (b'{"filter": "true"}', "groups", "must be a list of group names"),
        (b'{"groups": ["a", 1]}', "groups", "must be a list of group names"),
        (b'{"groups": ["' + b"g" * 1025 + b'"]}', "groups", "is 1025 characters long; the limit is 1024"),
        (b'{"groups": ["a"], "filter": 3}', "filter", "must be a string"),
        (b'{"groups": ["a"], "filter": "userId eq"}', "filter", "the filter ends where a value was expected"),
    ],
)
def test_add_to_groups_refuses_a_body_outside_the_spec(
    served: Served, body: bytes, target: str, message: str
) -> None:
    assert_bad_request(
        call(served, "POST", f"/api/hubs/{HUB}/:addToGroups", body=body, content_type="application/json"),
        target,
        message,
    )


def test_add_and_remove_groups_by_filter(served: Served) -> None:
    served.connect("c1", "alice")
    served.connect("c2", "bob")
    body = json.dumps({"groups": ["a", "b"], "filter": "userId eq 'bob'"}).encode()
    path = f"/api/hubs/{HUB}/:addToGroups"
    assert call(served, "POST", path, body=body, content_type="application/json").status_code == 200
    assert [c.id for c in served.service.in_group(HUB, "a")] == ["c2"]
    assert [c.id for c in served.service.in_group(HUB, "b")] == ["c2"]
    body = json.dumps({"groups": ["a"]}).encode()
    path = f"/api/hubs/{HUB}/:removeFromGroups"
    assert call(served, "POST", path, body=body, content_type="application/json").status_code == 200
    assert served.service.in_group(HUB, "a") == []
    assert [c.id for c in served.service.in_group(HUB, "b")] == ["c2"]


# paging


def list_page(served: Served, path: str, query: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    response = call(served, "GET", path, query=query)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_group_connections_are_paged_with_a_next_link(served: Served) -> None:
    for n in range(5):
        served.connect(f"c{n}", f"u{n}" if n % 2 else None, groups=("room",))
    path = f"/api/hubs/{HUB}/groups/room/connections"
    seen: list[dict[str, str]] = []
    page = list_page(served, path, [("maxpagesize", "2")])
    for _ in range(5):
        seen += page["value"]
        assert len(page["value"]) <= 2
        if "nextLink" not in page:
            break
        next_path, _, next_query = page["nextLink"].partition("?")
        page = list_page(served, next_path + "?" + next_query)
    assert seen == [
        {"connectionId": "c0"},
        {"connectionId": "c1", "userId": "u1"},
        {"connectionId": "c2"},
        {"connectionId": "c3", "userId": "u3"},
        {"connectionId": "c4"},
    ]


def test_top_caps_the_listing_across_pages(served: Served) -> None:
    for n in range(5):
        served.connect(f"c{n}", groups=("room",))
    path = f"/api/hubs/{HUB}/groups/room/connections"
    first = list_page(served, path, [("maxpagesize", "2"), ("top", "3")])
    assert [m["connectionId"] for m in first["value"]] == ["c0", "c1"]
    next_path, _, next_query = first["nextLink"].partition("?")
    second = list_page(served, next_path + "?" + next_query)
    assert [m["connectionId"] for m in second["value"]] == ["c2"]
    assert "nextLink" not in second


@pytest.mark.parametrize("size", ["1", "200"])
def test_maxpagesize_at_its_limits_is_accepted(served: Served, size: str) -> None:
    assert list_page(served, f"/api/hubs/{HUB}/groups/room/connections", [("maxpagesize", size)]) == {
        "value": []
    }


@pytest.mark.parametrize(
    ("size", "message"),
    [
        ("0", "0 is out of range; it must be from 1 to 200"),
        ("201", "201 is out of range; it must be from 1 to 200"),
    ],
)
def test_maxpagesize_past_its_limits_is_a_400(served: Served, size: str, message: str) -> None:
    response = call(served, "GET", f"/api/hubs/{HUB}/groups/room/connections", query=[("maxpagesize", size)])
    assert_bad_request(response, "maxpagesize", message)


def test_a_foreign_continuation_token_is_a_400(served: Served) -> None:
    response = call(
        served, "GET", f"/api/hubs/{HUB}/groups/room/connections", query=[("continuationToken", "%%%")]
    )
    assert_bad_request(response, "continuationToken", "is not one this service issued")


# client tokens


def test_generate_token_issues_a_token_the_client_endpoint_accepts(served: Served) -> None:
    query = [
        ("userId", "alice"),
        ("role", "webpubsub.sendToGroup"),
        ("role", "webpubsub.joinLeaveGroup.room"),
        ("minutesToExpire", "5"),
        ("group", "room"),
        ("group", "lobby"),
    ]
    response = call(served, "POST", f"/api/hubs/{HUB}/:generateToken", query=query)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    token = response.json()["token"]
    identity = verify_client_token(KEY, f"http://127.0.0.1:{served.port}", HUB, token)
    assert identity.user_id == "alice"
    assert identity.roles == ("webpubsub.sendToGroup", "webpubsub.joinLeaveGroup.room")
    assert identity.groups == ("room", "lobby")
    claims = jwt.decode(token, KEY, algorithms=["HS256"], options={"verify_aud": False})
    assert claims["exp"] - claims["iat"] == 300
    assert claims["exp"] <= time.time() + 301


@pytest.mark.parametrize(
    ("query", "target", "message"),
    [
        ([("minutesToExpire", "0")], "minutesToExpire", "0 is out of range; it must be from 1 to 43200"),
        ([("clientType", "MQTT")], "clientType", "'MQTT' clients are not supported here; use Default"),
        ([("group", "")], "group", "must not be empty or only white space"),
    ],
)
def test_generate_token_refuses_parameters_outside_the_spec(
    served: Served, query: list[tuple[str, str]], target: str, message: str
) -> None:
    assert_bad_request(call(served, "POST", f"/api/hubs/{HUB}/:generateToken", query=query), target, message)


# existence and missing connections


def test_head_checks_answer_200_or_a_bodiless_404(served: Served) -> None:
    served.connect("c1", "alice", groups=("room",))
    for path, status in [
        (f"/api/hubs/{HUB}/connections/c1", 200),
        (f"/api/hubs/{HUB}/connections/c9", 404),
        (f"/api/hubs/{HUB}/users/alice", 200),
        (f"/api/hubs/{HUB}/users/bob", 404),
        (f"/api/hubs/{HUB}/groups/room", 200),
        (f"/api/hubs/{HUB}/groups/hall", 404),
        (f"/api/hubs/{HUB.upper()}/groups/room", 200),
    ]:
        response = call(served, "HEAD", path)
        assert (path, response.status_code, response.content) == (path, status, b"")


def test_adding_a_missing_connection_to_a_group_is_a_404(served: Served) -> None:
    response = call(served, "PUT", f"/api/hubs/{HUB}/groups/room/connections/c9")
    assert response.status_code == 404
    assert response.json() == {
        "code": "NotFound",
        "message": "the connection does not exist",
        "target": "connectionId",
    }


def test_granting_to_a_missing_connection_is_a_404(served: Served) -> None:
    response = call(served, "PUT", f"/api/hubs/{HUB}/permissions/sendToGroup/connections/c9")
    assert response.status_code == 404
    assert response.json()["target"] == "connectionId"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", f"/api/hubs/{HUB}/connections/c9"),
        ("DELETE", f"/api/hubs/{HUB}/connections/c9/groups"),
        ("DELETE", f"/api/hubs/{HUB}/groups/room/connections/c9"),
        ("DELETE", f"/api/hubs/{HUB}/permissions/sendToGroup/connections/c9"),
        ("DELETE", f"/api/hubs/{HUB}/users/nobody/groups"),
        ("DELETE", f"/api/hubs/{HUB}/users/nobody/groups/room"),
        ("POST", f"/api/hubs/{HUB}/users/nobody/:closeConnections"),
        ("POST", f"/api/hubs/{HUB}/groups/room/:closeConnections"),
        ("POST", f"/api/hubs/{HUB}/:closeConnections"),
    ],
)
def test_removing_or_closing_what_is_not_there_is_still_a_204(served: Served, method: str, path: str) -> None:
    assert call(served, method, path).status_code == 204


def test_sending_to_a_missing_connection_is_accepted(served: Served) -> None:
    assert send(served, f"/api/hubs/{HUB}/connections/c9/:send").status_code == 202
