"""The ``json.webpubsub.azure.v1`` protocol, with raw aiohttp clients and a fake event handler."""

from __future__ import annotations

import base64
import json

import aiohttp

from tests.webpubsub.conftest import JSON, RELIABLE, Reply, harness, receive_json, run

GROUP_ROLES = ("webpubsub.joinLeaveGroup", "webpubsub.sendToGroup")


def test_a_json_client_gets_connected_with_its_ids_and_the_handler_gets_connect_then_connected():
    async def scenario():
        async with harness() as h:
            ws = await h.connect(JSON, "alice")
            assert ws.protocol == JSON
            frame = await receive_json(ws)
            assert frame["type"] == "system" and frame["event"] == "connected"
            assert frame["userId"] == "alice" and frame["connectionId"]
            assert "reconnectionToken" not in frame
            connected = await h.handler.wait_for("connected")
            connect = h.handler.named("connect")[0]
            assert connect.headers["ce-type"] == "azure.webpubsub.sys.connect"
            assert connect.headers["ce-connectionId"] == frame["connectionId"]
            assert connect.headers["ce-userId"] == "alice"
            body = connect.json()
            assert body["claims"]["sub"] == ["alice"]
            assert body["claims"]["aud"] == [f"{h.running.endpoint}/client/hubs/chat"]
            assert {"iat", "exp"} <= set(body["claims"])
            assert body["subprotocols"] == [JSON]
            assert body["clientCertificates"] == []
            assert "access_token" not in body["query"]
            assert connected[0].headers["ce-type"] == "azure.webpubsub.sys.connected"
            await ws.close()

    run(scenario)


def test_ping_is_answered_with_pong():
    async def scenario():
        async with harness() as h:
            ws = await h.connect(JSON)
            await receive_json(ws, "system")
            await ws.send_str('{"type":"ping"}')
            assert await receive_json(ws) == {"type": "pong"}
            await ws.close()

    run(scenario)


def test_join_and_send_to_group_reach_members_with_from_user_and_no_echo_skips_the_sender():
    async def scenario():
        async with harness() as h:
            alice = await h.connect(JSON, "alice", GROUP_ROLES)
            bob = await h.connect(JSON, "bob", GROUP_ROLES)
            for ws in (alice, bob):
                await receive_json(ws, "system")
                await ws.send_json({"type": "joinGroup", "group": "g", "ackId": 1})
                assert await receive_json(ws, "ack") == {"type": "ack", "ackId": 1, "success": True}
            await alice.send_json(
                {
                    "type": "sendToGroup",
                    "group": "g",
                    "dataType": "text",
                    "data": "hi",
                    "noEcho": True,
                    "ackId": 2,
                }
            )
            assert (await receive_json(alice, "ack"))["success"] is True
            got = await receive_json(bob, "message")
            assert got == {
                "type": "message",
                "from": "group",
                "group": "g",
                "fromUserId": "alice",
                "dataType": "text",
                "data": "hi",
            }
            await bob.send_json({"type": "sendToGroup", "group": "g", "dataType": "json", "data": {"a": [1]}})
            assert (await receive_json(alice, "message"))["data"] == {"a": [1]}
            assert (await receive_json(bob, "message"))["data"] == {"a": [1]}
            await alice.close()
            await bob.close()

    run(scenario)


def test_joining_without_the_role_is_acked_forbidden():
    async def scenario():
        async with harness() as h:
            ws = await h.connect(JSON, "alice")
            await receive_json(ws, "system")
            await ws.send_json({"type": "joinGroup", "group": "g", "ackId": 7})
            ack = await receive_json(ws, "ack")
            assert (ack["ackId"], ack["success"], ack["error"]["name"]) == (7, False, "Forbidden")
            await ws.send_json({"type": "sendToGroup", "group": "g", "data": 1, "ackId": 8})
            assert (await receive_json(ws, "ack"))["error"]["name"] == "Forbidden"
            await ws.close()

    run(scenario)


def test_a_role_for_one_group_grants_that_group_only():
    async def scenario():
        async with harness() as h:
            ws = await h.connect(JSON, "alice", ("webpubsub.joinLeaveGroup.mine",))
            await receive_json(ws, "system")
            await ws.send_json({"type": "joinGroup", "group": "mine", "ackId": 1})
            assert (await receive_json(ws, "ack"))["success"] is True
            await ws.send_json({"type": "joinGroup", "group": "other", "ackId": 2})
            assert (await receive_json(ws, "ack"))["error"]["name"] == "Forbidden"
            await ws.close()

    run(scenario)


def test_a_reused_ack_id_is_acked_duplicate_and_not_sent_again():
    async def scenario():
        async with harness() as h:
            ws = await h.connect(JSON)
            await receive_json(ws, "system")
            frame = {"type": "event", "event": "hello", "dataType": "text", "data": "x", "ackId": 3}
            await ws.send_json(frame)
            assert (await receive_json(ws, "ack"))["success"] is True
            await ws.send_json(frame)
            ack = await receive_json(ws, "ack")
            assert (ack["success"], ack["error"]["name"]) == (False, "Duplicate")
            assert ack["error"]["message"] == "Message with ack-id: 3 has been processed"
            assert len(h.handler.named("hello")) == 1
            await ws.close()

    run(scenario)


def test_a_user_event_goes_out_as_a_cloud_event_and_its_reply_comes_back_as_a_server_message():
    async def scenario():
        async with harness() as h:
            h.handler.replies["hello"] = Reply(200, b'{"echo":true}', {"Content-Type": "application/json"})
            ws = await h.connect(JSON)
            connected = await receive_json(ws, "system")
            await ws.send_json(
                {"type": "event", "event": "hello", "dataType": "json", "data": {"n": 1}, "ackId": 1}
            )
            got = await receive_json(ws, "message")
            assert got == {"type": "message", "from": "server", "dataType": "json", "data": {"echo": True}}
            assert (await receive_json(ws, "ack"))["success"] is True
            event = h.handler.named("hello")[0]
            assert event.headers["ce-type"] == "azure.webpubsub.user.hello"
            assert event.headers["Content-Type"] == "application/json"
            assert event.headers["ce-hub"] == "chat"
            assert event.headers["ce-connectionId"] == connected["connectionId"]
            assert event.headers["ce-specversion"] == "1.0"
            assert json.loads(event.body) == {"n": 1}
            assert event.path == "/events/hello"
            await ws.close()

    run(scenario)


def test_binary_event_data_reaches_the_handler_as_bytes():
    async def scenario():
        async with harness() as h:
            ws = await h.connect(JSON)
            await receive_json(ws, "system")
            raw = bytes(range(256))
            data = base64.b64encode(raw).decode()
            await ws.send_json(
                {"type": "event", "event": "bin", "dataType": "binary", "data": data, "ackId": 1}
            )
            assert (await receive_json(ws, "ack"))["success"] is True
            event = h.handler.named("bin")[0]
            assert (event.headers["Content-Type"], event.body) == ("application/octet-stream", raw)
            await ws.close()

    run(scenario)


def test_a_failing_handler_is_acked_internal_server_error_without_its_text():
    async def scenario():
        async with harness() as h:
            h.handler.replies["hello"] = Reply(500, b"secret stack trace")
            ws = await h.connect(JSON)
            await receive_json(ws, "system")
            await ws.send_json(
                {"type": "event", "event": "hello", "dataType": "text", "data": "x", "ackId": 1}
            )
            ack = await receive_json(ws, "ack")
            assert (ack["success"], ack["error"]["name"]) == (False, "InternalServerError")
            assert "secret" not in ack["error"]["message"]
            await ws.close()

    run(scenario)


def test_a_user_event_no_handler_takes_is_not_sent_and_acked_internal_server_error():
    async def scenario():
        async with harness(user="message,join") as h:
            ws = await h.connect(JSON)
            await receive_json(ws, "system")
            await ws.send_json(
                {"type": "event", "event": "other", "dataType": "text", "data": "x", "ackId": 1}
            )
            ack = await receive_json(ws, "ack")
            assert (ack["success"], ack["error"]["name"]) == (False, "InternalServerError")
            assert ack["error"]["message"] == "no event handler takes the event 'other'"
            await ws.send_json(
                {"type": "event", "event": "JOIN", "dataType": "text", "data": "x", "ackId": 2}
            )
            assert (await receive_json(ws, "ack"))["success"] is True
            user_events = [
                e.name for e in h.handler.events if e.headers["ce-type"].startswith("azure.webpubsub.user")
            ]
            assert user_events == ["JOIN"]
            await ws.close()

    run(scenario)


def test_a_frame_that_is_not_json_closes_the_connection_with_1007_and_a_disconnected_event():
    async def scenario():
        async with harness() as h:
            ws = await h.connect(JSON)
            await receive_json(ws, "system")
            await ws.send_str("not json")
            reason = "The client message is not a valid JSON protocol message."
            assert await receive_json(ws) == {"type": "system", "event": "disconnected", "message": reason}
            closing = await ws.receive()
            assert (closing.type, closing.data, closing.extra) == (aiohttp.WSMsgType.CLOSE, 1007, reason)
            disconnected = await h.handler.wait_for("disconnected")
            assert disconnected[0].json() == {"reason": reason}

    run(scenario)


def test_a_binary_frame_on_the_json_protocol_closes_the_connection_with_1003():
    async def scenario():
        async with harness() as h:
            ws = await h.connect(JSON)
            await receive_json(ws, "system")
            await ws.send_bytes(b'{"type":"ping"}')
            assert (await receive_json(ws))["message"] == "The JSON subprotocol requires text messages."
            closing = await ws.receive()
            assert (closing.type, closing.data) == (aiohttp.WSMsgType.CLOSE, 1003)

    run(scenario)


def test_a_failed_request_without_an_ack_id_leaves_the_connection_open():
    async def scenario():
        async with harness() as h:
            ws = await h.connect(JSON)
            await receive_json(ws, "system")
            await ws.send_json({"type": "joinGroup", "group": "g"})
            await ws.send_str('{"type":"ping"}')
            assert await receive_json(ws) == {"type": "pong"}
            conn = h.running.service.all_connections()[0]
            assert conn.groups == set()
            await ws.close()

    run(scenario)


def test_the_client_choice_is_the_first_built_in_protocol_offered_when_connect_names_none():
    async def scenario():
        async with harness() as h:
            url = f"{h.client_url()}?access_token={h.token()}"
            ws = await h.session.ws_connect(url, protocols=("custom.v1", RELIABLE, JSON))
            assert ws.protocol == RELIABLE
            assert "reconnectionToken" in await receive_json(ws, "system")
            await ws.close()

    run(scenario)


def test_the_connect_reply_sets_user_groups_roles_states_and_subprotocol():
    async def scenario():
        async with harness() as h:
            states = base64.b64encode(b'{"room":"lobby"}').decode()
            reply = {
                "userId": "renamed",
                "groups": ["g"],
                "roles": ["webpubsub.sendToGroup"],
                "subprotocol": JSON,
            }
            h.handler.replies["connect"] = Reply(
                200, json.dumps(reply).encode(), {"ce-connectionState": states}
            )
            url = f"{h.client_url()}?access_token={h.token('alice')}"
            ws = await h.session.ws_connect(url, protocols=(RELIABLE, JSON))
            assert ws.protocol == JSON
            frame = await receive_json(ws, "system")
            assert frame["userId"] == "renamed"
            await ws.send_json(
                {"type": "sendToGroup", "group": "g", "dataType": "text", "data": "to me", "ackId": 1}
            )
            assert (await receive_json(ws, "message"))["data"] == "to me"
            assert (await receive_json(ws, "ack"))["ackId"] == 1
            await ws.send_json({"type": "event", "event": "e", "dataType": "text", "data": "", "ackId": 2})
            assert (await receive_json(ws, "ack"))["ackId"] == 2
            event = h.handler.named("e")[0]
            assert event.headers["ce-userId"] == "renamed"
            assert json.loads(base64.b64decode(event.headers["ce-connectionState"])) == {"room": "lobby"}
            await ws.close()

    run(scenario)
