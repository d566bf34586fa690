"""The local service's HTTP server: the client endpoint and the REST API on one port."""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from aiohttp import web

from tools.webpubsub import rest
from tools.webpubsub.client import ClientEndpoint
from tools.webpubsub.config import Settings
from tools.webpubsub.events import EventSender
from tools.webpubsub.session import Limits, Session
from tools.webpubsub.state import Service

# A REST request carries at most a 1 MB message, plus room for its envelope.
MAX_REQUEST_BYTES = 2 * 1024 * 1024


@dataclass
class Running:
    """A started service: ``url`` to reach it, ``endpoint`` its tokens name, ``stop()`` to end it."""

    url: str
    endpoint: str
    access_key: str
    service: Service
    clients: ClientEndpoint
    sender: EventSender
    runner: web.AppRunner

    @property
    def connection_string(self) -> str:
        """The connection string of this service (it holds the key: never log it)."""
        return f"Endpoint={self.endpoint};AccessKey={self.access_key};Version=1.0;"

    def cut(self, hub: str, connection_id: str) -> bool:
        """Drop a client's socket without a close frame, as a network failure would; False if unknown."""
        conn = self.service.connection(hub, connection_id)
        if conn is None or not isinstance(conn.sink, Session):
            return False
        conn.sink.cut()
        return True

    async def stop(self) -> None:
        """Close every client (their ``disconnected`` events still go out), then the server."""
        await self.clients.close()
        await self.sender.close()
        await self.runner.cleanup()


def _listen(host: str, port: int) -> list[socket.socket]:
    """Bound sockets for every address ``host`` names, on one port.

    ``localhost`` names 127.0.0.1 and ::1, and clients try either first, so both
    are served; an address the machine lacks is skipped, a port in use is an
    error. Port 0 picks a free port on the first address and reuses it for the others.
    """
    sockets: list[socket.socket] = []
    last_error: OSError | None = None
    try:
        addresses = dict.fromkeys(
            (family, str(address[0]))
            for family, _, _, _, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        )
        if host.lower() == "localhost":
            # Some machines map localhost to one loopback only, and their clients may try the other.
            addresses |= dict.fromkeys([(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")])
        for family, address in addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind((address, sockets[0].getsockname()[1] if sockets else port))
            except OSError as err:
                sock.close()
                if err.errno == errno.EADDRINUSE:
                    raise
                last_error = err
                continue
            sockets.append(sock)
        if not sockets:
            raise last_error or OSError(f"{host} names no address")
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def build_app(
    settings: Settings, service: Service, limits: Limits
) -> tuple[web.Application, ClientEndpoint, EventSender]:
    """The aiohttp application with the client endpoint and the REST routes."""
    sender = EventSender(settings)
    clients = ClientEndpoint(service, sender, settings.endpoint, settings.access_key, limits)
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app.router.add_get("/client/hubs/{hub}", clients.handle)
    rest.add_routes(app, service, settings.endpoint, settings.access_key)
    return app, clients, sender


async def start(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int | None = None,
    limits: Limits | None = None,
) -> Running:
    """Serve the local service on ``host:port`` (0 picks a free port; None the endpoint's port).

    When the port differs from the endpoint's, the endpoint (which tokens
    name) follows the port actually served, so the printed connection string works.
    """
    parts = urlsplit(settings.endpoint)
    sockets = _listen(host, (parts.port or 80) if port is None else port)
    bound = sockets[0].getsockname()[1]
    if bound != (parts.port or {"http": 80, "https": 443}.get(parts.scheme)):
        settings = replace(settings, endpoint=f"{parts.scheme}://{parts.hostname}:{bound}")
    service = Service()
    app, clients, sender = build_app(settings, service, limits or Limits())
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    for sock in sockets:
        await web.SockSite(runner, sock).start()
    shown = f"[{host}]" if ":" in host else host
    return Running(
        f"http://{shown}:{bound}", settings.endpoint, settings.access_key, service, clients, sender, runner
    )
