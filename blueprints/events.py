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

from collections.abc import Awaitable, Callable
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, cast

import azure.functions as func

from blueprints import bindings
from composition import Dependencies

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from chat.handlers import EventOutcome
    from chat.settings import Settings
    from codec.actions import Action

    Handler = Callable[[object, Settings, datetime], EventOutcome]
    Sender = Callable[[func.Out[str], Iterable[Action]], None]

Function = TypeVar("Function", bound=Callable[..., Awaitable[Any]])


def blueprint(root: Dependencies) -> func.Blueprint:
    """The six trigger functions, handling events with ``root``'s settings and clock."""
    bp = func.Blueprint()

    def trigger(event_type: str, event_name: str) -> Callable[[Function], Function]:
        # azure-functions leaves its decorators unannotated; each returns the function it registers.
        return cast(
            Callable[[Function], Function],
            bp.generic_trigger(
                arg_name="request",
                type=bindings.TRIGGER,
                hub=bindings.HUB,
                event_type=event_type,
                event_name=event_name,
                connections=[bindings.CONNECTION],
            ),
        )

    output = bp.generic_output_binding(
        arg_name="actions", type=bindings.OUTPUT, hub=bindings.HUB, connection=bindings.CONNECTION
    )

    def run(request: str, actions: func.Out[str] | None = None) -> dict[str, Any] | None:
        handle_request, send = _event_path()
        outcome = handle_request(request, root.settings(), root.now())
        if actions is not None:
            send(actions, outcome.actions)
        return outcome.reply.to_binding() if outcome.reply else None

    @bp.function_name("connect")
    @trigger("system", "connect")
    async def connect(request: str) -> dict[str, Any] | None:
        return run(request)

    @bp.function_name("connected")
    @trigger("system", "connected")
    @output
    async def connected(request: str, actions: func.Out[str]) -> None:
        run(request, actions)

    @bp.function_name("disconnected")
    @trigger("system", "disconnected")
    @output
    async def disconnected(request: str, actions: func.Out[str]) -> None:
        run(request, actions)

    @bp.function_name("message")
    @trigger("user", "message")
    @output
    async def message(request: str, actions: func.Out[str]) -> dict[str, Any] | None:
        return run(request, actions)

    @bp.function_name("join")
    @trigger("user", "join")
    @output
    async def join(request: str, actions: func.Out[str]) -> dict[str, Any] | None:
        return run(request, actions)

    @bp.function_name("leave")
    @trigger("user", "leave")
    @output
    async def leave(request: str, actions: func.Out[str]) -> dict[str, Any] | None:
        return run(request, actions)

    return bp


@cache
def _event_path() -> tuple[Handler, Sender]:
    """The handler and the output encoder, imported on the first event rather than at
    indexing (which stays light: see the cold-start benchmark), and only once."""
    from blueprints._convert import send
    from chat.handlers import handle_request

    return handle_request, send
