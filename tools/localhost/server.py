"""Serve the app's functions as the Functions host does, on one port."""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from tools.localhost.extension import Extension
from tools.localhost.functions import FunctionsHost
from tools.worker.harness import Worker

WEBHOOK_PATH = "/runtime/webhooks/webpubsub"


async def _home(_: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/api/chat")


@dataclass
class Running:
    url: str
    runner: web.AppRunner
    extension: Extension

    async def stop(self) -> None:
        await self.runner.cleanup()
        await self.extension.close()
        # The app's own clients (the history store's HTTP session) close with
        # the host, as they would with the worker's process in Azure.
        root = getattr(sys.modules.get("function_app"), "root", None)
        if root is not None:
            await root.aclose()


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (0 picks a free port); OSError when it is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


async def start(app_dir: Path, sock: socket.socket) -> Running:
    """Serve the app in ``app_dir`` on ``sock``, with the settings already in the environment.

    Like Core Tools' ``func start``, it marks the process as a development host
    (``AZURE_FUNCTIONS_ENVIRONMENT=Development``), which the app's negotiate
    needs before it trusts a local caller's identity header.
    """
    os.environ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development"
    extension = Extension(os.environ)
    functions = FunctionsHost(await Worker.start(app_dir), extension)
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app.router.add_route("*", "/api/{tail:.*}", functions.http)
    app.router.add_route("*", WEBHOOK_PATH, functions.trigger_webhook)
    app.router.add_get("/", _home)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    host, port = sock.getsockname()[:2]
    return Running(f"http://{host}:{port}", runner, extension)
