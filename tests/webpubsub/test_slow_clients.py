"""A client that stops reading: it is closed alone, and nobody else waits for it.

The slow client is a real WebSocket whose socket has a small receive buffer
and whose owner never calls ``receive``: once the kernel's buffers are full,
the service's writes to it stall, as they would for a stuck browser tab.
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import aiohttp
import jwt

from tests.webpubsub.conftest import HUB, JSON, KEY, RELIABLE, Harness, harness, receive_json, run
from tools.webpubsub.session import Limits
from tools.webpubsub.state import Message

# Big enough that a few dozen fill the kernel's buffers of a socket nobody reads.
CHUNK = "x" * (64 * 1024)
# Ample for one REST send on a loaded machine, far below a stalled write's wait.
PROMPT = 5.0
# Byte bounds no flood here reaches, so that only the write timeout closes the client.
ROOMY = 256 * 1024 * 1024


def _stuck_session() -> aiohttp.ClientSession:
    """A client session whose sockets take in little until their owner reads."""

    def small_buffer(addr_info: Any) -> socket.socket:
        family, kind, proto, _, _ = addr_info
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        return sock

    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(socket_factory=small_buffer))


async def _clients(
    h: Harness, stuck: aiohttp.ClientSession, protocol: str
) -> tuple[aiohttp.ClientWebSocketResponse, dict[str, Any], aiohttp.ClientWebSocketResponse]:
    """A client that will stop reading (its socket, its connected frame) and one that reads."""
    url = f"{h.client_url()}?access_token={h.token('slow')}"
    slow = await stuck.ws_connect(url, protocols=(protocol,))
    connected = await receive_json(slow, "system")
    reader = await h.connect(JSON, "bob")
    await receive_json(reader, "system")
    return slow, connected, reader


async def _send_to_all(h: Harness, text: str) -> int:
    """POST ``:send`` for the hub, bounded by ``PROMPT``; its status."""
    path = f"/api/hubs/{HUB}/:send?api-version=2024-12-01"
    now = int(time.time())
    token = jwt.encode({"aud": h.running.endpoint + path, "exp": now + 300}, KEY, algorithm="HS256")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/plain"}
    async with asyncio.timeout(PROMPT):
        async with h.session.post(h.running.url + path, data=text, headers=headers) as response:
            return response.status


async def _flood_until(h: Harness, reader: aiohttp.ClientWebSocketResponse, done: Any) -> int:
    """Send to all until ``done()``; each send returns promptly and ``reader`` gets each message.

    Paced, so that the stalled client's write timeout passes before any byte bound is reached.
    """
    for n in range(2000):
        if done():
            return n
        assert await _send_to_all(h, f"{n}:{CHUNK}") == 202
        got = await receive_json(reader, "message")
        assert got["data"].startswith(f"{n}:")
        await asyncio.sleep(0.01)
    raise AssertionError("the stalled client was never closed")


async def _close_frame(ws: aiohttp.ClientWebSocketResponse) -> tuple[list[dict[str, Any]], aiohttp.WSMessage]:
    """Read what reached ``ws`` up to its close frame: the JSON frames, and the close."""
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(20):
        while True:
            msg = await ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:
                return seen, msg
            seen.append(msg.json())


def test_a_client_that_stops_reading_is_closed_alone_and_rest_sends_and_other_clients_never_wait():
    async def scenario():
        limits = Limits(write_timeout=0.5, outbound_bytes=ROOMY)
        async with harness(limits=limits) as h, _stuck_session() as stuck:
            slow, connected, reader = await _clients(h, stuck, JSON)
            slow_id = connected["connectionId"]
            sent = await _flood_until(h, reader, lambda: h.running.service.connection(HUB, slow_id) is None)
            assert sent > 0
            reason = "the client did not take a message within 0.5 s: it reads too slowly"
            events = await h.handler.wait_for("disconnected")
            assert [(e.headers["ce-connectionId"], e.json()) for e in events] == [
                (slow_id, {"reason": reason})
            ]
            # Now it reads: what the kernel held, the disconnected frame, then the close with 1008.
            frames, close = await _close_frame(slow)
            assert frames[-1] == {"type": "system", "event": "disconnected", "message": reason}
            assert (close.type, close.data, close.extra) == (aiohttp.WSMsgType.CLOSE, 1008, reason)
            # The other client is still served.
            assert await _send_to_all(h, "after") == 202
            assert (await receive_json(reader, "message"))["data"] == "after"
            await reader.close()

    run(scenario)


def test_a_full_outbound_queue_closes_a_json_client_with_1008_without_waiting_for_its_socket():
    async def scenario():
        limits = Limits(write_timeout=30, outbound_messages=5)
        async with harness(limits=limits) as h, _stuck_session() as stuck:
            slow, connected, reader = await _clients(h, stuck, JSON)
            slow_id = connected["connectionId"]
            await _flood_until(h, reader, lambda: h.running.service.connection(HUB, slow_id) is None)
            reason = "the outbound queue is full: more than 5 messages or 16777216 bytes wait for the client"
            events = await h.handler.wait_for("disconnected")
            assert [e.json() for e in events] == [{"reason": reason}]
            frames, close = await _close_frame(slow)
            assert frames[-1] == {"type": "system", "event": "disconnected", "message": reason}
            assert (close.data, close.extra) == (1008, reason)
            await reader.close()

    run(scenario)


def test_a_stalled_reliable_client_is_closed_with_1013_and_resumes_with_every_message_in_order():
    async def scenario():
        async with (
            harness(
                limits=Limits(write_timeout=0.5, grace_seconds=30, resend_bytes=ROOMY, outbound_bytes=ROOMY)
            ) as h,
            _stuck_session() as stuck,
        ):
            slow, connected, reader = await _clients(h, stuck, RELIABLE)
            conn = h.running.service.connection(HUB, connected["connectionId"])
            sent = await _flood_until(h, reader, lambda: not conn.sink.attached)
            # Waiting for its client, not ended: no disconnected event.
            assert h.running.service.connection(HUB, connected["connectionId"]) is conn
            assert h.handler.named("disconnected") == []
            frames, close = await _close_frame(slow)
            reason = "the client did not take a message within 0.5 s: it reads too slowly"
            assert (close.type, close.data, close.extra) == (aiohttp.WSMsgType.CLOSE, 1013, reason)
            assert all(f["type"] == "message" for f in frames)
            resumed = await h.session.ws_connect(
                f"{h.client_url()}?awps_connection_id={connected['connectionId']}"
                f"&awps_reconnection_token={connected['reconnectionToken']}",
                protocols=(RELIABLE,),
                max_msg_size=0,
            )
            assert (await receive_json(resumed, "system"))["connectionId"] == connected["connectionId"]
            # Nothing was acknowledged, so everything is sent again, in order.
            again = [await receive_json(resumed, "message") for _ in range(sent)]
            assert [m["sequenceId"] for m in again] == list(range(1, sent + 1))
            assert [m["data"].split(":")[0] for m in again] == [str(n) for n in range(sent)]
            await resumed.close()
            await reader.close()
            await h.handler.wait_for("disconnected")

    run(scenario)


def test_a_reliable_buffer_filled_while_stalled_closes_with_1013_and_the_grace_period_says_why():
    async def scenario():
        limits = Limits(write_timeout=30, resend_messages=150, grace_seconds=0.5)
        async with harness(limits=limits) as h, _stuck_session() as stuck:
            slow, connected, reader = await _clients(h, stuck, RELIABLE)
            conn = h.running.service.connection(HUB, connected["connectionId"])
            sent = await _flood_until(h, reader, lambda: not conn.sink.attached)
            assert sent == 151
            why = (
                "the reliable message buffer is full while the client is not reading: "
                "more than 150 messages or 16777216 bytes"
            )
            _, close = await _close_frame(slow)
            assert (close.data, close.extra) == (1013, why[:123])
            events = await h.handler.wait_for("disconnected")
            assert [e.json() for e in events] == [
                {"reason": f"the client did not reconnect within 0.5 s after its socket was closed: {why}"}
            ]
            await reader.close()

    run(scenario)


def test_closing_a_stalled_client_through_rest_returns_at_once():
    async def scenario():
        async with harness(limits=Limits(write_timeout=30)) as h, _stuck_session() as stuck:
            url = f"{h.client_url()}?access_token={h.token('slow')}"
            slow = await stuck.ws_connect(url, protocols=(JSON,))
            slow_id = (await receive_json(slow, "system"))["connectionId"]
            conn = h.running.service.connection(HUB, slow_id)
            for n in range(100):
                # Enough to stall its socket; the service may take a while to notice.
                await h.running.service.send([conn], Message(f"{n}:{CHUNK}".encode(), "text"))
            async with asyncio.timeout(PROMPT):
                await h.running.service.close([conn], "bye")
            assert (await h.handler.wait_for("disconnected"))[0].json() == {"reason": "bye"}
            assert h.running.service.connection(HUB, slow_id) is None

    run(scenario)
