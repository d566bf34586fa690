"""HTTP answers, as plain values the blueprints turn into responses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from chat.actions import Action, json_message

JSON = "application/json"


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HttpOutcome:
    """An HTTP reply and the output actions to send with it (none on error)."""

    response: HttpReply
    actions: tuple[Action, ...] = ()


def json_reply(status: int, body: object, **headers: str) -> HttpReply:
    return HttpReply(
        status,
        json_message(body).encode(),
        {"Content-Type": JSON, **{k.replace("_", "-"): v for k, v in headers.items()}},
    )


def service_failure(status: int | None, message: str, **where: object) -> HttpReply:
    """What the caller gets when the service failed: 503 when throttled, else 502."""
    if status == 429:
        reply = error_reply(503, "service_busy", f"{message}: try again shortly", **where)
        return HttpReply(reply.status, reply.body, {**reply.headers, "Retry-After": "5"})
    return error_reply(502, "service_error", message, **where)


def error_reply(status: int, code: str, message: str, **where: object) -> HttpReply:
    """The JSON error body every route uses: ``{"error": {code, message, ...}}``.

    ``where`` names the offending input (``field``, ``index``) so that a
    caller can find it.
    """
    return json_reply(status, {"error": {"code": code, "message": message, **where}})
