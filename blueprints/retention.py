"""The daily purge of chat history older than ``ChatHistoryDays``.

A timer trigger (03:30 UTC every day) that calls ``chat.shell.purge_expired``
with the store and the time; it does nothing when history is off or keeps
everything (``ChatHistoryDays=0``). Serving never waits for it: reads skip
older messages already (``chat.history.retention_cutoff``).
"""

from __future__ import annotations

import logging

import azure.functions as func

from composition import Dependencies

SCHEDULE = "0 30 3 * * *"
"""NCRONTAB with seconds: 03:30:00 every day (UTC unless WEBSITE_TIME_ZONE says otherwise)."""

log = logging.getLogger(__name__)


def blueprint(root: Dependencies) -> func.Blueprint:
    """The retention function, purging ``root``'s store by ``root``'s settings and clock."""
    bp = func.Blueprint()

    @bp.function_name("retention")
    @bp.timer_trigger(arg_name="timer", schedule=SCHEDULE, run_on_startup=False, use_monitor=True)
    async def retention(timer: func.TimerRequest) -> None:
        from chat.shell import purge_expired

        store = root.history_store()
        if store is None:
            return
        deleted = await purge_expired(store, root.now(), root.settings().history_days)
        log.info(
            "chat history retention: %d messages older than %d days deleted",
            deleted,
            root.settings().history_days,
        )

    return bp
