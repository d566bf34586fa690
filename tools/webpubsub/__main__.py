"""``python -m tools.webpubsub``: the local Web PubSub service (a development tool)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from tools.webpubsub import config
from tools.webpubsub.server import start
from tools.webpubsub.session import Limits
from tools.webpubsub.tokens import LOOPBACK

_Number = TypeVar("_Number", int, float)
APP_DIR = Path(__file__).resolve().parents[2]

DESCRIPTION = f"""\
A local stand-in for Azure Web PubSub, for development only (never deploy it):
client WebSockets (raw, json.webpubsub.azure.v1, json.reliable.webpubsub.azure.v1),
the data-plane REST API, and events to your event handlers, like Microsoft's
emulator (awps-emulator) but with no .NET.

Connection string: {config.CONNECTION_SETTING} from the environment, else from
local.settings.json (Values), as func start reads it, else the emulator's default
  {config.DEFAULT_CONNECTION_STRING}
Use that same connection string in your app, `func start` and your scripts; the
service listens on its Endpoint's host and port unless --host/--port say otherwise.

Event handlers: by default the app's hub ({config.HUB_SETTING}, else "{config.DEFAULT_HUB}")
sends connect, connected, disconnected and the user events {config.DEFAULT_USER_EVENTS}
to {config.DEFAULT_HANDLER_URL}. The emulator's environment form
  WebPubSub__Hubs__<hub>__EventHandlers__<i>__UrlTemplate, ...__SystemEvents__<j>, ...__EventPattern
is read too; --event-handler replaces both.
"""


def _positive(kind: type[_Number]) -> Callable[[str], _Number]:
    """An argparse type: a number above zero."""

    def parse(text: str) -> _Number:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text} is not above zero")
        return value

    return parse


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(
        prog="python -m tools.webpubsub",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", help="address to listen on (default: the Endpoint's host)")
    p.add_argument(
        "--port", type=int, help="port to listen on (default: the Endpoint's port; 0 picks a free one)"
    )
    p.add_argument(
        "--event-handler",
        action="append",
        default=[],
        metavar="'HUB=URL_TEMPLATE [system=E,...] [user=PATTERN]'",
        help="an event handler (repeatable, in order): URL_TEMPLATE may hold {event} and {hub}; "
        "system= lists connect/connected/disconnected; user= is * or a comma list of user events",
    )
    p.add_argument(
        "--random-key",
        metavar="FILE",
        type=Path,
        help="serve with a fresh random access key instead of the connection string's, and write the "
        "connection string to FILE (readable by you only; for tests)",
    )
    p.add_argument(
        "--grace-seconds",
        type=_positive(float),
        default=Limits.grace_seconds,
        help="how long a reliable connection waits for its client to reconnect "
        f"(default {Limits.grace_seconds:g})",
    )
    p.add_argument(
        "--resend-messages",
        type=_positive(int),
        default=Limits.resend_messages,
        help=f"unacknowledged messages a reliable connection keeps (default {Limits.resend_messages})",
    )
    p.add_argument(
        "--app-dir",
        type=Path,
        default=APP_DIR,
        help="the Functions app whose local.settings.json to read (default: this repository's)",
    )
    p.add_argument("--quiet", action="store_true", help="log warnings only, not each event")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the service until Ctrl+C or SIGTERM; the exit status (2 for a bad configuration)."""
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO, format="%(asctime)s %(name)s: %(message)s"
    )
    try:
        settings = config.load(args.app_dir, os.environ, args.event_handler)
    except config.ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.random_key:
        settings = replace(settings, access_key=secrets.token_urlsafe(33))
    limits = Limits(grace_seconds=args.grace_seconds, resend_messages=args.resend_messages)
    endpoint = urlsplit(settings.endpoint)
    if args.host is None and (endpoint.hostname or "").lower() not in LOOPBACK:
        # Most likely a real resource's connection string: this service is not that resource.
        print(
            f"error: {config.CONNECTION_SETTING}'s Endpoint is not this machine (localhost): "
            "use the emulator's connection string, or give --host to serve anyway",
            file=sys.stderr,
        )
        return 2
    host = args.host or endpoint.hostname or "localhost"
    port = args.port if args.port is not None else endpoint.port or 80
    try:
        asyncio.run(_serve(settings, host, args.port, limits, key_file=args.random_key, app_dir=args.app_dir))
    except OSError as err:
        print(f"error: cannot listen on {host}:{port}: {err.strerror or err}", file=sys.stderr)
        return 1
    return 0


async def _serve(
    settings: config.Settings,
    host: str,
    port: int | None,
    limits: Limits,
    *,
    key_file: Path | None,
    app_dir: Path,
) -> None:
    # Handlers first: whoever reads the banner may signal at once.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    running = await start(settings, host, port, limits)
    source = config.connection_string(app_dir, os.environ)[1]
    print(f"Local Web PubSub service at {running.url} (a development tool).", flush=True)
    if key_file is not None:
        # The key is a secret: it goes to a file only its owner reads, never to the console.
        key_file.touch(mode=0o600)
        key_file.chmod(0o600)
        key_file.write_text(running.connection_string)
        print(f"Random access key: the connection string is in {key_file}.", flush=True)
    else:
        print(
            f"Clients and servers use {config.CONNECTION_SETTING} (from {source}) "
            f"with Endpoint={running.endpoint}.",
            flush=True,
        )
    for hub, handlers in settings.hubs.items():
        for h in handlers:
            print(
                f"Hub {hub}: events {sorted(h.system_events)} + user {h.user_events or '(none)'} "
                f"-> {_without_query(h.url_template)}",
                flush=True,
            )
    print("Ctrl+C stops it.", flush=True)
    await stop.wait()
    await running.stop()


def _without_query(url: str) -> str:
    """A URL fit for the console: its query may hold a function key."""
    base, sep, _ = url.partition("?")
    return base + ("?..." if sep else "")


if __name__ == "__main__":
    sys.exit(main())
