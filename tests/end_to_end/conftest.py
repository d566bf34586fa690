"""The whole local loop in-process (the local service, the host stand-in, the
app in the real worker) on free loopback ports, with real WebSocket clients."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tools import loop
from tools.webpubsub import tokens

ROOT = Path(__file__).resolve().parents[2]
WAIT = 5.0
PROTOCOL = "json.webpubsub.azure.v1"


@pytest.fixture(autouse=True)
def isolated_settings(monkeypatch):
    """The host writes app settings into the environment; restore them after each test."""
    for name in ("WebPubSubConnectionString", "WebPubSubHub", "ChatAllowAnonymous", "ChatMaxMessageLength"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("WebPubSubHub", "chat")


class Client:
    """A json.webpubsub.azure.v1 client that keeps every frame it receives."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self._unmatched: list[dict[str, Any]] = []
        self._acks = itertools.count(1)
        self.connection_id: str | None = None

    async def next(self, match: Callable[[dict[str, Any]], bool], timeout: float = WAIT) -> dict[str, Any]:
        """The first frame not yet taken that matches, waiting for it if need be (bounded)."""
        for frame in self._unmatched:
            if match(frame):
                self._unmatched.remove(frame)
                return frame
        async with asyncio.timeout(timeout):
            while True:
                msg = await self.ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    raise AssertionError(f"socket ended while waiting: {msg.type} {msg.data!r}")
                frame = json.loads(msg.data)
                self.frames.append(frame)
                if match(frame):
                    return frame
                self._unmatched.append(frame)

    async def send(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Send a frame with a fresh ackId and wait for its ack."""
        ack_id = next(self._acks)
        await self.ws.send_json({**frame, "ackId": ack_id})
        return await self.next(lambda f: f.get("type") == "ack" and f.get("ackId") == ack_id)

    async def event(self, name: str, data: Any) -> dict[str, Any]:
        return await self.send({"type": "event", "event": name, "dataType": "json", "data": data})

    async def chat(self, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The next server message whose JSON payload matches."""
        frame = await self.next(
            lambda f: f.get("type") == "message" and isinstance(f.get("data"), dict) and match(f["data"])
        )
        return frame["data"]


class Host:
    def __init__(self, running: loop.Loop, session: aiohttp.ClientSession) -> None:
        self.url = running.url
        self.running = running
        self.session = session

    @property
    def client_url(self) -> str:
        """The service's client endpoint for the app's hub (ws://)."""
        return "ws" + self.running.service.url.removeprefix("http") + "/client/hubs/chat"

    async def negotiate(self, user: str | None) -> aiohttp.ClientResponse:
        headers = {"x-ms-client-principal-name": user} if user is not None else {}
        return await self.session.get(f"{self.url}/api/negotiate", headers=headers)

    async def connect(self, user: str) -> Client:
        response = await self.negotiate(user)
        assert response.status == 200, await response.text()
        info = await response.json()
        client = Client(await self.session.ws_connect(info["url"], protocols=(PROTOCOL,)))
        connected = await client.next(lambda f: f.get("event") == "connected")
        client.connection_id = connected["connectionId"]
        # Wait for our own presence, so that the connected event has been handled.
        await client.chat(lambda d: d.get("type") == "presence" and d.get("user") == user)
        return client

    def token(self, user_id: str | None) -> str:
        service = self.running.service
        return tokens.issue_client_token(service.access_key, service.endpoint, "chat", user_id)


def run(scenario: Callable[[Host], Any], events: str = "trigger") -> None:
    """Start the loop, run ``scenario(host)``, stop everything (bounded)."""

    async def main() -> None:
        running = await loop.start(ROOT, events=events)
        try:
            async with aiohttp.ClientSession() as session:
                async with asyncio.timeout(60):
                    await scenario(Host(running, session))
        finally:
            await running.stop()

    asyncio.run(main())
