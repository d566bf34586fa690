"""One socket's outbound queue, and the task that writes it out.

Deliveries put frames in the queue and never wait for the socket; the
writer task sends them in order. A write that does not complete within
``write_timeout`` (the client stopped reading and the kernel's buffers are
full) is reported to the owner through ``on_stalled``, which decides how to
close. Closing is the writer's job too: after the queue (or at once, dropping
it), each step bounded by ``write_timeout``, and a socket whose client never
takes its close frame is cut one more ``write_timeout`` later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import NamedTuple

from aiohttp import web

log = logging.getLogger("webpubsub.outbox")


class _Close(NamedTuple):
    code: int
    reason: str
    farewell: str | None


class Outbox:
    """Frames on their way to one socket, written by a task of their own."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        request: web.Request,
        write_timeout: float,
        on_stalled: Callable[[Outbox], Awaitable[None]],
    ) -> None:
        self._ws = ws
        self._request = request
        self._timeout = write_timeout
        self._on_stalled = on_stalled
        self._frames: deque[str | bytes] = deque()
        self.bytes = 0
        self._wake = asyncio.Event()
        self._close: _Close | None = None
        # One watchdog timer per stretch of writing, not one per frame: the
        # writer notes when its current write began, the watchdog checks.
        self._loop = asyncio.get_running_loop()
        self._write_began: float | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._stalled = False
        self._task = self._loop.create_task(self._run())

    @property
    def pending(self) -> int:
        """How many frames wait to be written."""
        return len(self._frames)

    @property
    def blocked(self) -> bool:
        """Whether a write is waiting for the client to read (its socket's buffers are full)."""
        return self._write_began is not None

    def put(self, data: str | bytes) -> None:
        """Queue a frame (ignored once closing)."""
        if self._close is not None:
            return
        self._frames.append(data)
        self.bytes += len(data)
        self._wake.set()

    def close(self, code: int, reason: str, farewell: str | None = None, *, flush: bool = True) -> None:
        """Close the socket with ``code``: after the queued frames, or at once when not ``flush``.

        ``farewell`` is a last frame written just before the close frame.
        """
        if self._close is not None:
            return
        if not flush:
            self._drop()
        self._close = _Close(code, reason, farewell)
        self._wake.set()

    def stop(self) -> None:
        """Stop writing (the socket is gone or no longer the connection's)."""
        self._cancel_watchdog()
        self._task.cancel()

    def abort(self) -> None:
        """Stop writing and cut the socket without a close frame."""
        self.stop()
        _abort(self._request)

    async def finished(self) -> None:
        """Wait until the writer has ended (it always does, in bounded time once closing)."""
        await asyncio.wait({self._task})

    def _drop(self) -> None:
        self._frames.clear()
        self.bytes = 0

    async def _run(self) -> None:
        try:
            while True:
                if not self._frames:
                    if self._close is not None:
                        break
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                data = self._frames.popleft()
                self.bytes -= len(data)
                if not await self._write(data):
                    self._drop()
                    if self._close is None:
                        await self._on_stalled(self)
                    if self._close is None:  # the owner chose not to close: nothing more can be written
                        _abort(self._request)
                        return
            await self._shut(self._close)
        except (ConnectionError, RuntimeError):
            # The socket is going; its reader sees that and tells the owner.
            log.debug("a socket went away with frames still to write")
        finally:
            self._cancel_watchdog()

    async def _write(self, data: str | bytes) -> bool:
        """Write one frame; False when it did not complete within the timeout."""
        self._write_began = self._loop.time()
        if self._watchdog is None:
            self._watchdog = self._loop.call_at(self._write_began + self._timeout, self._watch)
        try:
            if isinstance(data, bytes):
                await self._ws.send_bytes(data)
            else:
                await self._ws.send_str(data)
        except asyncio.CancelledError:
            if not self._stalled:
                raise
            self._stalled = False
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            return False
        finally:
            self._write_began = None
        return True

    def _watch(self) -> None:
        self._watchdog = None
        began = self._write_began
        if began is None:
            return
        due = began + self._timeout
        if self._loop.time() >= due:
            self._stalled = True
            self._task.cancel()
        else:
            self._watchdog = self._loop.call_at(due, self._watch)

    def _cancel_watchdog(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    async def _shut(self, close: _Close) -> None:
        ws = self._ws
        taken = True
        if close.farewell is not None and not ws.closed:
            taken = await self._bounded(ws.send_str(close.farewell))
        taken = await self._bounded(ws.close(code=close.code, message=_close_message(close.reason))) and taken
        if not taken:
            # The close frame waits behind what the client has not read: a
            # client that reads again soon still sees it; then the socket is cut.
            await asyncio.sleep(self._timeout)
            _abort(self._request)

    async def _bounded(self, step: Awaitable[object]) -> bool:
        """Run a closing step for at most the timeout; False when it did not complete."""
        try:
            async with asyncio.timeout(self._timeout):
                await step
        except TimeoutError:
            return False
        except (ConnectionError, RuntimeError):
            return True
        return True


def _close_message(reason: str) -> bytes:
    """A close frame's reason: at most 123 bytes of UTF-8, cut on a character boundary."""
    return reason.encode()[:123].decode("utf-8", "ignore").encode()


def _abort(request: web.Request | None) -> None:
    transport = request.transport if request is not None else None
    if transport is not None:
        with contextlib.suppress(RuntimeError):
            transport.abort()
