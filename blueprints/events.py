"""The Web PubSub trigger functions: one per system event and user event.

The trigger parameter is named ``request`` so that the extension hands over
the whole event (it chooses what to bind by the parameter's name). A reply
is returned as a dict: the worker sends it as JSON, which the extension
reads as the event's response.

The functions are ``async def`` although they await nothing: they do no
blocking I/O, so the worker runs them on its event loop instead of handing
each event to its thread pool, which more than doubles the events a worker
handles per second (see the benchmarks).
"""

from __future__ import annotations

from typing import Any

import azure.functions as func

from blueprints import bindings

bp = func.Blueprint()


def _trigger(event_type: str, event_name: str):
    return bp.generic_trigger(
        arg_name="request",
        type=bindings.TRIGGER,
        hub=bindings.HUB,
        event_type=event_type,
        event_name=event_name,
        connections=[bindings.CONNECTION],
    )


_output = bp.generic_output_binding(
    arg_name="actions", type=bindings.OUTPUT, hub=bindings.HUB, connection=bindings.CONNECTION
)


def _run(request: str, actions: func.Out[str] | None = None) -> dict[str, Any] | None:
    from blueprints._adapter import now, send, settings
    from chat.handlers import handle_request

    outcome = handle_request(request, settings(), now())
    if actions is not None:
        send(actions, outcome.actions)
    return outcome.reply.to_binding() if outcome.reply else None


@bp.function_name("connect")
@_trigger("system", "connect")
async def connect(request: str) -> dict[str, Any] | None:
    return _run(request)


@bp.function_name("connected")
@_trigger("system", "connected")
@_output
async def connected(request: str, actions: func.Out[str]) -> None:
    _run(request, actions)


@bp.function_name("disconnected")
@_trigger("system", "disconnected")
@_output
async def disconnected(request: str, actions: func.Out[str]) -> None:
    _run(request, actions)


@bp.function_name("message")
@_trigger("user", "message")
@_output
async def message(request: str, actions: func.Out[str]) -> dict[str, Any] | None:
    return _run(request, actions)


@bp.function_name("join")
@_trigger("user", "join")
@_output
async def join(request: str, actions: func.Out[str]) -> dict[str, Any] | None:
    return _run(request, actions)


@bp.function_name("leave")
@_trigger("user", "leave")
@_output
async def leave(request: str, actions: func.Out[str]) -> dict[str, Any] | None:
    return _run(request, actions)
