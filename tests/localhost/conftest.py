"""The Functions host stand-in on a free port, in front of a fake Web PubSub
REST API that records each call (the service's own tests are in tests/webpubsub)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tools.localhost.server import Running, bind, start

ROOT = Path(__file__).resolve().parents[2]
KEY = "TESTKEYTESTKEYTESTKEYTESTKEYTESTKEYTESTKEY="


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: list[tuple[str, str]]
    content_type: str
    body: bytes


@dataclass
class FakeService:
    """Answers every REST call as the service does on success, and records it."""

    calls: list[Call] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append(
            Call(
                request.method,
                request.path,
                list(request.query.items()),
                request.headers.get("Content-Type", ""),
                await request.read(),
            )
        )
        if request.path.endswith(":send"):
            return web.Response(status=202)
        return web.Response(status=200 if request.method == "PUT" else 204)


@dataclass
class Host:
    url: str
    running: Running
    service: FakeService
    session: aiohttp.ClientSession


def run(scenario: Callable[[Host], Awaitable[Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    """Start a fake service and the host, run ``scenario(host)``, stop both (bounded)."""

    async def main() -> None:
        fake = FakeService()
        service_app = web.Application()
        service_app.router.add_route("*", "/{path:.*}", fake.handle)
        service_runner = web.AppRunner(service_app, access_log=None)
        await service_runner.setup()
        service_sock = bind("127.0.0.1", 0)
        await web.SockSite(service_runner, service_sock).start()
        endpoint = f"http://localhost:{service_sock.getsockname()[1]}"
        monkeypatch.setenv("WebPubSubConnectionString", f"Endpoint={endpoint};AccessKey={KEY};Version=1.0;")
        monkeypatch.setenv("WebPubSubHub", "chat")
        # What the stand-in sets must not outlive the test: recorded here, so undone.
        monkeypatch.setenv("AZURE_FUNCTIONS_ENVIRONMENT", "Production")
        running = await start(ROOT, bind("127.0.0.1", 0))
        try:
            async with aiohttp.ClientSession() as session:
                async with asyncio.timeout(60):
                    await scenario(Host(running.url, running, fake, session))
        finally:
            await running.stop()
            await service_runner.cleanup()

    asyncio.run(main())
