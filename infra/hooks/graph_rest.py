"""Just the Microsoft Graph (v1.0 REST) calls a hook makes, on the shared transport.

The token is only ever sent; what a failure shows is the HTTP status and
Graph's error code (``error.code`` in its answer), never a header or a body.
"""

from __future__ import annotations

import json
from typing import Any

from azure_rest import Send

GRAPH_ENDPOINT = "https://graph.microsoft.com"
GRAPH_VERSION = "v1.0"


class Graph:
    """Microsoft Graph with azd's delegated token."""

    def __init__(self, token: str, send: Send, endpoint: str = GRAPH_ENDPOINT) -> None:
        self._token = token
        self._send = send
        self._base = f"{endpoint.rstrip('/')}/{GRAPH_VERSION}"

    def call(self, method: str, path: str, body: Any = None, prefer: str | None = None) -> tuple[int, Any]:
        """One request; returns the status and the JSON body (None when there is none)."""
        headers = {"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"}
        if prefer:
            headers["Prefer"] = prefer
        data = None if body is None else json.dumps(body).encode()
        return self._send(method, f"{self._base}{path}", headers, data)


def error_code(body: Any) -> str:
    """Graph's error code from an error answer, or a placeholder when it gave none."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("code"), str) and error["code"]:
            return str(error["code"])
    return "no error code"
