"""The local loop for load runs: all in this process (``tools.loop``), or split in two.

Split, the local service runs in this process and the Functions host
stand-in with the worker in a child process (``python -m tools.localhost``),
as they are deployed: apart. Each then has an event loop, and a CPU, of its own.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from tools import loop
from tools.localhost.server import WEBHOOK_PATH
from tools.webpubsub import config
from tools.webpubsub import server as service_server


@dataclass
class Running:
    """A running loop: ``url`` is the app's, ``pids`` the loop's processes by role."""

    url: str
    pids: dict[str, int]
    stop: Callable[[], Awaitable[None]]


async def start_loop(app_dir: Path, split: bool = False) -> Running:
    """Start the loop, in one process or split in two (see the module's docstring)."""
    if not split:
        whole = await loop.start(app_dir)
        return Running(whole.url, {"python": os.getpid()}, whole.stop)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = config.EventHandler(
        f"http://localhost:{port}{WEBHOOK_PATH}",
        frozenset(config.DEFAULT_SYSTEM_EVENTS),
        config.DEFAULT_USER_EVENTS,
    )
    settings = config.Settings(
        endpoint="http://localhost:1", access_key=secrets.token_urlsafe(33), hubs={"chat": (handler,)}
    )
    service = await service_server.start(settings, "127.0.0.1", 0)
    env = {**os.environ, "WebPubSubConnectionString": service.connection_string, "WebPubSubHub": "chat"}
    # History only when the caller configured it: otherwise the example
    # settings' Azurite, which nothing started, would refuse every message.
    env.setdefault("ChatStorage", "")
    host = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tools.localhost",
        "--port",
        str(port),
        cwd=app_dir,
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    assert host.stdout is not None
    try:
        async with asyncio.timeout(60):
            ready = await host.stdout.readline()
        if b"serving" not in ready:
            raise RuntimeError(f"the host stand-in did not start: {ready!r}")
    except BaseException:
        host.kill()
        await host.wait()
        await service.stop()
        raise

    async def stop() -> None:
        await service.stop()
        host.terminate()
        await host.wait()

    return Running(f"http://127.0.0.1:{port}", {"service": os.getpid(), "host": host.pid}, stop)
