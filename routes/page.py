"""Which static file of the browser client a request names, and how it is served.

Only the files listed here are served, so no request path can reach any
other file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from routes.http import HttpAnswer, error_answer

# The client loads only its own files and talks only to this app and to the
# Web PubSub WebSocket endpoint (another host in Azure, hence ws:/wss:).
HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
}


@dataclass(frozen=True)
class Asset:
    """A file of ``web/`` and the Content-Type it is served with."""

    filename: str
    content_type: str


_INDEX = Asset("index.html", "text/html; charset=utf-8")
ASSETS = {
    "": _INDEX,
    "index.html": _INDEX,
    "chat.js": Asset("chat.js", "text/javascript; charset=utf-8"),
    "connection.js": Asset("connection.js", "text/javascript; charset=utf-8"),
    "state.js": Asset("state.js", "text/javascript; charset=utf-8"),
    "view.js": Asset("view.js", "text/javascript; charset=utf-8"),
    "chat.css": Asset("chat.css", "text/css; charset=utf-8"),
}


def find_asset(name: str | None) -> Asset | None:
    """The asset for a request path segment, or None (a 404)."""
    return ASSETS.get(name or "")


def page(name: str | None, read: Callable[[str], bytes]) -> HttpAnswer:
    """The asset's bytes (``read`` takes a file name of ``web/``), or a 404."""
    asset = find_asset(name)
    if asset is None:
        return error_answer(404, "not_found", "no such file", field="asset")
    return HttpAnswer(200, read(asset.filename), {"Content-Type": asset.content_type, **HEADERS})
