"""Conversions shared by the blueprints: answers to responses, actions to the output binding."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import azure.functions as func

from codec.actions import Action, encode_actions

if TYPE_CHECKING:  # the event functions use send() alone: they need not load the routes
    from routes.http import HttpAnswer


def send(out: func.Out[str], actions: Iterable[Action]) -> None:
    """Set the output binding to the actions as one JSON array, if any."""
    value = encode_actions(actions)
    if value is not None:
        out.set(value)


def respond(answer: HttpAnswer, out: func.Out[str] | None = None) -> func.HttpResponse:
    """Send an answer's actions (when the function has an output) and build its response."""
    if out is not None:
        send(out, answer.actions)
    return func.HttpResponse(body=answer.body, status_code=answer.status, headers=dict(answer.headers))
