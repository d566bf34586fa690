"""The host stand-in's answers when a function fails, replies wrongly or asks for refused outputs.

The real worker serves one app per process (this repo's, which never fails
on purpose), so these run ``FunctionsHost`` over a scripted worker: each
invocation answers what the test says, and the stand-in's handling of it is
what is checked, down to the status, the text and the log line.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.localhost.conftest import KEY
from tools.localhost.extension import Extension
from tools.localhost.functions import FunctionsHost
from tools.localhost.server import WEBHOOK_PATH, bind
from tools.webpubsub.events import Context, headers_for
from tools.worker.harness import HttpResult, Invocation

OUTPUT = {"type": "webPubSub", "direction": "OUT", "name": "actions", "hub": "chat"}
BINDINGS = {
    "on_message": [
        {
            "type": "webPubSubTrigger",
            "direction": "IN",
            "name": "request",
            "hub": "chat",
            "eventType": "user",
            "eventName": "message",
        },
        OUTPUT,
    ],
    "on_connect": [
        {
            "type": "webPubSubTrigger",
            "direction": "IN",
            "name": "request",
            "hub": "chat",
            "eventType": "system",
            "eventName": "connect",
        }
    ],
    "broadcast": [
        {"type": "httpTrigger", "direction": "IN", "name": "req", "route": "broadcast", "methods": ["POST"]},
        {"type": "http", "direction": "OUT", "name": "$return"},
        OUTPUT,
    ],
    "negotiate": [
        {"type": "httpTrigger", "direction": "IN", "name": "req", "route": "negotiate"},
        {
            "type": "webPubSubConnection",
            "direction": "IN",
            "name": "connection",
            "hub": "chat",
            "userId": "{headers.x-user}",
        },
    ],
    "queue": [
        {"type": "httpTrigger", "direction": "IN", "name": "req", "route": "queue"},
        {"type": "queue", "direction": "IN", "name": "item"},
    ],
}


@dataclass
class ScriptedWorker:
    """The worker's surface the host uses; ``answer`` is what every invocation returns."""

    answer: Invocation = field(default_factory=lambda: Invocation(ok=True))
    invoked: list[str] = field(default_factory=list)
    functions: dict[str, Any] = field(default_factory=lambda: dict.fromkeys(BINDINGS))

    def raw_bindings(self, name: str) -> list[dict[str, Any]]:
        return BINDINGS[name]

    async def invoke(self, name: str, inputs: dict[str, Any]) -> Invocation:
        self.invoked.append(name)
        return self.answer

    def json(self, value: str) -> str:
        return value

    def http(self, method: str, url: str, **parts: Any) -> str:
        return method


@dataclass
class Service:
    """The Web PubSub REST API: every call answered ``status``, and recorded."""

    status: int = 202
    calls: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append(f"{request.method} {request.path}")
        return web.Response(status=self.status)


@dataclass
class Stand:
    url: str
    worker: ScriptedWorker
    service: Service
    session: aiohttp.ClientSession

    async def event(self, event_name: str = "message", event_type: str = "user") -> aiohttp.ClientResponse:
        ctx = Context("chat", "conn-1", "alice", {"rooms": ["lobby"]})
        headers = headers_for(KEY, "localhost", ctx, event_type, event_name, "application/json")
        return await self.session.post(self.url + WEBHOOK_PATH, data=b'{"text":"x"}', headers=headers)


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = bind("127.0.0.1", 0)
    await web.SockSite(runner, sock).start()
    return runner, f"http://localhost:{sock.getsockname()[1]}"


def run(scenario: Callable[[Stand], Awaitable[None]], service_status: int = 202) -> None:
    async def main() -> None:
        service = Service(service_status)
        service_app = web.Application()
        service_app.router.add_route("*", "/{path:.*}", service.handle)
        service_runner, endpoint = await _serve(service_app)
        env = {"WebPubSubConnectionString": f"Endpoint={endpoint};AccessKey={KEY};Version=1.0;"}
        extension = Extension(env)
        worker = ScriptedWorker()
        host = FunctionsHost(worker, extension, env)  # type: ignore[arg-type]
        app = web.Application()
        app.router.add_route("*", "/api/{tail:.*}", host.http)
        app.router.add_route("*", WEBHOOK_PATH, host.trigger_webhook)
        runner, url = await _serve(app)
        try:
            async with aiohttp.ClientSession() as session, asyncio.timeout(60):
                await scenario(Stand(url, worker, service, session))
        finally:
            await runner.cleanup()
            await extension.close()
            await service_runner.cleanup()

    asyncio.run(main())


def reply(value: object) -> Invocation:
    return Invocation(ok=True, return_kind="json", return_value=json.dumps(value))


# a failed invocation


def test_a_failed_trigger_invocation_is_a_500_with_the_functions_error_and_a_log_line(caplog):
    async def scenario(stand: Stand) -> None:
        stand.worker.answer = Invocation(ok=False, error="ValueError: boom")
        response = await stand.event()
        assert (response.status, await response.text()) == (500, "ValueError: boom")
        assert stand.worker.invoked == ["on_message"] and stand.service.calls == []

    with caplog.at_level(logging.ERROR, "localhost.functions"):
        run(scenario)
    assert "function on_message failed: ValueError: boom" in caplog.messages


def test_a_failed_http_invocation_is_a_500_and_sends_nothing(caplog):
    async def scenario(stand: Stand) -> None:
        stand.worker.answer = Invocation(ok=False, error="RuntimeError: down")
        response = await stand.session.post(stand.url + "/api/broadcast", data=b"[]")
        assert (response.status, await response.read()) == (500, b"")
        assert stand.service.calls == []

    with caplog.at_level(logging.ERROR, "localhost.functions"):
        run(scenario)
    assert "function broadcast failed: RuntimeError: down" in caplog.messages


# replies the extension does not take


def test_a_reply_that_is_not_a_json_object_is_a_500_saying_so():
    async def scenario(stand: Stand) -> None:
        for value in (["a"], "text", 5, None):
            stand.worker.answer = reply(value)
            response = await stand.event()
            assert (response.status, await response.text()) == (500, "Response should be a JObject."), value

    run(scenario)


def test_a_reply_that_is_not_json_at_all_is_ignored_with_a_warning(caplog):
    async def scenario(stand: Stand) -> None:
        stand.worker.answer = Invocation(ok=True, return_kind="string", return_value="hello")
        response = await stand.event()
        assert (response.status, await response.read()) == (200, b"")

    with caplog.at_level(logging.WARNING, "localhost.functions"):
        run(scenario)
    assert "reply of type string ignored: return a dict" in caplog.messages


def test_a_user_event_reply_whose_data_is_not_a_string_is_a_500_saying_so():
    async def scenario(stand: Stand) -> None:
        stand.worker.answer = reply({"data": {"a": 1}, "dataType": "json"})
        response = await stand.event()
        assert (response.status, await response.text()) == (
            500,
            "Message should be string, please stringify object.",
        )

    run(scenario)


@pytest.mark.parametrize("data", [[-1], [1.5], "AAE=", 3, [True]])
def test_a_user_event_reply_with_a_buffer_that_is_not_bytes_is_a_500_saying_so(data):
    async def scenario(stand: Stand) -> None:
        stand.worker.answer = reply({"data": {"type": "Buffer", "data": data}, "dataType": "binary"})
        response = await stand.event()
        assert (response.status, await response.text()) == (
            500,
            "a Buffer's data must be a list of bytes (whole numbers 0 to 255)",
        )

    run(scenario)


def test_a_user_event_reply_with_a_buffer_is_sent_as_its_bytes():
    async def scenario(stand: Stand) -> None:
        stand.worker.answer = reply({"data": {"type": "Buffer", "data": [0, 255]}, "dataType": "binary"})
        response = await stand.event()
        assert (response.status, response.content_type, await response.read()) == (
            200,
            "application/octet-stream",
            b"\x00\xff",
        )

    run(scenario)


@pytest.mark.parametrize(
    "code, status",
    [("unauthorized", 401), ("UserError", 400), ("serverError", 500), ("unheard-of", 500)],
)
def test_an_error_reply_is_answered_with_its_status_and_message(code, status):
    async def scenario(stand: Stand) -> None:
        stand.worker.answer = reply({"code": code, "errorMessage": "not you"})
        response = await stand.event("connect", "system")
        assert (response.status, await response.text()) == (status, "not you")

    run(scenario)


# refused outputs


REFUSED = [
    ('{"actionName": "bogus"}', "Not supported WebPubSubOperation: bogus."),
    ("[5]", "an action must be a JSON object"),
    ("not json", "the output is not JSON"),
    (
        '{"actionName": "sendToAll", "data": {"a": 1}}',
        "Message should be string, please stringify object.",
    ),
    (
        '{"actionName": "sendToAll", "dataType": "binary", "data": "AAE="}',
        "WebPubSubDataType is binary, please use ArrayBuffer as message data type.",
    ),
    ('{"actionName": "sendToAll", "dataType": "xml", "data": "x"}', "unknown dataType 'xml'"),
    (
        '{"actionName": "sendToAll", "dataType": "binary", "data": {"type": "Buffer", "data": [0, 256]}}',
        "a Buffer's data must be a list of bytes (whole numbers 0 to 255)",
    ),
    (
        '{"actionName": "sendToAll", "dataType": "binary", "data": {"type": "Buffer", "data": 5}}',
        "a Buffer's data must be a list of bytes (whole numbers 0 to 255)",
    ),
]


@pytest.mark.parametrize("output, reason", REFUSED)
def test_a_refused_output_fails_the_event_before_any_action_is_sent(caplog, output, reason):
    async def scenario(stand: Stand) -> None:
        good = '{"actionName": "sendToAll", "data": "first"}'
        stand.worker.answer = Invocation(ok=True, outputs={"actions": f"[{good}, {output}]"})
        response = await stand.event()
        assert (response.status, await response.text()) == (500, "output binding failed")
        assert stand.service.calls == []  # every action is read before the first is sent

    with caplog.at_level(logging.ERROR, "localhost.functions"):
        run(scenario)
    assert f"function on_message output refused: {reason}" in caplog.messages


def test_a_refused_output_of_an_http_function_is_a_500_instead_of_its_answer(caplog):
    async def scenario(stand: Stand) -> None:
        stand.worker.answer = Invocation(
            ok=True,
            http=HttpResult(202, {}, b"accepted"),
            outputs={"actions": '{"actionName": "bogus"}'},
        )
        response = await stand.session.post(stand.url + "/api/broadcast", data=b"[]")
        assert (response.status, await response.read()) == (500, b"")

    with caplog.at_level(logging.ERROR, "localhost.functions"):
        run(scenario)
    assert "function broadcast output refused: Not supported WebPubSubOperation: bogus." in caplog.messages


def test_an_output_the_service_refuses_is_a_500_logged_with_the_services_answer(caplog):
    async def scenario(stand: Stand) -> None:
        stand.worker.answer = Invocation(
            ok=True, outputs={"actions": '{"actionName":"sendToAll","data":"x"}'}
        )
        response = await stand.event()
        assert (response.status, await response.text()) == (500, "output binding failed")
        assert stand.service.calls == ["POST /api/hubs/chat/:send"]

    with caplog.at_level(logging.ERROR, "localhost.functions"):
        run(scenario, service_status=403)
    assert (
        "function on_message output failed at the service: Operation returned an invalid status 'Forbidden'"
        in (caplog.messages)
    )


# bindings the stand-in cannot fill


def test_a_connection_binding_naming_a_missing_header_fails_before_the_function_runs():
    async def scenario(stand: Stand) -> None:
        response = await stand.session.get(stand.url + "/api/negotiate")
        assert (response.status, await response.text()) == (
            500,
            "Error while accessing 'x-user': property doesn't exist",
        )
        assert stand.worker.invoked == []

    run(scenario)


def test_a_binding_the_stand_in_does_not_have_is_a_500_naming_it():
    async def scenario(stand: Stand) -> None:
        response = await stand.session.get(stand.url + "/api/queue")
        assert (response.status, await response.text()) == (500, "the local host has no queue binding")
        assert stand.worker.invoked == []

    run(scenario)
