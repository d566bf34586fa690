"""The REST API alone, served on a loopback port from a thread of its own.

The server's event loop runs in a background thread so that synchronous
clients (Microsoft's Python SDK, urllib, a ``node`` subprocess) can call
it from the test's thread. Connections are registered on the ``Service`` with
recording fake sinks: no WebSockets are involved.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message as Message_
from typing import Any, TypeVar

import jwt
from aiohttp import web

from tools.webpubsub.rest import add_routes
from tools.webpubsub.state import Connection, Message, Service

KEY = "rest-tests-access-key-" + "0123456789abcdef" * 3
HUB = "chat"
WAIT = 10.0

T = TypeVar("T")


class RecordingSink:
    """A client as the service sees it: keeps what it was sent, and goes away when closed."""

    def __init__(self, service: Service, hub: str, connection_id: str) -> None:
        self._service, self._hub, self._id = service, hub, connection_id
        self.messages: list[Message] = []
        self.closed: list[str] = []

    async def deliver(self, message: Message) -> None:
        self.messages.append(message)

    async def close(self, reason: str) -> None:
        self.closed.append(reason)
        # A protocol removes its connection once the socket ends; do the same.
        self._service.remove(self._hub, self._id)


class Served:
    """A running REST API: its URL, its service and helpers to arrange state."""

    def __init__(self, loop: asyncio.AbstractEventLoop, service: Service, port: int) -> None:
        self.loop = loop
        self.service = service
        self.port = port
        self.endpoint = f"http://localhost:{port}"
        self.sinks: dict[str, RecordingSink] = {}

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the server's loop and wait for it (bounded)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(WAIT)

    def connect(
        self,
        connection_id: str,
        user_id: str | None = None,
        groups: tuple[str, ...] = (),
        hub: str = HUB,
        protocol: str | None = "json.webpubsub.azure.v1",
    ) -> RecordingSink:
        """Register a connection as a client protocol would."""
        sink = RecordingSink(self.service, hub, connection_id)

        async def add() -> None:
            conn = Connection(id=connection_id, hub=hub, user_id=user_id, sink=sink, protocol=protocol)
            self.service.add(conn)
            for group in groups:
                self.service.join(conn, group)

        self.call(add())
        self.sinks[connection_id] = sink
        return sink

    def connection(self, connection_id: str, hub: str = HUB) -> Connection | None:
        return self.service.connection(hub, connection_id)

    def url(self, path: str, host: str = "localhost") -> str:
        return f"http://{host}:{self.port}{path}"

    def connection_string(self, host: str = "localhost") -> str:
        return f"Endpoint=http://{host}:{self.port};AccessKey={KEY};Version=1.0;"


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, headers (case-insensitive) and body."""

    status_code: int
    headers: Message_
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


def http(method: str, url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
    """One plain HTTP request (bounded); error statuses are answers, not exceptions."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=WAIT) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as err:
        with err:
            return Reply(err.code, err.headers, err.read())


def sign(url: str, key: str = KEY, lifetime: int = 300, **claims: Any) -> str:
    """A bearer token as the SDKs make it: ``aud`` is the request URL."""
    now = int(time.time())
    payload: dict[str, Any] = {"aud": url, "iat": now, "exp": now + lifetime, **claims}
    return jwt.encode(payload, key, algorithm="HS256")


def bearer(url: str, **kwargs: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {sign(url, **kwargs)}"}


@contextmanager
def serve() -> Iterator[Served]:
    """Serve the REST API on a free loopback port until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="rest-api", daemon=True)
    thread.start()
    service = Service()
    served = Served(loop, service, port)
    runner: web.AppRunner | None = None

    async def start() -> web.AppRunner:
        app = web.Application()
        add_routes(app, service, served.endpoint, KEY)
        started = web.AppRunner(app)
        await started.setup()
        await web.SockSite(started, sock).start()
        return started

    try:
        runner = served.call(start())
        yield served
    finally:
        if runner is not None:
            served.call(runner.cleanup())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(WAIT)
        loop.close()
        sock.close()
