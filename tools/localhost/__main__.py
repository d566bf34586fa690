"""``python -m tools.localhost``: run the app with no Azure (a development tool)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from tools.localhost.server import EVENT_ROUTES, start

DESCRIPTION = """\
Serve this Functions app on localhost with no Azure: its HTTP functions run in
the real Python worker, and a small stand-in for Azure Web PubSub accepts
browser WebSockets and turns them into the app's events.

This is a development tool, not a product: it covers what this app uses of
the service and the Functions host, nothing more. For the full-fidelity local
loop run Microsoft's Web PubSub emulator (awps-emulator) with `func start`.
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="scripts/localhost",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7071, help="port (default 7071; 0 picks a free one)")
    parser.add_argument(
        "--events",
        choices=sorted(EVENT_ROUTES),
        default="trigger",
        help="where the stand-in service sends events: the trigger functions "
        "(/runtime/webhooks/webpubsub, default) or the HTTP route (/api/webpubsub)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(_serve(args.host, args.port, args.events))


async def _serve(host: str, port: int, events: str) -> None:
    running = await start(Path(__file__).resolve().parents[2], host, port, events)
    print(
        f"Serving the app at {running.url}/api/chat (events via {EVENT_ROUTES[events]}); Ctrl+C stops.",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await running.stop()


if __name__ == "__main__":
    main()
