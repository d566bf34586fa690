"""Tokens that must not pass, and state a client could grow without end."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import jwt
import pytest

from tests.webpubsub.conftest import KEY as CLIENT_KEY
from tests.webpubsub.conftest import FakeHandler, handlers_to, harness, run
from tests.webpubsub.rest_fixtures import HUB, KEY, Served, bearer, http, serve
from tools.webpubsub import tokens
from tools.webpubsub.config import Settings
from tools.webpubsub.events import Context, EventSender
from tools.webpubsub.rest_params import MINUTES_TO_EXPIRE_MAX


@pytest.fixture
def served() -> Iterator[Served]:
    with serve() as running:
        yield running


def test_a_client_token_without_exp_is_refused_with_401_saying_so():
    async def scenario():
        async with harness() as h:
            audience = tokens.client_audience(h.running.endpoint, "chat")
            forever = jwt.encode({"aud": audience, "sub": "a"}, CLIENT_KEY, algorithm="HS256")
            async with h.session.get(f"{h.client_url()}?access_token={forever}") as response:
                assert (response.status, await response.text()) == (
                    401,
                    "invalid access token: it has no expiry (exp)",
                )
            assert h.running.service.all_connections() == []
            assert h.handler.named("connect") == []

    run(scenario)


def test_a_rest_token_for_another_host_is_refused_even_when_the_host_header_names_that_host(
    served: Served,
) -> None:
    sink = served.connect("c1")
    path = f"/api/hubs/{HUB}/:send?api-version=2024-12-01"
    forged = f"http://evil.example:{served.port}{path}"
    headers = {**bearer(forged), "Host": f"evil.example:{served.port}", "Content-Type": "text/plain"}
    response = http("POST", served.url(path), data=b"hi", headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "code": "Unauthorized",
        "message": "the token's audience (aud) is not this request's URL",
    }
    assert sink.messages == []


def test_a_rest_token_for_the_configured_endpoint_is_accepted_whatever_the_host_header_says(
    served: Served,
) -> None:
    sink = served.connect("c1")
    path = f"/api/hubs/{HUB}/:send?api-version=2024-12-01"
    headers = {**bearer(served.url(path)), "Host": "proxy.example", "Content-Type": "text/plain"}
    assert http("POST", served.url(path), data=b"hi", headers=headers).status_code == 202
    assert [m.data for m in sink.messages] == [b"hi"]


def _generate(served: Served, minutes: int):
    url = served.url(f"/api/hubs/{HUB}/:generateToken?minutesToExpire={minutes}")
    return http("POST", url, headers=bearer(url))


def test_generate_token_accepts_minutes_to_expire_at_its_bound(served: Served) -> None:
    response = _generate(served, MINUTES_TO_EXPIRE_MAX)
    assert response.status_code == 200
    claims = jwt.decode(response.json()["token"], KEY, algorithms=["HS256"], options={"verify_aud": False})
    assert claims["exp"] - claims["iat"] == MINUTES_TO_EXPIRE_MAX * 60
    assert claims["exp"] <= time.time() + MINUTES_TO_EXPIRE_MAX * 60 + 1


def test_generate_token_refuses_minutes_to_expire_past_its_bound_with_400_naming_it(served: Served) -> None:
    assert MINUTES_TO_EXPIRE_MAX == 43_200
    response = _generate(served, MINUTES_TO_EXPIRE_MAX + 1)
    assert response.status_code == 400
    assert response.json() == {
        "code": "InvalidArgument",
        "message": "minutesToExpire: 43201 is out of range; it must be from 1 to 43200",
        "target": "minutesToExpire",
    }


def test_abuse_protection_state_per_event_name_holds_its_bound_and_forgets_the_least_recent():
    async def scenario():
        handler = FakeHandler()
        await handler.start()
        settings = Settings(
            endpoint="http://localhost:1", access_key=CLIENT_KEY, hubs=handlers_to(handler.url)
        )
        sender = EventSender(settings, max_checked_urls=3)
        ctx = Context("chat", "c1", None)

        async def event(name: str) -> int:
            answer = await sender.send(ctx, "user", name, b"x", "text/plain")
            return answer.status

        try:
            # At the bound: three names, each checked once, however often it comes.
            for name in ("a", "b", "c", "a", "b", "c"):
                assert await event(name) == 200
            assert [path for path, _ in handler.options] == ["/events/a", "/events/b", "/events/c"]
            assert sender.checked_urls == 3
            # Past it: a fourth name is checked and the least recently used ("a") forgotten.
            assert await event("d") == 200
            assert sender.checked_urls == 3
            assert await event("b") == 200  # still remembered: no new check
            assert await event("a") == 200  # forgotten: checked again
            assert [path for path, _ in handler.options][3:] == ["/events/d", "/events/a"]
            assert sender.checked_urls == 3
            # A flood of invented names keeps the state at the bound.
            await asyncio.gather(*(event(f"n{i}") for i in range(50)))
            assert sender.checked_urls == 3
        finally:
            await sender.close()
            await handler.stop()

    run(scenario)


def test_refused_checks_for_invented_names_are_bounded_too():
    async def scenario():
        handler = FakeHandler()
        handler.allow = False
        await handler.start()
        settings = Settings(
            endpoint="http://localhost:1", access_key=CLIENT_KEY, hubs=handlers_to(handler.url)
        )
        sender = EventSender(settings, max_checked_urls=3)
        try:
            for i in range(10):
                answer = await sender.send(Context("chat", "c1", None), "user", f"n{i}", b"x", "text/plain")
                assert answer.status == 502
            assert sender.checked_urls == 3
        finally:
            await sender.close()
            await handler.stop()

    run(scenario)
