"""Complete a handler's step as the event functions do, with fakes for the store and the service."""

from __future__ import annotations

import asyncio

from chat.handlers import EventOutcome
from chat.history_events import Step
from chat.shell import complete
from tests.fake_gateway import FakeGateway
from tests.fake_history import FakeHistory


def finish(
    outcome: EventOutcome | Step,
    store: FakeHistory | None = None,
    gateway: FakeGateway | None = None,
    roster_timeout: float = 2.0,
) -> EventOutcome:
    """``outcome`` itself when final, else what ``chat.shell.complete`` makes of the step."""
    if isinstance(outcome, EventOutcome):
        return outcome
    service = gateway if gateway is not None else FakeGateway()

    def read_roster(room: str, limit: int) -> list[tuple[str, str | None]]:
        return service.room_connections("chat", room, limit)

    return asyncio.run(complete(outcome, store, read_roster, roster_timeout=roster_timeout))
