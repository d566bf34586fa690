"""The REST API remembers a request it accepted until its token expires, and nothing else."""

from __future__ import annotations

import time

import pytest

from tests.webpubsub.rest_fixtures import KEY, sign
from tools.webpubsub.auth import Authorizer, Unauthorized, authorize

URL = "http://localhost:8080/api/hubs/chat/:send?api-version=2024-12-01"


class CountingAuthorizer:
    """An Authorizer whose full checks are counted, on a clock the test moves."""

    def __init__(self, size: int = 4) -> None:
        self.now = time.time()
        self.checks = 0
        self.authorizer = Authorizer(KEY, clock=lambda: self.now, size=size, check=self.counted)

    def counted(self, key: str, authorization: str | None, url: str) -> dict[str, object]:
        self.checks += 1
        return authorize(key, authorization, url)


def test_a_repeated_request_with_the_same_token_is_checked_once() -> None:
    counting = CountingAuthorizer()
    header = f"Bearer {sign(URL)}"
    counting.authorizer(header, URL)
    counting.authorizer(header, URL)
    assert counting.checks == 1


def test_the_same_token_for_another_url_is_checked_and_refused() -> None:
    counting = CountingAuthorizer()
    header = f"Bearer {sign(URL)}"
    counting.authorizer(header, URL)
    with pytest.raises(Unauthorized, match="audience"):
        counting.authorizer(header, URL.replace("chat", "other"))


def test_a_remembered_request_is_checked_again_once_its_token_expires() -> None:
    counting = CountingAuthorizer()
    header = f"Bearer {sign(URL, lifetime=60)}"
    counting.authorizer(header, URL)
    counting.now += 59
    counting.authorizer(header, URL)
    assert counting.checks == 1
    counting.now += 1  # at exp: no longer remembered; the full check decides
    counting.authorizer(header, URL)
    assert counting.checks == 2


def test_a_refused_request_is_not_remembered() -> None:
    counting = CountingAuthorizer()
    header = f"Bearer {sign(URL, key='another key')}"
    for _ in range(2):
        with pytest.raises(Unauthorized, match="signature"):
            counting.authorizer(header, URL)
    assert counting.checks == 2


def test_the_memory_keeps_at_most_its_size_dropping_the_oldest() -> None:
    counting = CountingAuthorizer(size=2)
    headers = [f"Bearer {sign(URL, n=n)}" for n in range(3)]
    for header in headers:
        counting.authorizer(header, URL)
    assert counting.checks == 3
    counting.authorizer(headers[2], URL)
    counting.authorizer(headers[1], URL)
    assert counting.checks == 3  # the two newest are remembered
    counting.authorizer(headers[0], URL)
    assert counting.checks == 4  # the oldest was dropped
