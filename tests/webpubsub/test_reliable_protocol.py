"""``json.reliable.webpubsub.azure.v1``: sequence ids, acks, resuming, and the bounds."""

from __future__ import annotations

import asyncio

import aiohttp

from tests.webpubsub.conftest import RELIABLE, Harness, harness, receive_json, run
from tools.webpubsub.session import Limits
from tools.webpubsub.state import Message


async def _open(h: Harness) -> tuple[aiohttp.ClientWebSocketResponse, dict]:
    ws = await h.connect(RELIABLE, "alice")
    connected = await receive_json(ws, "system")
    return ws, connected


async def _send_server(h: Harness, connection_id: str, text: str) -> None:
    conn = h.running.service.connection("chat", connection_id)
    assert conn is not None
    await h.running.service.send([conn], Message(text.encode(), "text"))


async def _resume(h: Harness, connected: dict) -> aiohttp.ClientWebSocketResponse:
    url = (
        f"{h.client_url()}?awps_connection_id={connected['connectionId']}"
        f"&awps_reconnection_token={connected['reconnectionToken']}"
    )
    return await h.session.ws_connect(url, protocols=(RELIABLE,))


async def _wait_detached(h: Harness, connection_id: str) -> None:
    conn = h.running.service.connection("chat", connection_id)
    assert conn is not None
    async with asyncio.timeout(10):
        while conn.sink.attached:  # type: ignore[attr-defined]
            await asyncio.sleep(0.01)


def test_connected_carries_a_reconnection_token_and_messages_carry_increasing_sequence_ids():
    async def scenario():
        async with harness() as h:
            ws, connected = await _open(h)
            assert connected["reconnectionToken"]
            for text in ("one", "two"):
                await _send_server(h, connected["connectionId"], text)
            first, second = await receive_json(ws, "message"), await receive_json(ws, "message")
            assert (first["sequenceId"], first["data"]) == (1, "one")
            assert (second["sequenceId"], second["data"]) == (2, "two")
            await ws.close()

    run(scenario)


def test_a_cut_connection_resumes_with_its_id_groups_and_the_unacknowledged_messages_in_order():
    async def scenario():
        async with harness() as h:
            ws, connected = await _open(h)
            cid = connected["connectionId"]
            conn = h.running.service.connection("chat", cid)
            h.running.service.join(conn, "g")
            for text in ("a", "b", "c"):
                await _send_server(h, cid, text)
            for _ in range(3):
                await receive_json(ws, "message")
            await ws.send_json({"type": "sequenceAck", "sequenceId": 1})
            await ws.send_str('{"type":"ping"}')
            await receive_json(ws, "pong")  # the ack above has been read
            assert h.running.cut("chat", cid)
            await _wait_detached(h, cid)
            await _send_server(h, cid, "d")  # while the client is away
            again = await _resume(h, connected)
            reconnected = await receive_json(again, "system")
            assert (reconnected["event"], reconnected["connectionId"]) == ("connected", cid)
            assert reconnected["reconnectionToken"] != connected["reconnectionToken"]
            resent = [await receive_json(again, "message") for _ in range(3)]
            assert [(m["sequenceId"], m["data"]) for m in resent] == [(2, "b"), (3, "c"), (4, "d")]
            assert h.running.service.connection("chat", cid).groups == {"g"}
            assert [e.name for e in h.handler.events].count("connect") == 1
            assert h.handler.named("disconnected") == []
            await again.close()
            await h.handler.wait_for("disconnected")

    run(scenario)


def test_resuming_with_a_wrong_token_is_closed_with_1008():
    async def scenario():
        async with harness() as h:
            ws, connected = await _open(h)
            bad = dict(connected, reconnectionToken="wrong")
            again = await _resume(h, bad)
            frame = await receive_json(again, "system")
            assert frame["event"] == "disconnected"
            closing = await again.receive()
            assert (closing.type, closing.data) == (aiohttp.WSMsgType.CLOSE, 1008)
            await ws.close()

    run(scenario)


def test_past_the_grace_period_the_connection_ends_with_a_disconnected_event_and_cannot_resume():
    async def scenario():
        async with harness(limits=Limits(grace_seconds=0.2)) as h:
            ws, connected = await _open(h)
            h.running.cut("chat", connected["connectionId"])
            disconnected = await h.handler.wait_for("disconnected")
            assert disconnected[0].json() == {"reason": "the client did not reconnect within 0.2 s"}
            assert h.running.service.connection("chat", connected["connectionId"]) is None
            again = await _resume(h, connected)
            closing = await again.receive()
            while closing.type == aiohttp.WSMsgType.TEXT:
                closing = await again.receive()
            assert closing.data == 1008

    run(scenario)


def test_within_the_grace_period_the_connection_is_kept():
    async def scenario():
        async with harness(limits=Limits(grace_seconds=30)) as h:
            ws, connected = await _open(h)
            h.running.cut("chat", connected["connectionId"])
            await _wait_detached(h, connected["connectionId"])
            assert h.running.service.connection("chat", connected["connectionId"]) is not None
            again = await _resume(h, connected)
            assert (await receive_json(again, "system"))["event"] == "connected"
            assert h.handler.named("disconnected") == []
            await again.close()

    run(scenario)


def test_the_resend_buffer_holds_its_bound_and_one_message_past_it_ends_the_connection():
    async def scenario():
        async with harness(limits=Limits(resend_messages=3)) as h:
            ws, connected = await _open(h)
            cid = connected["connectionId"]
            for n in range(3):
                await _send_server(h, cid, str(n))
            assert h.running.service.connection("chat", cid) is not None
            await _send_server(h, cid, "one too many")
            disconnected = await h.handler.wait_for("disconnected")
            assert (
                disconnected[0]
                .json()["reason"]
                .startswith("the reliable message buffer is full: more than 3")
            )
            frames = [await receive_json(ws) for _ in range(4)]
            assert frames[-1]["event"] == "disconnected"
            closing = await ws.receive()
            assert (closing.type, closing.data) == (aiohttp.WSMsgType.CLOSE, 1008)

    run(scenario)


def test_acknowledged_messages_free_the_resend_buffer():
    async def scenario():
        async with harness(limits=Limits(resend_messages=3)) as h:
            ws, connected = await _open(h)
            cid = connected["connectionId"]
            for n in range(10):
                await _send_server(h, cid, str(n))
                got = await receive_json(ws, "message")
                await ws.send_json({"type": "sequenceAck", "sequenceId": got["sequenceId"]})
                await ws.send_str('{"type":"ping"}')
                await receive_json(ws, "pong")
            assert h.running.service.connection("chat", cid) is not None
            await ws.close()

    run(scenario)


def test_a_client_close_frame_ends_a_reliable_connection_at_once():
    async def scenario():
        async with harness(limits=Limits(grace_seconds=60)) as h:
            ws, connected = await _open(h)
            await ws.close()
            disconnected = await h.handler.wait_for("disconnected")
            assert disconnected[0].json() == {"reason": "the client closed the connection"}
            assert len(h.handler.named("disconnected")) == 1

    run(scenario)


def test_a_client_close_with_another_code_than_1000_leaves_a_reliable_connection_resumable():
    async def scenario():
        async with harness(limits=Limits(grace_seconds=30)) as h:
            ws, connected = await _open(h)
            await ws.close(code=1001)
            await _wait_detached(h, connected["connectionId"])
            again = await _resume(h, connected)
            assert (await receive_json(again, "system"))["connectionId"] == connected["connectionId"]
            assert h.handler.named("disconnected") == []
            await again.close()

    run(scenario)


def test_resuming_with_a_non_ascii_token_is_refused_like_any_wrong_token():
    async def scenario():
        async with harness() as h:
            ws, connected = await _open(h)
            again = await _resume(h, dict(connected, reconnectionToken="é"))
            assert (await receive_json(again, "system"))[
                "message"
            ] == "The connection could not be recovered."
            await ws.close()

    run(scenario)
