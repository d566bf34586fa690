"""A fake event handler and a started local service, for the service's own tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tools.webpubsub import tokens
from tools.webpubsub.config import EventHandler, Settings
from tools.webpubsub.server import Running, start
from tools.webpubsub.session import Limits

KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
HUB = "chat"
JSON = "json.webpubsub.azure.v1"
RELIABLE = "json.reliable.webpubsub.azure.v1"
ALL_SYSTEM = frozenset({"connect", "connected", "disconnected"})
TIMEOUT = 20


@dataclass
class Event:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def name(self) -> str:
        return self.headers["ce-eventName"]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class FakeHandler:
    """An event handler that records what it gets and answers what it is told."""

    def __init__(self) -> None:
        self.options: list[tuple[str, str]] = []
        self.gets: list[tuple[str, str]] = []
        self.options_status = 200
        self.events: list[Event] = []
        self.replies: dict[str, Reply] = {}
        self.allow = True
        self.arrived = asyncio.Condition()
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("OPTIONS", "/{tail:.*}", self._options)
        app.router.add_get("/{tail:.*}", self._get)
        app.router.add_post("/{tail:.*}", self._post)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _options(self, request: web.Request) -> web.Response:
        origin = request.headers.get("WebHook-Request-Origin", "")
        self.options.append((request.path_qs, origin))
        if self.options_status != 200:
            return web.Response(status=self.options_status)
        return self._allowed(origin)

    async def _get(self, request: web.Request) -> web.Response:
        origin = request.headers.get("WebHook-Request-Origin", "")
        self.gets.append((request.path_qs, origin))
        return self._allowed(origin)

    def _allowed(self, origin: str) -> web.Response:
        if not self.allow:
            return web.Response(status=400, text="not allowed")
        return web.Response(headers={"WebHook-Allowed-Origin": origin})

    async def _post(self, request: web.Request) -> web.Response:
        event = Event(request.path_qs, dict(request.headers), await request.read())
        async with self.arrived:
            self.events.append(event)
            self.arrived.notify_all()
        reply = self.replies.get(event.name, Reply())
        return web.Response(status=reply.status, body=reply.body, headers=reply.headers)

    def named(self, name: str) -> list[Event]:
        return [e for e in self.events if e.name == name]

    async def wait_for(self, name: str, count: int = 1) -> list[Event]:
        """The events called ``name`` once ``count`` of them have arrived."""
        async with asyncio.timeout(TIMEOUT), self.arrived:
            await self.arrived.wait_for(lambda: len(self.named(name)) >= count)
        return self.named(name)


@dataclass
class Harness:
    running: Running
    handler: FakeHandler
    session: aiohttp.ClientSession

    def token(
        self, user: str | None = "alice", roles: tuple[str, ...] = (), hub: str = HUB, host: str = ""
    ) -> str:
        endpoint = self.running.endpoint
        if host:
            endpoint = endpoint.replace("localhost", host)
        return tokens.issue_client_token(KEY, endpoint, hub, user, roles)

    def client_url(self, hub: str = HUB) -> str:
        return f"{self.running.url.replace('http', 'ws', 1)}/client/hubs/{hub}"

    async def connect(
        self,
        protocol: str | None = JSON,
        user: str | None = "alice",
        roles: tuple[str, ...] = (),
        hub: str = HUB,
    ) -> aiohttp.ClientWebSocketResponse:
        url = f"{self.client_url(hub)}?access_token={self.token(user, roles, hub)}"
        return await self.session.ws_connect(url, protocols=(protocol,) if protocol else (), max_msg_size=0)


def handlers_to(
    url: str, system: frozenset[str] = ALL_SYSTEM, user: str = "*"
) -> dict[str, tuple[EventHandler, ...]]:
    return {HUB: (EventHandler(url + "/events/{event}", system, user),)}


@contextlib.asynccontextmanager
async def harness(
    system: frozenset[str] = ALL_SYSTEM,
    user: str = "*",
    limits: Limits | None = None,
    hubs: Callable[[str], dict[str, tuple[EventHandler, ...]]] | None = None,
) -> AsyncIterator[Harness]:
    """A fake handler and a service sending it ``system`` events and the ``user`` pattern."""
    handler = FakeHandler()
    await handler.start()
    configured = hubs(handler.url) if hubs else handlers_to(handler.url, system, user)
    settings = Settings(endpoint="http://localhost:1", access_key=KEY, hubs=configured)
    running = await start(settings, "127.0.0.1", 0, limits)
    session = aiohttp.ClientSession()
    try:
        yield Harness(running, handler, session)
    finally:
        await session.close()
        await running.stop()
        await handler.stop()


def run(scenario: Callable[[], Awaitable[None]], timeout: float = 60) -> None:
    """Run an async scenario to completion, bounded in time."""

    async def bounded() -> None:
        async with asyncio.timeout(timeout):
            await scenario()

    asyncio.run(bounded())


async def receive_json(ws: aiohttp.ClientWebSocketResponse, kind: str | None = None) -> dict[str, Any]:
    """The next JSON frame (of type ``kind`` when given), bounded in time."""
    async with asyncio.timeout(TIMEOUT):
        while True:
            msg = await ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:
                raise AssertionError(f"expected a text frame, got {msg.type} {msg.data!r} {msg.extra!r}")
            frame: dict[str, Any] = json.loads(msg.data)
            if kind is None or frame.get("type") == kind:
                return frame
