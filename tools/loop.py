"""The whole local loop in one process, on free loopback ports: the local Web
PubSub service and the Functions host stand-in serving the app. For the
end-to-end tests, the browser tests, the soak and the benchmarks; users run
the same parts as processes through ``scripts/run``."""

from __future__ import annotations

import os
import secrets
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

from chat.event_names import USER_EVENTS
from tools.localhost import server as host_server
from tools.webpubsub import config
from tools.webpubsub import server as service_server
from tools.webpubsub.session import Limits

EVENT_ROUTES = {"trigger": host_server.WEBHOOK_PATH, "http": "/api/webpubsub"}


@dataclass
class Loop:
    """A running loop: ``url`` is the app (the Functions host), ``service`` the Web PubSub service."""

    service: service_server.Running
    host: host_server.Running

    @property
    def url(self) -> str:
        return self.host.url

    async def stop(self) -> None:
        # Clients first, so that their disconnected events still reach the app.
        await self.service.stop()
        await self.host.stop()


async def start(
    app_dir: Path,
    events: str = "trigger",
    hub: str = "chat",
    limits: Limits | None = None,
    env: MutableMapping[str, str] = os.environ,
) -> Loop:
    """Start the service and the host; sets ``WebPubSubConnectionString`` (and the hub) in ``env``.

    The service's handler sends the app's events to the host's ``events``
    route (``trigger`` or ``http``), with a fresh random key for each loop.
    """
    host_sock = host_server.bind("127.0.0.1", 0)
    handler = config.EventHandler(
        f"http://localhost:{host_sock.getsockname()[1]}{EVENT_ROUTES[events]}",
        frozenset(config.DEFAULT_SYSTEM_EVENTS),
        ",".join(USER_EVENTS),  # the app's own list (chat.event_names)
    )
    settings = config.Settings(
        endpoint="http://localhost:1", access_key=secrets.token_urlsafe(33), hubs={hub.lower(): (handler,)}
    )
    service = await service_server.start(settings, "127.0.0.1", 0, limits)
    env["WebPubSubConnectionString"] = service.connection_string
    env["WebPubSubHub"] = hub
    try:
        host = await host_server.start(app_dir, host_sock)
    except BaseException:
        await service.stop()
        raise
    return Loop(service, host)
