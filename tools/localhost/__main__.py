"""``python -m tools.localhost``: the app's functions on a local Functions host stand-in."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import socket
import sys
from pathlib import Path

from chat.settings import SettingsError
from tools import local_settings
from tools.localhost.server import bind, start

ROOT = Path(__file__).resolve().parents[2]

DESCRIPTION = """\
Serve this Functions app's functions on localhost the way `func start` does,
with no Core Tools and no .NET: the HTTP functions and the Web PubSub trigger
endpoint (/runtime/webhooks/webpubsub) run in the real Python worker library,
and the Web PubSub bindings (negotiate, output actions, the context binding)
talk to the service named by WebPubSubConnectionString in local.settings.json.

This is a development tool, not a product: it covers the bindings this app
uses. `scripts/run` starts it together with the local Web PubSub service; with
Core Tools installed, `func start` with Microsoft's emulator (awps-emulator)
or this repo's local service is the full-fidelity loop.
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tools.localhost",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7071, help="port (default 7071 as func; 0: any)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        local_settings.apply(ROOT)
    except local_settings.LocalSettingsError as err:
        sys.exit(str(err))
    try:
        sock = bind(args.host, args.port)
    except OSError as err:
        sys.exit(f"cannot listen on {args.host}:{args.port}: {err.strerror} (is something else using it?)")
    try:
        asyncio.run(_serve(sock))
    except SettingsError as err:
        sys.exit(f"local.settings.json: {err}")


async def _serve(sock: socket.socket) -> None:
    running = await start(ROOT, sock)
    print(f"Functions host stand-in serving {running.url}; the chat is at {running.url}/api/chat", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await running.stop()


if __name__ == "__main__":
    main()
