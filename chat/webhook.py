"""The same events over plain HTTP: the ``webPubSubContext`` route.

The extension validates the request (abuse-protection preflight, signature)
and hands over a context: ``{"request", "response", "errorMessage",
"hasError", "isPreflight"}``. For a preflight or an error its ``response`` is
the answer. Otherwise the event goes to the same handlers as the trigger
functions, and this module builds the webhook reply itself: a connect reply
as a JSON body, a user-event reply as a typed body, and the connection's
merged states base64-encoded in ``ce-connectionState``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chat.events import InvalidEvent, parse_event
from chat.handlers import Outcome, handle_event
from chat.http import JSON, HttpOutcome, HttpReply, error_reply
from chat.replies import ConnectReply, ErrorCode, ErrorReply, UserEventReply
from chat.settings import Settings

STATE_HEADER = "ce-connectionState"


def handle_webhook(context: str | bytes | None, settings: Settings, now: datetime) -> HttpOutcome:
    """Answer one webhook request from its ``webPubSubContext`` value."""
    try:
        value = json.loads(context or "")
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        return HttpOutcome(error_reply(400, "invalid_context", "the Web PubSub context is not a JSON object"))
    if value.get("isPreflight") or value.get("hasError"):
        return HttpOutcome(_context_response(value.get("response")))
    try:
        event = parse_event(value.get("request"))
    except InvalidEvent as err:
        return HttpOutcome(_error(ErrorReply(ErrorCode.USER_ERROR, str(err))))
    outcome = handle_event(event, settings, now)
    return HttpOutcome(_response(outcome, event.context.states), outcome.actions)


def encode_states(states: Mapping[str, Any]) -> str:
    """The ``ce-connectionState`` value: base64 of the JSON object of states."""
    return base64.b64encode(json.dumps(dict(states), separators=(",", ":")).encode()).decode()


def _response(outcome: Outcome, current_states: Mapping[str, Any]) -> HttpReply:
    reply = outcome.reply
    if isinstance(reply, ErrorReply):
        return _error(reply)
    if reply is None:
        return HttpReply(200)
    headers: dict[str, str] = {}
    if reply.states:
        # The service replaces the connection's states with this header, so
        # it carries the merged whole, as the extension's own reply does.
        headers[STATE_HEADER] = encode_states({**current_states, **reply.states})
    if isinstance(reply, ConnectReply):
        body = reply.to_binding()
        body.pop("states", None)
        return HttpReply(200, json.dumps(body).encode(), {"Content-Type": JSON, **headers})
    assert isinstance(reply, UserEventReply)
    return HttpReply(200, reply.data.encode(), {"Content-Type": reply.data_type.content_type, **headers})


def _error(reply: ErrorReply) -> HttpReply:
    return HttpReply(reply.code.http_status, reply.message.encode(), {"Content-Type": "text/plain"})


def _context_response(response: object) -> HttpReply:
    """The extension's own answer (preflight or validation failure), as it gave it."""
    if not isinstance(response, dict):
        return HttpReply(400)
    status = response.get("status")
    if type(status) is not int or not 100 <= status <= 599:
        return HttpReply(400)
    body = response.get("body")
    headers = {}
    raw_headers = response.get("headers")
    if isinstance(raw_headers, dict):
        for name, values in raw_headers.items():
            if isinstance(values, str):
                values = [values]
            if isinstance(values, list) and all(isinstance(v, str) for v in values):
                headers[str(name)] = ", ".join(values)
    return HttpReply(status, body.encode() if isinstance(body, str) else b"", headers)
