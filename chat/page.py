"""Which static file of the browser client a request names.

Only the files listed here are served, so no request path can reach any
other file.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Asset:
    filename: str
    content_type: str


ASSETS = {
    "": Asset("index.html", "text/html; charset=utf-8"),
    "index.html": Asset("index.html", "text/html; charset=utf-8"),
}


def find_asset(name: str | None) -> Asset | None:
    """The asset for a request path segment, or None (a 404)."""
    return ASSETS.get(name or "")
