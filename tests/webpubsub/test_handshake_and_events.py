"""The handshake (tokens, refused connects), raw clients, event delivery rules and the frame limit."""

from __future__ import annotations

import hashlib
import hmac
import json

import aiohttp
import pytest

from tests.webpubsub.conftest import ALL_SYSTEM, JSON, KEY, Reply, harness, receive_json, run
from tools.webpubsub import tokens
from tools.webpubsub.client import MAX_FRAME_BYTES
from tools.webpubsub.config import EventHandler
from tools.webpubsub.state import Message


async def _handshake_status(session: aiohttp.ClientSession, url: str, **kwargs) -> tuple[int, str]:
    async with session.get(
        url.replace("ws://", "http://"),
        headers={
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            **kwargs.get("headers", {}),
        },
    ) as response:
        return response.status, await response.text()


def test_a_token_signed_with_another_key_is_refused_with_401_and_clear_text():
    async def scenario():
        async with harness() as h:
            token = tokens.issue_client_token("another key" * 4, h.running.endpoint, "chat", "alice")
            status, text = await _handshake_status(h.session, f"{h.client_url()}?access_token={token}")
            assert (status, text) == (
                401,
                "invalid access token: its signature does not match this service's access key",
            )
            assert h.handler.events == []

    run(scenario)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("", "no access token: give access_token in the query or an Authorization: Bearer header"),
        ("?access_token=garbage", "invalid access token: it is not a JWT"),
    ],
)
def test_a_missing_or_malformed_token_is_refused_with_401(query, text):
    async def scenario():
        async with harness() as h:
            assert await _handshake_status(h.session, h.client_url() + query) == (401, text)

    run(scenario)


def test_an_expired_token_and_a_token_for_another_hub_are_refused_with_401():
    async def scenario():
        async with harness() as h:
            expired = tokens.issue_client_token(KEY, h.running.endpoint, "chat", "a", lifetime_seconds=-10)
            status, text = await _handshake_status(h.session, f"{h.client_url()}?access_token={expired}")
            assert (status, text) == (401, "invalid access token: it has expired")
            other = h.token(hub="other")
            status, text = await _handshake_status(h.session, f"{h.client_url()}?access_token={other}")
            assert status == 401 and "another hub or service" in text

    run(scenario)


def test_a_token_minted_for_localhost_is_accepted_on_127_0_0_1_and_in_a_bearer_header():
    async def scenario():
        async with harness() as h:
            assert "localhost" in h.running.endpoint and "127.0.0.1" in h.running.url
            ws = await h.session.ws_connect(
                h.client_url(), protocols=(JSON,), headers={"Authorization": f"Bearer {h.token()}"}
            )
            assert (await receive_json(ws, "system"))["userId"] == "alice"
            connect = h.handler.named("connect")[0].json()
            assert "Authorization" not in connect["headers"] and "authorization" not in connect["headers"]
            await ws.close()

    run(scenario)


@pytest.mark.parametrize(
    ("handler_status", "handshake_status"), [(401, 401), (400, 400), (500, 500), (404, 500)]
)
def test_a_refused_connect_becomes_the_handshake_status(handler_status, handshake_status):
    async def scenario():
        async with harness() as h:
            h.handler.replies["connect"] = Reply(handler_status, b"go away")
            status, text = await _handshake_status(h.session, f"{h.client_url()}?access_token={h.token()}")
            assert (status, text) == (handshake_status, "go away")
            assert h.handler.named("connected") == [] and h.running.service.all_connections() == []

    run(scenario)


def test_events_carry_the_signature_of_the_connection_id_with_the_key_and_the_origin():
    async def scenario():
        async with harness() as h:
            ws = await h.connect(JSON)
            frame = await receive_json(ws, "system")
            event = (await h.handler.wait_for("connected"))[0]
            expected = (
                "sha256=" + hmac.new(KEY.encode(), frame["connectionId"].encode(), hashlib.sha256).hexdigest()
            )
            assert event.headers["ce-signature"] == expected
            assert event.headers["WebHook-Request-Origin"] == "localhost"
            await ws.close()

    run(scenario)


def test_abuse_protection_is_checked_once_per_expanded_url_with_the_endpoint_host():
    async def scenario():
        async with harness() as h:
            for _ in range(2):
                ws = await h.connect(JSON)
                await receive_json(ws, "system")
                await ws.send_json({"type": "event", "event": "hello", "data": 1, "ackId": 1})
                await receive_json(ws, "ack")
                await ws.close()
            await h.handler.wait_for("disconnected", 2)
            paths = sorted(path for path, _ in h.handler.options)
            assert paths == ["/events/connect", "/events/connected", "/events/disconnected", "/events/hello"]
            assert {origin for _, origin in h.handler.options} == {"localhost"}

    run(scenario)


def test_a_handler_that_refuses_abuse_protection_gets_no_events_and_the_log_says_so(caplog):
    async def scenario():
        async with harness(system=frozenset({"connected", "disconnected"})) as h:
            h.handler.allow = False
            ws = await h.connect(JSON)
            await receive_json(ws, "system")
            await ws.send_json({"type": "event", "event": "hello", "data": 1, "ackId": 1})
            ack = await receive_json(ws, "ack")
            assert (ack["success"], ack["error"]["name"]) == (False, "InternalServerError")
            await ws.close()
            assert h.handler.events == []

    with caplog.at_level("INFO", logger="webpubsub"):
        run(scenario)
    refusals = [
        r.getMessage() for r in caplog.records if "REFUSED the abuse-protection check" in r.getMessage()
    ]
    assert len(refusals) == 3  # connected, hello, disconnected: one URL each
    assert all(KEY not in r.getMessage() for r in caplog.records)


def test_a_refused_check_on_the_connect_handler_refuses_the_connection_with_500():
    async def scenario():
        async with harness() as h:
            h.handler.allow = False
            status, _ = await _handshake_status(h.session, f"{h.client_url()}?access_token={h.token()}")
            assert status == 500 and h.handler.events == []

    run(scenario)


def test_events_no_handler_takes_are_not_sent():
    async def scenario():
        async with harness(system=frozenset({"disconnected"}), user="") as h:
            ws = await h.connect(JSON)
            await receive_json(ws, "system")
            await ws.close()
            await h.handler.wait_for("disconnected")
            assert [e.name for e in h.handler.events] == ["disconnected"]
            assert [p for p, _ in h.handler.options] == ["/events/disconnected"]

    run(scenario)


def test_the_first_handler_that_takes_an_event_gets_it():
    def hubs(url: str) -> dict[str, tuple[EventHandler, ...]]:
        return {
            "chat": (
                EventHandler(url + "/first/{hub}/{event}", frozenset({"connected"}), "join"),
                EventHandler(url + "/second/{event}", ALL_SYSTEM, "*"),
            )
        }

    async def scenario():
        async with harness(hubs=hubs) as h:
            ws = await h.connect(JSON)
            await receive_json(ws, "system")
            for ack_id, name in enumerate(("join", "message")):
                await ws.send_json({"type": "event", "event": name, "data": 1, "ackId": ack_id})
                await receive_json(ws, "ack")
            await ws.close()
            await h.handler.wait_for("disconnected")
            assert [e.path for e in h.handler.events] == [
                "/second/connect",
                "/first/chat/connected",
                "/first/chat/join",
                "/second/message",
                "/second/disconnected",
            ]

    run(scenario)


def test_a_raw_client_sends_message_events_and_gets_server_messages_as_raw_frames():
    async def scenario():
        async with harness() as h:
            h.handler.replies["message"] = Reply(200, b"pong text", {"Content-Type": "text/plain"})
            ws = await h.connect(None)
            assert ws.protocol is None
            await ws.send_str("hello")
            reply = await ws.receive()
            assert (reply.type, reply.data) == (aiohttp.WSMsgType.TEXT, "pong text")
            await ws.send_bytes(b"\x00\x01")
            await ws.receive()
            texts = h.handler.named("message")
            assert [(e.headers["Content-Type"], e.body) for e in texts] == [
                ("text/plain", b"hello"),
                ("application/octet-stream", b"\x00\x01"),
            ]
            conn = h.running.service.all_connections()[0]
            await h.running.service.send([conn], Message(b"\xff\xfe", "binary"))
            got = await ws.receive()
            assert (got.type, got.data) == (aiohttp.WSMsgType.BINARY, b"\xff\xfe")
            await ws.close()

    run(scenario)


def _event_frame(total: int) -> str:
    """An event frame of exactly ``total`` bytes."""
    empty = json.dumps({"type": "event", "event": "big", "dataType": "text", "data": ""})
    return json.dumps(
        {"type": "event", "event": "big", "dataType": "text", "data": "x" * (total - len(empty))}
    )


def test_a_frame_of_exactly_1_mb_is_accepted():
    async def scenario():
        async with harness() as h:
            ws = await h.connect(JSON)
            await receive_json(ws, "system")
            frame = _event_frame(MAX_FRAME_BYTES)
            assert len(frame) == MAX_FRAME_BYTES == 1024 * 1024
            await ws.send_str(frame)
            await h.handler.wait_for("big")
            await ws.close()

    run(scenario)


def test_a_frame_one_byte_past_1_mb_closes_the_connection_with_1009():
    async def scenario():
        async with harness() as h:
            ws = await h.connect(JSON)
            await receive_json(ws, "system")
            await ws.send_str(_event_frame(MAX_FRAME_BYTES + 1))
            closing = await ws.receive()
            assert (closing.type, closing.data) == (aiohttp.WSMsgType.CLOSE, 1009)
            disconnected = await h.handler.wait_for("disconnected")
            assert disconnected[0].json() == {
                "reason": "The client message is too large (over 1048576 bytes)."
            }
            assert h.handler.named("big") == []

    run(scenario)


def test_a_raw_client_no_handler_hears_is_closed():
    async def scenario():
        async with harness(user="") as h:
            ws = await h.connect(None)
            await ws.send_str("anyone?")
            closing = await ws.receive()
            assert (closing.type, closing.data) == (aiohttp.WSMsgType.CLOSE, 1000)
            assert closing.extra == "no event handler takes the message event"
            disconnected = await h.handler.wait_for("disconnected")
            assert disconnected[0].json() == {"reason": "no event handler takes the message event"}

    run(scenario)


def test_user_events_carry_the_subprotocol_and_the_signature():
    async def scenario():
        async with harness() as h:
            ws = await h.connect(JSON)
            await receive_json(ws, "system")
            await ws.send_json({"type": "event", "event": "hello", "data": 1, "ackId": 1})
            await receive_json(ws, "ack")
            event = h.handler.named("hello")[0]
            assert event.headers["ce-subprotocol"] == JSON
            assert event.headers["ce-signature"].startswith("sha256=")
            assert event.headers["ce-awpsversion"] == "1.0"
            await ws.close()

    run(scenario)


def test_a_handler_without_options_may_pass_the_check_on_get():
    async def scenario():
        async with harness() as h:
            h.handler.options_status = 404
            ws = await h.connect(JSON)
            await receive_json(ws, "system")
            await ws.close()
            await h.handler.wait_for("disconnected")
            assert [p for p, _ in h.handler.gets] == [
                "/events/connect",
                "/events/connected",
                "/events/disconnected",
            ]

    run(scenario)
