"""``/api/webpubsub``: the same events over plain HTTP, with the context binding.

For a preflight or a failed validation the extension's own response is the
answer. Otherwise the event goes to the same handlers as the trigger
functions, and the webhook reply is built here: a connect reply as a JSON
body, a user-event reply as a typed body, and the connection's merged states
base64-encoded in ``ce-connectionState``. An event whose handler returns a
step (``chat.history_events``) comes back as ``PendingEvent``: the caller
completes the step (``chat.shell``) and asks it for the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chat.handlers import EventOutcome, handle_event
from chat.history_events import Step
from chat.settings import Settings
from codec import strict_json
from codec.events import InvalidEvent
from codec.replies import ConnectReply, ErrorCode, ErrorReply
from codec.webhook import STATE_HEADER, ContextResponse, InvalidContext, encode_states, parse_context
from routes.http import JSON, HttpAnswer, error_answer


@dataclass(frozen=True)
class PendingEvent:
    """An event whose outcome waits for the I/O ``step`` names."""

    step: Step
    states: Mapping[str, Any]

    def answer(self, outcome: EventOutcome) -> HttpAnswer:
        """The webhook answer once the step's outcome is known."""
        return _answer(outcome, self.states)


def handle_webhook(
    context: str | bytes | None, settings: Settings, now: datetime, *, history: bool = False
) -> HttpAnswer | PendingEvent:
    """Answer one webhook request from its ``webPubSubContext`` value (``history``: whether it is on)."""
    try:
        parsed = parse_context(context)
    except InvalidContext as err:
        return error_answer(400, "invalid_context", str(err))
    except InvalidEvent as err:
        return _error(ErrorReply(ErrorCode.USER_ERROR, str(err)))
    if isinstance(parsed, ContextResponse):
        return HttpAnswer(parsed.status, parsed.body, parsed.headers)
    outcome = handle_event(parsed, settings, now, history=history)
    if not isinstance(outcome, EventOutcome):
        return PendingEvent(outcome, parsed.context.states)
    return _answer(outcome, parsed.context.states)


def _answer(outcome: EventOutcome, current_states: Mapping[str, Any]) -> HttpAnswer:
    reply = outcome.reply
    if isinstance(reply, ErrorReply):
        return _error(reply)
    if reply is None:
        return HttpAnswer(200, actions=outcome.actions)
    headers: dict[str, str] = {}
    if isinstance(reply, ConnectReply):
        # The states travel in the header, not in the body.
        fields = {k: v for k, v in reply.to_binding().items() if k != "states"}
        body, headers["Content-Type"] = strict_json.dumps(fields).encode(), JSON
    else:
        body, headers["Content-Type"] = reply.data.encode(), reply.data_type.content_type
    if reply.states:
        # The service replaces the connection's states with this header, so
        # it carries the merged whole, as the extension's own reply does.
        headers[STATE_HEADER] = encode_states({**current_states, **reply.states})
    return HttpAnswer(200, body, headers, outcome.actions)


def _error(reply: ErrorReply) -> HttpAnswer:
    return HttpAnswer(reply.code.http_status, reply.message.encode(), {"Content-Type": "text/plain"})
