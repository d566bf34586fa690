"""The Web PubSub trigger functions: one per system event and user event.

The events are those of ``chat.event_names``, and each function is named
after its event. The trigger parameter is named ``request`` so that the
extension hands over the whole event (it chooses what to bind by the
parameter's name). A reply is returned as a dict: the worker sends it as
JSON, which the extension reads as the event's response.

The functions are ``async def``: the worker runs them on its event loop
instead of handing each event to its thread pool, which more than doubles
the events a worker handles per second (see the benchmarks). Most events
await nothing: the handler's outcome is final. An event whose handler
returns a step (a message to store, a join's history and roster, a history
page, a deletion) is completed by ``chat.shell`` with the history store and
the gateway's roster read from ``root``; with history off a message takes
the path it always took, loading neither the store nor the gateway.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import azure.functions as func

from blueprints import bindings
from chat.event_names import SYSTEM_EVENTS, USER_EVENTS
from composition import Dependencies

if TYPE_CHECKING:
    from collections.abc import Iterable

    from chat.handlers import EventOutcome
    from chat.history_events import Step
    from chat.history_store import HistoryStore
    from chat.shell import RosterReader
    from codec.actions import Action

    Handler = Callable[..., EventOutcome | Step]
    Completer = Callable[[Step, HistoryStore | None, RosterReader], Awaitable[EventOutcome]]
    Sender = Callable[[func.Out[str], Iterable[Action]], None]


def blueprint(root: Dependencies) -> func.Blueprint:
    """One trigger function per event of ``chat.event_names``, served with ``root``'s dependencies."""
    bp = func.Blueprint()

    output = bp.generic_output_binding(
        arg_name="actions", type=bindings.OUTPUT, hub=bindings.HUB, connection=bindings.CONNECTION
    )

    async def run(request: str, actions: func.Out[str] | None = None) -> dict[str, Any] | None:
        path = _event_path()
        store = root.history_store()
        result = path.handle(request, root.settings(), root.now(), history=store is not None)
        if isinstance(result, path.final):
            outcome = result
        else:  # a step: the I/O it names, then its outcome
            outcome = await path.complete(cast("Step", result), store, root.read_roster)
        if actions is not None:
            path.send(actions, outcome.actions)
        return outcome.reply.to_binding() if outcome.reply else None

    for event_type, name in [("system", n) for n in SYSTEM_EVENTS] + [("user", n) for n in USER_EVENTS]:
        if name == "connect":  # answered by its reply alone: it sends no action
            function: Callable[..., Awaitable[dict[str, Any] | None]] = _answered(run)
        elif event_type == "system":  # connected, disconnected: the service reads no reply
            function = output(_unanswered(run))
        else:
            function = output(_answered_with_actions(run))
        trigger = bp.generic_trigger(
            arg_name="request",
            type=bindings.TRIGGER,
            hub=bindings.HUB,
            event_type=event_type,
            event_name=name,
            connections=[bindings.CONNECTION],
        )
        bp.function_name(name)(trigger(function))

    return bp


Run = Callable[..., Awaitable[dict[str, Any] | None]]


def _answered(run: Run) -> Callable[[str], Awaitable[dict[str, Any] | None]]:
    async def function(request: str) -> dict[str, Any] | None:
        return await run(request)

    return function


def _unanswered(run: Run) -> Callable[[str, func.Out[str]], Awaitable[None]]:
    async def function(request: str, actions: func.Out[str]) -> None:
        await run(request, actions)

    return function


def _answered_with_actions(run: Run) -> Callable[[str, func.Out[str]], Awaitable[dict[str, Any] | None]]:
    async def function(request: str, actions: func.Out[str]) -> dict[str, Any] | None:
        return await run(request, actions)

    return function


class _Path(NamedTuple):
    handle: Handler
    final: type[EventOutcome]
    complete: Completer
    send: Sender


@cache
def _event_path() -> _Path:
    """The handler, the shell and the output encoder, imported on the first event rather
    than at indexing (which stays light: see the cold-start benchmark), and only once.
    The shell loads no store and no SDK: those come from ``root`` when history is on."""
    from blueprints._convert import send
    from chat.handlers import EventOutcome, handle_request
    from chat.shell import complete

    return _Path(handle_request, EventOutcome, complete, send)
