"""The routes' one answer type, and the JSON bodies every route uses."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from codec.actions import Action, json_message

JSON = "application/json"


class HttpAnswer(msgspec.Struct, frozen=True):
    """An HTTP response, and the output actions to send with it (none on error)."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)
    actions: tuple[Action, ...] = ()


def json_answer(status: int, body: object, actions: tuple[Action, ...] = (), **headers: str) -> HttpAnswer:
    """A JSON body and the output actions to send with it; ``Cache_Control="no-store"``
    becomes the header ``Cache-Control``."""
    named = {"Content-Type": JSON}
    for key, value in headers.items():
        named[key.replace("_", "-")] = value
    return HttpAnswer(status, json_message(body).encode(), named, actions)


def error_answer(status: int, code: str, message: str, **where: object) -> HttpAnswer:
    """The JSON error body every route uses: ``{"error": {code, message, ...}}``.

    ``where`` names the offending input (``field``, ``index``) so that a
    caller can find it.
    """
    return json_answer(status, {"error": {"code": code, "message": message, **where}})


def service_failure(status: int | None, message: str, **where: object) -> HttpAnswer:
    """What the caller gets when the service failed: 503 when throttled, else 502."""
    if status == 429:
        answer = error_answer(503, "service_busy", f"{message}: try again shortly", **where)
        return HttpAnswer(answer.status, answer.body, {**answer.headers, "Retry-After": "5"})
    return error_answer(502, "service_error", message, **where)
