"""Who may call the REST API: a key-signed JWT whose audience is the request URL."""

from __future__ import annotations

import time
from collections.abc import Iterator

import jwt
import pytest

from tests.webpubsub.rest_fixtures import KEY, Reply, Served, bearer, http, serve, sign
from tools.webpubsub.auth import same_request_url

SEND = "/api/hubs/chat/:send?api-version=2024-12-01"


@pytest.fixture
def served() -> Iterator[Served]:
    with serve() as running:
        yield running


def post(served: Served, headers: dict[str, str], path: str = SEND, host: str = "localhost") -> Reply:
    return http(
        "POST",
        served.url(path, host),
        data=b"hi",
        headers={"Content-Type": "text/plain", **headers},
    )


def assert_unauthorized(response: Reply, reason: str) -> None:
    assert response.status_code == 401
    assert response.headers["x-ms-error-code"] == "Unauthorized"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"code": "Unauthorized", "message": reason}


def test_a_token_for_the_request_url_is_accepted(served: Served) -> None:
    sink = served.connect("c1")
    assert post(served, bearer(served.url(SEND))).status_code == 202
    assert [m.data for m in sink.messages] == [b"hi"]


@pytest.mark.parametrize(("signed_for", "sent_to"), [("localhost", "127.0.0.1"), ("127.0.0.1", "localhost")])
def test_loopback_host_names_are_one_host(served: Served, signed_for: str, sent_to: str) -> None:
    response = post(served, bearer(served.url(SEND, signed_for)), host=sent_to)
    assert response.status_code == 202


def test_a_missing_authorization_header_is_a_401(served: Served) -> None:
    assert_unauthorized(
        post(served, {}),
        "the request has no Authorization header; send 'Bearer <token signed with the access key>'",
    )


def test_a_non_bearer_scheme_is_a_401(served: Served) -> None:
    token = sign(served.url(SEND))
    response = post(served, {"Authorization": f"Basic {token}"})
    assert_unauthorized(response, "the Authorization header is not a bearer token")
    assert token not in response.text


def test_a_malformed_token_is_a_401_that_does_not_echo_it(served: Served) -> None:
    response = post(served, {"Authorization": "Bearer not.a-jwt.secret-looking-value"})
    assert_unauthorized(response, "the token is not a well-formed JWT")
    assert "secret-looking-value" not in response.text


def test_a_token_signed_with_another_key_is_a_401(served: Served) -> None:
    token = sign(served.url(SEND), key="another-key-" + "fedcba9876543210" * 4)
    response = post(served, {"Authorization": f"Bearer {token}"})
    assert_unauthorized(response, "the token's signature does not match the access key")
    assert token not in response.text


def test_an_expired_token_is_a_401(served: Served) -> None:
    assert_unauthorized(post(served, bearer(served.url(SEND), lifetime=-60)), "the token has expired")


def test_a_token_not_valid_yet_is_a_401(served: Served) -> None:
    headers = bearer(served.url(SEND), nbf=int(time.time()) + 600)
    assert_unauthorized(post(served, headers), "the token is not valid yet (nbf or iat is in the future)")


def test_a_token_without_expiry_is_a_401(served: Served) -> None:
    token = jwt.encode({"aud": served.url(SEND)}, KEY, algorithm="HS256")
    assert_unauthorized(post(served, {"Authorization": f"Bearer {token}"}), "the token has no 'exp' claim")


def test_a_token_signed_with_another_algorithm_is_a_401(served: Served) -> None:
    token = jwt.encode({"aud": served.url(SEND), "exp": int(time.time()) + 60}, KEY, algorithm="HS512")
    assert_unauthorized(
        post(served, {"Authorization": f"Bearer {token}"}), "the token is not signed with HS256"
    )


@pytest.mark.parametrize(
    "audience",
    [
        "/api/hubs/chat/:send?api-version=2024-12-01".replace("chat", "other"),
        "/api/hubs/chat/:send?api-version=2024-01-01",
        "/api/hubs/chat/:send",
        "/api/hubs/chat/:closeConnections?api-version=2024-12-01",
    ],
)
def test_a_token_for_another_url_is_a_401(served: Served, audience: str) -> None:
    assert_unauthorized(
        post(served, bearer(served.url(audience))), "the token's audience (aud) is not this request's URL"
    )


def test_a_token_for_another_port_is_a_401(served: Served) -> None:
    other = f"http://localhost:{served.port + 1}{SEND}"
    assert_unauthorized(post(served, bearer(other)), "the token's audience (aud) is not this request's URL")


def test_health_needs_no_token(served: Served) -> None:
    assert http("HEAD", served.url("/api/health")).status_code == 200
    assert http("GET", served.url("/api/health")).status_code == 200
    refused = http("POST", served.url("/api/health"))
    assert (refused.status_code, refused.headers["Allow"]) == (405, "GET, HEAD")


@pytest.mark.parametrize(
    ("audience", "url"),
    [
        # Each SDK escapes the URL its own way; the audience still names it.
        (
            "http://localhost:8080/api/hubs/chat/users/a%20b/:send?filter=userId%20eq%20%27x%27&api-version=2024-12-01",
            "http://localhost:8080/api/hubs/chat/users/a%20b/%3Asend?api-version=2024-12-01&filter=userId+eq+'x'",
        ),
        ("http://LOCALHOST:8080/api/hubs/Chat/:send", "http://127.0.0.1:8080/api/hubs/chat/:send"),
        ("http://localhost/api/health", "http://localhost:80/api/health"),
        (
            "http://localhost:8080/api/hubs/chat/:send?excluded=a&excluded=b",
            "http://localhost:8080/api/hubs/chat/:send?excluded=b&excluded=a",
        ),
    ],
)
def test_audience_comparison_ignores_escaping_and_loopback_names(audience: str, url: str) -> None:
    assert same_request_url(audience, url)


@pytest.mark.parametrize(
    ("audience", "url"),
    [
        (
            "http://localhost:8080/api/hubs/chat/groups/a%2Fb/:send",
            "http://localhost:8080/api/hubs/chat/groups/a/b/:send",
        ),
        (
            "http://localhost:8080/api/hubs/chat/:send?excluded=a",
            "http://localhost:8080/api/hubs/chat/:send?excluded=b",
        ),
        ("https://localhost:8080/api/hubs/chat/:send", "http://localhost:8080/api/hubs/chat/:send"),
        ("http://example.com:8080/api/hubs/chat/:send", "http://localhost:8080/api/hubs/chat/:send"),
    ],
)
def test_audience_comparison_tells_other_urls_apart(audience: str, url: str) -> None:
    assert not same_request_url(audience, url)
