"""The imperative shell around the handlers: the writes and reads their steps name.

A handler that needs I/O returns a step (``chat.history_events``); ``complete``
does what it names with the store and the roster reader it is given, and
asks ``chat.history_events`` to decide the outcome from what it found. The
store and the reader come from the composition root; tests pass fakes.

* ``StoreMessage``: write first; a failed write answers ``history_unavailable``
  and sends nothing (nothing is sent that is not stored).
* ``JoinReads``: the latest page and the roster, read side by side; a
  failed page is ``history: null``, a failed roster ``members: null``, and
  the join succeeds either way.
* ``HistoryReads``: the cursor's message (it must be the room's), the page,
  and for a first page the roster.
* ``DeleteReads``: the message (its author must be the sender), then its deletion.

The roster reader is the Web PubSub gateway's blocking call: it runs on a
thread, bounded by ``ROSTER_TIMEOUT`` seconds, so that a slow service delays
a join by at most that and never blocks the worker's event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from chat import history_events as core
from chat.history import Page, retention_cutoff
from chat.history_store import HistoryStore, HistoryUnavailable
from chat.outcomes import EventOutcome

ROSTER_TIMEOUT = 2.0
"""Seconds a join or a first history page waits for the room's roster."""

RosterReader = Callable[[str, int], core.Connections]
"""Reads up to ``limit`` (connection id, user id) pairs of a room's group (blocking; may raise)."""


async def complete(
    step: core.Step,
    store: HistoryStore | None,
    read_roster: RosterReader,
    *,
    roster_timeout: float = ROSTER_TIMEOUT,
) -> EventOutcome:
    """Do the I/O ``step`` names and return the outcome decided from what was found.

    ``store`` is None when history is off (the handlers then ask it only for a join's roster).
    """
    match step:
        case core.StoreMessage():
            return await _store(step, store)
        case core.JoinReads():
            page, roster = await asyncio.gather(
                _latest(step, store), _roster(read_roster, step.ack.room, roster_timeout)
            )
            return core.finish_join(step, page, roster)
        case core.HistoryReads():
            return await _history(step, store, read_roster, roster_timeout)
        case core.DeleteReads():
            return await _delete(step, store)


async def purge_expired(store: HistoryStore, now: datetime, days: int) -> int:
    """Delete the messages older than ``days`` before ``now`` (0 days keeps all); how many went."""
    cutoff = retention_cutoff(now, days)
    if cutoff is None:
        return 0
    return await store.delete_older_than(cutoff)


async def _store(step: core.StoreMessage, store: HistoryStore | None) -> EventOutcome:
    if store is None:
        return step.sent
    try:
        await store.put_message(step.message)
    except HistoryUnavailable:
        return step.refused
    return step.sent


async def _latest(step: core.JoinReads, store: HistoryStore | None) -> Page | None:
    if store is None or not step.history:
        return None
    try:
        return await store.latest(step.ack.room, step.limit, not_before=step.not_before)
    except HistoryUnavailable:
        return None


async def _history(
    step: core.HistoryReads, store: HistoryStore | None, read_roster: RosterReader, roster_timeout: float
) -> EventOutcome:
    if store is None:  # the handler refuses history_off before: kept for safety
        return core.unavailable("history", step.event_id)
    roster = _roster(read_roster, step.room, roster_timeout) if step.members else _nothing()
    try:
        page, connections = await asyncio.gather(_page(step, store), roster)
    except HistoryUnavailable:
        return core.unavailable("history", step.event_id)
    return core.finish_history(step, page, connections)


async def _page(step: core.HistoryReads, store: HistoryStore) -> Page | None:
    """The page, or None when ``before`` is no message of the room."""
    if step.before is not None and await store.get(step.room, step.before) is None:
        return None
    return await store.latest(step.room, step.limit, before=step.before, not_before=step.not_before)


async def _delete(step: core.DeleteReads, store: HistoryStore | None) -> EventOutcome:
    if store is None:
        return core.unavailable("delete", step.event_id)
    try:
        found = await store.get(step.room, step.message_id)
        refused = core.check_delete(step, found)
        if refused is not None:
            return refused
        # A retried delete finds it deleted: it is acknowledged and announced again.
        pending = found is not None and not found.deleted
        if pending and not await store.mark_deleted(step.room, step.message_id):
            return core.not_found(step)  # deleted by retention meanwhile
    except HistoryUnavailable:
        return core.unavailable("delete", step.event_id)
    return core.finish_delete(step)


async def _roster(read: RosterReader, room: str, timeout: float) -> core.Connections | None:
    """The room's connections, or None when the service failed or was too slow, whatever the error."""
    try:
        async with asyncio.timeout(timeout):
            return await asyncio.to_thread(read, room, core.ROSTER_CONNECTIONS + 1)
    except Exception:  # noqa: BLE001 - any failure of the roster is "members": null
        return None


async def _nothing() -> None:
    return None
