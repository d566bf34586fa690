"""The whole app through the local loop: the local service, the host stand-in, the real worker."""

import json

import aiohttp
import pytest

from tests.end_to_end.conftest import PROTOCOL, run

EVENT_ROUTES = ["trigger", "http"]


@pytest.mark.parametrize("events", EVENT_ROUTES)
def test_two_users_chat_in_a_room_and_each_sees_the_others_message(events):
    async def scenario(host):
        alice, bob = await host.connect("alice"), await host.connect("bob")
        for client in (alice, bob):
            assert (await client.event("join", {"room": "games"}))["success"]
        await alice.event("message", {"room": "games", "text": "hi bob"})
        got = await bob.chat(lambda d: d.get("type") == "message")
        assert (got["from"], got["room"], got["text"]) == ("alice", "games", "hi bob")
        await bob.event("message", {"room": "games", "text": "hi alice"})
        got = await alice.chat(lambda d: d.get("type") == "message" and d["from"] == "bob")
        assert (got["room"], got["text"]) == ("games", "hi alice")

    run(scenario, events)


@pytest.mark.parametrize("events", EVENT_ROUTES)
def test_presence_is_announced_on_join_leave_and_disconnect(events):
    async def scenario(host):
        alice = await host.connect("alice")
        bob = await host.connect("bob")
        joined = await alice.chat(lambda d: d.get("type") == "presence" and d["user"] == "bob")
        assert (joined["event"], joined["room"]) == ("joined", "lobby")
        await alice.event("join", {"room": "games"})
        await bob.event("join", {"room": "games"})
        got = await alice.chat(
            lambda d: d.get("type") == "presence" and d["room"] == "games" and d["user"] == "bob"
        )
        assert got["event"] == "joined"
        await bob.event("leave", {"room": "games"})
        got = await alice.chat(
            lambda d: d.get("type") == "presence" and d["room"] == "games" and d["user"] == "bob"
        )
        assert got["event"] == "left"
        await bob.ws.close()
        got = await alice.chat(lambda d: d.get("type") == "presence" and d["room"] == "lobby")
        assert (got["user"], got["event"]) == ("bob", "left")

    run(scenario, events)


@pytest.mark.parametrize("events", EVENT_ROUTES)
def test_an_anonymous_connection_is_refused_before_the_upgrade(events):
    async def scenario(host):
        response = await host.negotiate(None)
        assert response.status == 500  # the binding expression fails in the host
        url = f"{host.client_url}?access_token={host.token(None)}"
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await host.session.ws_connect(url, protocols=(PROTOCOL,))
        assert refused.value.status == 401

    run(scenario, events)


def test_an_anonymous_connection_gets_a_guest_id_when_allowed(monkeypatch):
    monkeypatch.setenv("ChatAllowAnonymous", "true")

    async def scenario(host):
        url = f"{host.client_url}?access_token={host.token(None)}"
        client_ws = await host.session.ws_connect(url, protocols=(PROTOCOL,))
        frame = json.loads((await client_ws.receive()).data)
        assert frame["event"] == "connected" and frame["userId"].startswith("guest-")

    run(scenario)


def test_a_bad_token_is_refused():
    async def scenario(host):
        url = f"{host.client_url}?access_token=not-a-token"
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await host.session.ws_connect(url)
        assert refused.value.status == 401

    run(scenario)


@pytest.mark.parametrize("events", EVENT_ROUTES)
def test_a_user_cannot_post_to_a_room_it_has_not_joined(events):
    async def scenario(host):
        alice, mallory = await host.connect("alice"), await host.connect("mallory")
        await alice.event("join", {"room": "private"})
        ack = await mallory.event("message", {"room": "private", "text": "sneaky"})
        assert ack["success"] is True  # a refusal is a reply the sender reads, not a failed ack
        refusal = await mallory.chat(lambda d: d.get("type") == "error")
        assert (refusal["event"], refusal["code"]) == ("message", "not_joined")
        await alice.event("message", {"room": "private", "text": "marker"})
        await alice.chat(lambda d: d.get("text") == "marker")
        assert not any(
            isinstance(f.get("data"), dict) and f["data"].get("text") == "sneaky" for f in alice.frames
        )

    run(scenario, events)


def test_clients_have_no_group_rights_of_their_own():
    async def scenario(host):
        alice = await host.connect("alice")
        for frame in (
            {"type": "joinGroup", "group": "games"},
            {"type": "sendToGroup", "group": "lobby", "dataType": "text", "data": "bypass"},
        ):
            ack = await alice.send(frame)
            assert (ack["success"], ack["error"]["name"]) == (False, "Forbidden")

    run(scenario)


def test_a_broadcast_reaches_the_right_clients_and_an_invalid_one_reaches_nobody():
    async def scenario(host):
        alice, bob = await host.connect("alice"), await host.connect("bob")
        await alice.event("join", {"room": "ops"})
        bad = [
            {"actionName": "sendToGroup", "group": "ops", "dataType": "json", "data": {"n": "bad"}},
            {"actionName": "sendToGroup", "group": "not valid!", "data": "x"},
        ]
        async with host.session.post(f"{host.url}/api/broadcast", json=bad) as response:
            assert response.status == 400
            assert (await response.json())["error"]["index"] == 1
        good = [
            {"actionName": "sendToGroup", "group": "ops", "dataType": "json", "data": {"n": "ops-only"}},
            {"actionName": "sendToUser", "userId": "bob", "dataType": "json", "data": {"n": "for-bob"}},
        ]
        async with host.session.post(f"{host.url}/api/broadcast", json=good) as response:
            assert response.status == 202
        assert (await alice.chat(lambda d: "n" in d))["n"] == "ops-only"
        assert (await bob.chat(lambda d: "n" in d))["n"] == "for-bob"
        seen = [
            f["data"]["n"]
            for c in (alice, bob)
            for f in c.frames
            if isinstance(f.get("data"), dict) and "n" in f["data"]
        ]
        assert sorted(seen) == ["for-bob", "ops-only"]

    run(scenario)


def test_an_oversize_frame_is_refused_without_killing_the_host():
    async def scenario(host):
        alice, bob = await host.connect("alice"), await host.connect("bob")
        await bob.ws.send_str(
            json.dumps(
                {"type": "event", "event": "message", "dataType": "text", "data": "x" * (1024 * 1024 + 1)}
            )
        )
        closed = await bob.ws.receive()
        assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
        assert bob.ws.close_code == 1009
        await alice.chat(
            lambda d: d.get("type") == "presence" and d["user"] == "bob" and d["event"] == "left"
        )
        carol = await host.connect("carol")
        await carol.event("message", {"text": "still here"})
        assert (await alice.chat(lambda d: d.get("type") == "message"))["text"] == "still here"

    run(scenario)
