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
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from benchmarks import storage as history
from composition import HISTORY_CONNECTION
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


async def start_loop(app_dir: Path, split: bool = False, storage: str = "") -> Running:
    """Start the loop, in one process or split in two (see the module's docstring).

    ``storage`` is the app's ``ChatStorage`` (see ``benchmarks.storage``): ""
    runs it with history off, never with the example settings' Azurite.
    """
    if not split:
        return await _in_process(app_dir, storage)
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
    env = {
        **os.environ,
        "WebPubSubConnectionString": service.connection_string,
        "WebPubSubHub": "chat",
        HISTORY_CONNECTION: storage,
    }
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


async def _in_process(app_dir: Path, storage: str) -> Running:
    setting = ExitStack()
    setting.enter_context(history.in_process_app(storage))
    try:
        whole = await loop.start(app_dir)
    except BaseException:
        setting.close()
        raise

    async def stop() -> None:
        try:
            await whole.stop()
            await history.close_app_store()
        finally:
            setting.close()

    return Running(whole.url, {"python": os.getpid()}, stop)
