"""Wire the Functions host stand-in and the service stand-in onto one port."""

from __future__ import annotations

import json
import os
import secrets
import socket
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from aiohttp import web

from tools.localhost import rest
from tools.localhost.functions import FunctionsHost
from tools.localhost.service import Service
from tools.worker.harness import Worker

EVENT_ROUTES = {"trigger": "/runtime/webhooks/webpubsub", "http": "/api/webpubsub"}


async def _home(_: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/api/chat")


@dataclass
class Running:
    url: str
    runner: web.AppRunner
    service: Service

    async def stop(self) -> None:
        await self.service.close()
        await self.runner.cleanup()


def configure_environment(app_dir: Path, endpoint: str) -> None:
    """App settings for the worker: local.settings.json's Values, then our service's connection."""
    settings = app_dir / "local.settings.json"
    if settings.exists():
        for name, value in json.loads(settings.read_text()).get("Values", {}).items():
            os.environ.setdefault(name, str(value))
    os.environ.setdefault("WebPubSubHub", "chat")
    key = secrets.token_urlsafe(33)
    # The app never reads this: the bindings (here, this host) do.
    os.environ["WebPubSubConnectionString"] = f"Endpoint={endpoint};AccessKey={key};Version=1.0;"


async def start(app_dir: Path, host: str = "127.0.0.1", port: int = 7071, events: str = "trigger") -> Running:
    """Serve the app and a stand-in service on ``host:port`` (0 picks a free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    url = f"http://{host}:{sock.getsockname()[1]}"
    configure_environment(app_dir, url)
    key = os.environ["WebPubSubConnectionString"].split("AccessKey=")[1].split(";")[0]
    service = Service(url, key, url + EVENT_ROUTES[events])
    functions = FunctionsHost(await Worker.start(app_dir), service)

    app = web.Application(client_max_size=2 * 1024 * 1024)
    # The service's REST API first: it shares the /api prefix with the functions.
    app.router.add_route("*", "/api/hubs/{hub}/{path:.*}", partial(rest.handle, service))
    app.router.add_route("*", "/api/{tail:.*}", functions.http)
    app.router.add_route("*", EVENT_ROUTES["trigger"], functions.trigger_webhook)
    app.router.add_get("/client/hubs/{hub}", service.client)
    app.router.add_get("/", _home)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    return Running(url, runner, service)
