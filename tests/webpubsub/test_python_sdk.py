"""Microsoft's Python client SDK (``azure-messaging-webpubsubclient``) against the local service."""

from __future__ import annotations

import asyncio
import threading

import pytest
from azure.messaging.webpubsubclient.aio import WebPubSubClient, WebPubSubClientCredential
from azure.messaging.webpubsubclient.models import (
    CallbackType,
    OnGroupDataMessageArgs,
    OnServerDataMessageArgs,
    WebPubSubDataType,
    WebPubSubProtocolType,
)

from tests.webpubsub.conftest import RELIABLE, Harness, harness, run
from tools.webpubsub.session import Limits
from tools.webpubsub.state import Message

ROLES = ("webpubsub.joinLeaveGroup", "webpubsub.sendToGroup")
PROTOCOLS = [WebPubSubProtocolType.JSON_RELIABLE, WebPubSubProtocolType.JSON]


def _client(h: Harness, user: str, protocol: WebPubSubProtocolType | None = None) -> WebPubSubClient:
    async def url() -> str:
        return f"{h.client_url()}?access_token={h.token(user, ROLES)}"

    kwargs = {} if protocol is None else {"protocol_type": protocol}
    return WebPubSubClient(credential=WebPubSubClientCredential(url), **kwargs)


async def _until(condition, what: str) -> None:
    async with asyncio.timeout(20):
        while not condition():
            await asyncio.sleep(0.02)


def test_the_sdk_connects_on_its_defaults_with_the_reliable_protocol():
    async def scenario():
        async with harness() as h:
            client = _client(h, "alice")
            await client.open()
            try:
                conn = h.running.service.all_connections()[0]
                assert (conn.protocol, conn.user_id) == (RELIABLE, "alice")
                connect = (await h.handler.wait_for("connect"))[0].json()
                assert connect["subprotocols"] == [RELIABLE]
            finally:
                await client.close()
            await h.handler.wait_for("disconnected")

    run(scenario)


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=["reliable", "json"])
def test_the_sdk_joins_sends_to_a_group_and_sends_events(protocol):
    async def scenario():
        async with harness() as h:
            alice, bob = _client(h, "alice", protocol), _client(h, "bob", protocol)
            got: list[OnGroupDataMessageArgs] = []

            async def on_group(message: OnGroupDataMessageArgs) -> None:
                got.append(message)

            await bob.subscribe(CallbackType.GROUP_MESSAGE, on_group)
            await alice.open()
            await bob.open()
            try:
                await alice.join_group("room")
                await bob.join_group("room")
                await alice.send_to_group("room", "hello", WebPubSubDataType.TEXT, no_echo=True)
                await alice.send_to_group("room", {"n": 1}, WebPubSubDataType.JSON)
                await _until(lambda: len(got) == 2, "two group messages")
                assert [(m.group, m.data, m.from_user_id) for m in got] == [
                    ("room", "hello", "alice"),
                    ("room", {"n": 1}, "alice"),
                ]
                await alice.send_event("greet", "hi", WebPubSubDataType.TEXT)
                event = (await h.handler.wait_for("greet"))[0]
                assert (event.body, event.headers["ce-userId"]) == (b"hi", "alice")
            finally:
                await alice.close()
                await bob.close()

    run(scenario)


def test_a_cut_socket_recovers_with_no_message_lost_or_duplicated_on_the_reliable_protocol():
    async def scenario():
        async with harness() as h:
            sender, receiver = _client(h, "sender"), _client(h, "receiver")
            got: list[object] = []

            async def on_group(message: OnGroupDataMessageArgs) -> None:
                got.append(message.data)

            await receiver.subscribe(CallbackType.GROUP_MESSAGE, on_group)
            await sender.open()
            await receiver.open()
            try:
                await receiver.join_group("g")
                receiver_id = next(
                    c.id for c in h.running.service.all_connections() if c.user_id == "receiver"
                )
                sent = []
                for n in range(60):
                    await sender.send_to_group("g", {"n": n}, WebPubSubDataType.JSON)
                    sent.append({"n": n})
                    if n in (20, 40):
                        assert h.running.cut("chat", receiver_id)
                await _until(lambda: len(got) >= len(sent), "every message")
                await asyncio.sleep(0.3)  # room for a duplicate to show up, were there one
                assert got == sent
                # Same connection throughout: resumed, never replaced by a new one.
                assert h.running.service.connection("chat", receiver_id) is not None
                assert len(h.handler.named("connect")) == 2
                assert h.handler.named("disconnected") == []
            finally:
                await sender.close()
                await receiver.close()

    run(scenario, timeout=90)


def test_the_synchronous_sdk_client_connects_joins_and_receives_its_group_message():
    from azure.messaging.webpubsubclient import WebPubSubClient as SyncClient
    from azure.messaging.webpubsubclient import WebPubSubClientCredential as SyncCredential

    async def scenario():
        async with harness() as h:
            url = f"{h.client_url()}?access_token={h.token('carol', ROLES)}"
            client = SyncClient(credential=SyncCredential(lambda: url))
            got: list[object] = []
            client.subscribe(CallbackType.GROUP_MESSAGE, lambda m: got.append(m.data))
            # The synchronous client blocks: run it off the event loop the service runs on.
            await asyncio.to_thread(client.open)
            try:
                await asyncio.to_thread(client.join_group, "g")
                await asyncio.to_thread(client.send_to_group, "g", "to myself", WebPubSubDataType.TEXT)
                await _until(lambda: got == ["to myself"], "its own group message")
                assert h.running.service.all_connections()[0].protocol == RELIABLE
            finally:
                await asyncio.to_thread(client.close)

    run(scenario)


def test_the_sdk_resumes_with_every_message_after_the_service_closes_it_for_reading_too_slowly():
    async def scenario():
        # Byte bounds the flood never reaches: only the write timeout closes the client.
        limits = Limits(write_timeout=0.5, grace_seconds=30, resend_bytes=2**28, outbound_bytes=2**28)
        async with harness(limits=limits) as h:
            # The client runs on an event loop of its own, which the test can freeze.
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, daemon=True)
            thread.start()
            got: list[str] = []

            def on_client_loop(coro):
                return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))

            async def opened() -> WebPubSubClient:
                client = _client(h, "slow")

                async def on_server(message: OnServerDataMessageArgs) -> None:
                    got.append(message.data)

                await client.subscribe(CallbackType.SERVER_MESSAGE, on_server)
                await client.open()
                return client

            release = threading.Event()
            client = await on_client_loop(opened())
            try:
                (conn,) = h.running.service.all_connections()
                loop.call_soon_threadsafe(release.wait, 20)  # the client reads nothing meanwhile
                sent = 0
                while conn.sink.attached:
                    assert sent < 1000, "the stalled client was never closed"
                    await h.running.service.send([conn], Message(f"{sent}:{'x' * 65536}".encode(), "text"))
                    sent += 1
                    await asyncio.sleep(0.01)
                release.set()
                await _until(lambda: len(got) >= sent and conn.sink.attached, "every message, resumed")
                await asyncio.sleep(0.3)  # room for a duplicate to show up, were there one
                assert [text.split(":")[0] for text in got] == [str(n) for n in range(sent)]
                assert h.running.service.connection("chat", conn.id) is conn
                assert len(h.handler.named("connect")) == 1
                assert h.handler.named("disconnected") == []
            finally:
                release.set()
                await on_client_loop(client.close())
                loop.call_soon_threadsafe(loop.stop)
                thread.join(10)
                loop.close()

    run(scenario, timeout=90)
