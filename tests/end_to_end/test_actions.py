"""Every output action, sent through /api/broadcast and applied by the stand-in service."""

import aiohttp

from tests.end_to_end.conftest import run


async def broadcast(host, *actions):
    async with host.session.post(f"{host.url}/api/broadcast", json=list(actions)) as response:
        assert response.status == 202, await response.text()


def notice(n):
    return {"dataType": "json", "data": {"n": n}}


async def got(client, n):
    return await client.chat(lambda d: d.get("n") == n)


def received(client, n):
    return any(isinstance(f.get("data"), dict) and f["data"].get("n") == n for f in client.frames)


def test_send_actions_reach_exactly_their_targets():
    async def scenario(host):
        alice, bob = await host.connect("alice"), await host.connect("bob")
        await broadcast(
            host,
            {"actionName": "sendToAll", "excluded": [bob.connection_id], **notice("all-but-bob")},
            {"actionName": "sendToConnection", "connectionId": bob.connection_id, **notice("bob-conn")},
            {"actionName": "sendToAll", "dataType": "text", "data": "plain"},
            {"actionName": "sendToAll", **notice("end")},
        )
        await got(alice, "all-but-bob")
        await got(bob, "bob-conn")
        text = await bob.next(lambda f: f.get("dataType") == "text")
        assert text["data"] == "plain"
        for client in (alice, bob):
            await got(client, "end")
        assert not received(bob, "all-but-bob") and not received(alice, "bob-conn")

    run(scenario)


def test_binary_data_travels_as_base64_to_json_clients():
    async def scenario(host):
        alice = await host.connect("alice")
        await broadcast(
            host,
            {
                "actionName": "sendToAll",
                "dataType": "binary",
                "data": {"type": "Buffer", "data": [0, 1, 254]},
            },
        )
        frame = await alice.next(lambda f: f.get("dataType") == "binary")
        assert frame["data"] == "AAH+"

    run(scenario)


def test_user_group_membership_actions():
    async def scenario(host):
        alice, bob = await host.connect("alice"), await host.connect("bob")
        await broadcast(
            host,
            {"actionName": "addUserToGroup", "userId": "bob", "group": "team"},
            {"actionName": "addConnectionToGroup", "connectionId": alice.connection_id, "group": "team"},
            {"actionName": "sendToGroup", "group": "team", **notice("team-1")},
            {"actionName": "removeUserFromGroup", "userId": "bob", "group": "team"},
            {"actionName": "sendToGroup", "group": "team", **notice("team-2")},
            {"actionName": "removeConnectionFromGroup", "connectionId": alice.connection_id, "group": "team"},
            {"actionName": "removeUserFromAllGroups", "userId": "bob"},
            {"actionName": "sendToGroup", "group": "lobby", **notice("lobby")},
            {"actionName": "sendToAll", **notice("end")},
        )
        for client, n in ((bob, "team-1"), (alice, "team-2"), (alice, "lobby"), (bob, "end")):
            await got(client, n)
        assert not received(bob, "team-2") and not received(bob, "lobby")

    run(scenario)


def test_permission_actions_grant_and_revoke_group_rights():
    async def scenario(host):
        alice = await host.connect("alice")
        await broadcast(
            host,
            {
                "actionName": "grantPermission",
                "connectionId": alice.connection_id,
                "permission": "joinLeaveGroup",
                "targetName": "open",
            },
        )
        assert (await alice.send({"type": "joinGroup", "group": "open"}))["success"]
        assert not (await alice.send({"type": "joinGroup", "group": "closed"}))["success"]
        await broadcast(
            host,
            {
                "actionName": "revokePermission",
                "connectionId": alice.connection_id,
                "permission": "joinLeaveGroup",
                "targetName": "open",
            },
        )
        assert not (await alice.send({"type": "leaveGroup", "group": "open"}))["success"]

    run(scenario)


def test_close_actions_close_exactly_their_targets():
    async def scenario(host):
        alice, bob, carol = [await host.connect(user) for user in ("alice", "bob", "carol")]
        await broadcast(
            host,
            {"actionName": "closeClientConnection", "connectionId": alice.connection_id, "reason": "bye"},
        )
        assert (await alice.next(lambda f: f.get("event") == "disconnected"))["message"] == "bye"
        assert (await alice.ws.receive()).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        await broadcast(
            host, {"actionName": "closeGroupConnections", "group": "lobby", "excluded": [carol.connection_id]}
        )
        await bob.next(lambda f: f.get("event") == "disconnected")
        await broadcast(host, {"actionName": "sendToAll", **notice("carol-alive")})
        await got(carol, "carol-alive")
        await broadcast(host, {"actionName": "closeAllConnections", "reason": "maintenance"})
        assert (await carol.next(lambda f: f.get("event") == "disconnected"))["message"] == "maintenance"

    run(scenario)
