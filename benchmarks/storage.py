"""Chat history for a benchmark's loop: a fresh Azurite, or none, and the app's ``ChatStorage`` setting.

``chat_storage(True)`` starts Azurite's table service on a free port with its
data in a temporary folder and yields its connection string; ``chat_storage(False)``
yields "" (history off). Either way the setting is the benchmark's own: the
example settings' Azurite (port 10002) is never used, nor left behind.

A loop in this process (``tools.loop``) runs the app of ``function_app``,
whose settings are read once per process: ``in_process_app(storage)`` sets
``ChatStorage`` and makes the app read it again, and ``close_app_store()``
closes the app's Table Storage client on the event loop that opened it.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from composition import HISTORY_CONNECTION
from tools import azurite


@asynccontextmanager
async def chat_storage(on: bool) -> AsyncIterator[str]:
    """The ``ChatStorage`` setting: a fresh Azurite's connection string when ``on``, else ""."""
    if not on:
        yield ""
        return
    with tempfile.TemporaryDirectory(prefix="bench-azurite-") as folder:
        running = await azurite.start(azurite.free_port(), Path(folder))
        try:
            yield running.connection_string
        finally:
            await asyncio.to_thread(running.stop)


@contextmanager
def in_process_app(storage: str) -> Iterator[None]:
    """``ChatStorage`` = ``storage`` for the app in this process, restored afterwards."""
    import function_app

    before = os.environ.get(HISTORY_CONNECTION)
    os.environ[HISTORY_CONNECTION] = storage
    function_app.root.reset()
    try:
        yield
    finally:
        if before is None:
            del os.environ[HISTORY_CONNECTION]
        else:
            os.environ[HISTORY_CONNECTION] = before
        function_app.root.reset()


async def close_app_store() -> None:
    """Close the in-process app's history store, if it opened one (its client is bound to this loop)."""
    import function_app

    store = function_app.root.history_store()
    if store is not None:
        await store.close()
