"""Chat history through the whole local loop: real Azurite, real WebSocket clients, the real worker.

No part of Table Storage is faked here: ``ChatStorage`` points the app at
the session's Azurite, and each test uses rooms of its own.
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.end_to_end.conftest import Client, Host, run
from tools.localhost.server import WEBHOOK_PATH
from tools.webpubsub.events import Context, headers_for


@pytest.fixture(autouse=True)
def history_on(monkeypatch, azurite_tables):
    monkeypatch.setenv("ChatStorage", azurite_tables.connection_string)


def run_closing(scenario) -> None:
    """``run(scenario)``, closing the app's Table Storage client on the loop that opened it."""
    import function_app

    async def closing(host: Host) -> None:
        try:
            await scenario(host)
        finally:
            store = function_app.root.history_store()
            assert store is not None
            await store.close()

    run(closing)


def new_room() -> str:
    return "e" + uuid.uuid4().hex[:12]


async def reply(client: Client, event: str, data: dict) -> dict:
    """Send a user event and return the app's reply to it (an ack, a history page or a refusal)."""
    tag = uuid.uuid4().hex[:8]
    assert (await client.event(event, {**data, "id": tag}))["success"]
    return await client.chat(lambda d: d.get("id") == tag and d.get("type") in ("ack", "history", "error"))


async def post(client: Client, room: str, text: str) -> str:
    ack = await reply(client, "message", {"room": room, "text": text})
    assert ack["type"] == "ack", ack
    return ack["messageId"]


def test_a_late_joiner_gets_the_rooms_messages_and_who_is_there():
    room = new_room()

    async def scenario(host: Host) -> None:
        alice = await host.connect("alice")
        await reply(alice, "join", {"room": room})
        ids = [await post(alice, room, text) for text in ("one", "two", "three")]
        bob = await host.connect("bob")
        ack = await reply(bob, "join", {"room": room})
        assert sorted(m["id"] for m in ack["history"]) == sorted(ids)
        assert [m["id"] for m in ack["history"]] == sorted(ids)  # oldest first: ids sort by time
        assert {m["text"] for m in ack["history"]} == {"one", "two", "three"}
        assert ack["more"] is False and ack["truncated"] is False
        assert ack["members"] == [{"user": "alice", "connections": 1}, {"user": "bob", "connections": 1}]

    run_closing(scenario)


def test_a_retried_event_is_stored_once_and_answered_with_the_same_id():
    room = new_room()

    async def scenario(host: Host) -> None:
        alice = await host.connect("alice")
        await reply(alice, "join", {"room": room})
        # Resend one event as the service retries it: the same ce-id and ce-time.
        service = host.running.service
        ctx = Context("chat", alice.connection_id, "alice", {"rooms": ["lobby", room]})
        headers = headers_for(service.access_key, "localhost", ctx, "user", "message", "application/json")
        body = json.dumps({"room": room, "text": "once"}).encode()
        answers = []
        for _ in range(2):
            async with host.session.post(f"{host.url}{WEBHOOK_PATH}", data=body, headers=headers) as response:
                assert response.status == 200, await response.text()
                answers.append(await response.json())
        assert answers[0] == answers[1] and answers[0]["type"] == "ack"
        page = await reply(alice, "history", {"room": room})
        assert [m["id"] for m in page["messages"]] == [answers[0]["messageId"]]

    run_closing(scenario)


def test_the_author_deletes_a_message_and_everyone_is_told():
    room = new_room()

    async def scenario(host: Host) -> None:
        alice, bob = await host.connect("alice"), await host.connect("bob")
        for client in (alice, bob):
            await reply(client, "join", {"room": room})
        message_id = await post(alice, room, "oops")
        refused = await reply(bob, "delete", {"room": room, "messageId": message_id})
        assert (refused["code"], refused["message"]) == ("not_yours", "only its author may delete a message")
        ack = await reply(alice, "delete", {"room": room, "messageId": message_id})
        assert (ack["type"], ack["messageId"]) == ("ack", message_id)
        notice = await bob.chat(lambda d: d.get("type") == "deleted")
        assert notice == {"type": "deleted", "room": room, "messageId": message_id}
        page = await reply(bob, "history", {"room": room})
        (shown,) = page["messages"]
        assert shown["deleted"] is True and "text" not in shown and shown["from"] == "alice"

    run_closing(scenario)


def test_typing_reaches_the_others_but_not_the_sender_and_is_throttled():
    room = new_room()

    async def scenario(host: Host) -> None:
        alice, bob = await host.connect("alice"), await host.connect("bob")
        for client in (alice, bob):
            await reply(client, "join", {"room": room})
        assert (await reply(alice, "typing", {"room": room}))["forwarded"] is True
        notice = await bob.chat(lambda d: d.get("type") == "typing")
        assert notice == {"type": "typing", "user": "alice", "room": room}
        assert (await reply(alice, "typing", {"room": room}))["forwarded"] is False
        # A message after it: everything before it has reached alice, and none was a typing notice.
        await post(bob, room, "marker")
        await alice.chat(lambda d: d.get("text") == "marker")
        assert not [
            f for f in alice.frames if isinstance(f.get("data"), dict) and f["data"].get("type") == "typing"
        ]
        assert (
            len(
                [
                    f
                    for f in bob.frames
                    if isinstance(f.get("data"), dict) and f["data"].get("type") == "typing"
                ]
            )
            == 1
        )

    run_closing(scenario)


def test_history_pages_go_back_with_before_and_limit():
    room = new_room()

    async def scenario(host: Host) -> None:
        alice = await host.connect("alice")
        await reply(alice, "join", {"room": room})
        ids = sorted([await post(alice, room, f"m{i}") for i in range(5)])
        first = await reply(alice, "history", {"room": room, "limit": 2})
        assert [m["id"] for m in first["messages"]] == ids[3:] and first["more"] is True
        assert first["members"] == [{"user": "alice", "connections": 1}]
        second = await reply(alice, "history", {"room": room, "limit": 2, "before": ids[3]})
        assert [m["id"] for m in second["messages"]] == ids[1:3] and second["more"] is True
        assert "members" not in second
        last = await reply(alice, "history", {"room": room, "limit": 2, "before": ids[1]})
        assert [m["id"] for m in last["messages"]] == ids[:1] and last["more"] is False
        refused = await reply(alice, "history", {"room": room, "limit": 101})
        assert refused["code"] == "invalid_limit"

    run_closing(scenario)
