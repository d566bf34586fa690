"""JSON that is not strict JSON, or is nested past what a parser can hold, on every way in.

Client frames close the connection with 1007 and a reason; REST bodies get a
400 naming the body; handler replies that are not strict JSON reach the client
as text. Nothing escapes as a traceback or a bare 500.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from urllib.parse import quote

import aiohttp
import pytest

from tests.webpubsub.conftest import JSON, RELIABLE, Reply, harness, receive_json, run
from tests.webpubsub.rest_fixtures import HUB, Served, bearer, http, serve
from tools.webpubsub import strict_json

DEEP = "[" * 100_000 + "]" * 100_000
HOSTILE = {
    "deep": DEEP,
    "overflow": "1e400",
    "negative overflow": "-1e400",
    "nan": "NaN",
    "infinity": '{"a": Infinity}',
}
REASON = "The client message is not a valid JSON protocol message."


def test_the_strict_loader_reads_json_and_refuses_each_hostile_form_as_a_value_error():
    assert strict_json.loads('{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
    assert strict_json.loads(b"1e308") == 1e308
    for text in HOSTILE.values():
        with pytest.raises(ValueError):
            strict_json.loads(text)
    with pytest.raises(ValueError):
        strict_json.loads(b"\xff")


@pytest.mark.parametrize("protocol", [JSON, RELIABLE], ids=["json", "reliable"])
@pytest.mark.parametrize("data", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_frame_holding_hostile_json_closes_the_connection_with_1007_and_a_reason(protocol, data):
    async def scenario():
        async with harness() as h:
            ws = await h.connect(protocol, roles=("webpubsub.sendToGroup",))
            await receive_json(ws, "system")
            await ws.send_str(
                f'{{"type":"sendToGroup","group":"g","dataType":"json","data":{data},"ackId":1}}'
            )
            assert await receive_json(ws) == {"type": "system", "event": "disconnected", "message": REASON}
            closing = await ws.receive()
            assert (closing.type, closing.data, closing.extra) == (aiohttp.WSMsgType.CLOSE, 1007, REASON)
            assert (await h.handler.wait_for("disconnected"))[0].json() == {"reason": REASON}

    run(scenario)


def test_a_whole_frame_nested_too_deep_closes_the_connection_with_1007():
    async def scenario():
        async with harness() as h:
            ws = await h.connect(JSON)
            await receive_json(ws, "system")
            await ws.send_str(DEEP)
            assert (await receive_json(ws))["message"] == REASON
            assert (await ws.receive()).data == 1007

    run(scenario)


def test_an_event_frame_holding_an_overflowing_number_closes_the_connection_with_1007():
    async def scenario():
        async with harness() as h:
            ws = await h.connect(JSON)
            await receive_json(ws, "system")
            await ws.send_str('{"type":"event","event":"e","data":{"n":1e400},"ackId":1}')
            assert (await receive_json(ws))["message"] == REASON
            assert (await ws.receive()).data == 1007
            assert h.handler.named("e") == []

    run(scenario)


@pytest.fixture
def served() -> Iterator[Served]:
    with serve() as running:
        yield running


SEND_PATHS = {
    "all": f"/api/hubs/{HUB}/:send",
    "group": f"/api/hubs/{HUB}/groups/g/:send",
    "user": f"/api/hubs/{HUB}/users/u/:send",
    "connection": f"/api/hubs/{HUB}/connections/c1/:send",
}


@pytest.mark.parametrize("path", list(SEND_PATHS.values()), ids=list(SEND_PATHS))
@pytest.mark.parametrize("body", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_rest_send_of_hostile_json_is_a_400_naming_the_body_and_reaches_nobody(served, path, body):
    sink = served.connect("c1", user_id="u", groups=("g",))
    url = served.url(path)
    response = http(
        "POST", url, data=body.encode(), headers={**bearer(url), "Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.json() == {
        "code": "InvalidArgument",
        "message": "body: is not valid JSON (Content-Type is application/json)",
        "target": "body",
    }
    assert sink.messages == []


@pytest.mark.parametrize("operation", [":addToGroups", ":removeFromGroups"])
@pytest.mark.parametrize(
    "body",
    ['{"groups": ["g"], "extra": 1e400}', '{"groups": ["g"], "extra": ' + DEEP + "}", '{"groups": [NaN]}'],
    ids=["overflow", "deep", "nan"],
)
def test_a_groups_body_of_hostile_json_is_a_400_naming_the_body(served, operation, body):
    sink = served.connect("c1")
    url = served.url(f"/api/hubs/{HUB}/{quote(operation)}")
    response = http(
        "POST", url, data=body.encode(), headers={**bearer(url), "Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.json() == {
        "code": "InvalidArgument",
        "message": "body: is not valid JSON",
        "target": "body",
    }
    assert served.connection("c1").groups == set()
    assert sink.messages == []


@pytest.mark.parametrize("reply", ["1e400", DEEP], ids=["overflow", "deep"])
def test_a_handler_reply_that_is_not_strict_json_reaches_the_client_as_text(reply):
    async def scenario():
        async with harness() as h:
            h.handler.replies["hello"] = Reply(200, reply.encode(), {"Content-Type": "application/json"})
            ws = await h.connect(JSON)
            await receive_json(ws, "system")
            await ws.send_json({"type": "event", "event": "hello", "data": 1, "ackId": 1})
            got = await receive_json(ws, "message")
            assert got == {"type": "message", "from": "server", "dataType": "json", "data": reply}
            assert (await receive_json(ws, "ack"))["success"] is True
            await ws.close()

    run(scenario)


def test_connection_states_that_are_not_strict_json_are_refused_without_a_traceback():
    async def scenario():
        async with harness() as h:
            states = base64.b64encode(b'{"n": 1e400}').decode()
            h.handler.replies["hello"] = Reply(200, b"", {"ce-connectionState": states})
            ws = await h.connect(JSON)
            await receive_json(ws, "system")
            await ws.send_json({"type": "event", "event": "hello", "data": 1, "ackId": 1})
            ack = await receive_json(ws, "ack")
            assert ack["error"] == {
                "name": "InternalServerError",
                "message": "the event handler's connection state is not usable",
            }
            await ws.close()

    run(scenario)
