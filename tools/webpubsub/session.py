"""One client connection's link to its socket: the ``Sink`` every client protocol uses.

A raw or ``json.webpubsub.azure.v1`` connection lives exactly as long as its
socket. A ``json.reliable.webpubsub.azure.v1`` connection outlives it: every
message carries a ``sequenceId`` and stays in a resend buffer until the client
acknowledges it; when the socket is lost without a close frame the connection
waits a grace period for the client to reconnect with its connection id and
reconnection token, and is then resumed on the new socket with everything
unacknowledged resent in order.

Bounds (``Limits``): past the grace period, or with more unacknowledged
messages than the buffer holds, the connection ends for good: the client
gets a ``disconnected`` frame and close code 1008 (which tells the SDKs not to
try recovery), and the event handler gets ``disconnected`` with the reason.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

from tools.webpubsub import frames
from tools.webpubsub.state import Message

log = logging.getLogger("webpubsub.session")

Kind = Literal["raw", "json", "reliable"]
# Close codes, as Microsoft's emulator uses them: 1000 when the service ends a
# connection (REST close, shutdown, grace expiry); 1008 when a reliable connection
# is dropped (full buffer, failed recovery), which tells the SDKs not to recover;
# 1003/1007 for frames that are not the protocol's; 1009 for a frame over 1 MB.
NORMAL = 1000
GONE = 1008
# How many processed ack ids a connection remembers to answer Duplicate.
REMEMBERED_ACK_IDS = 10_000


@dataclass(frozen=True)
class Limits:
    """The reliable protocol's bounds."""

    grace_seconds: float = 60.0
    # Microsoft's emulator keeps 1,000 messages or 16 MiB. The SDKs acknowledge about once a
    # second (the Python one only then), so a burst of over 1,000 messages a second to one
    # client would drop it: ten times that leaves room for load tests, and the bytes bound
    # still caps the memory.
    resend_messages: int = 10_000
    resend_bytes: int = 16 * 1024 * 1024


class Session:
    """A connection's socket (or its absence, during a reliable connection's grace period)."""

    def __init__(
        self,
        connection_id: str,
        kind: Kind,
        limits: Limits,
        on_end: Callable[[str], Awaitable[None]],
    ) -> None:
        self.connection_id = connection_id
        self.kind = kind
        self._limits = limits
        self._on_end = on_end
        self._ws: web.WebSocketResponse | None = None
        self._request: web.Request | None = None
        self._lock = asyncio.Lock()
        self._next_sequence = 1
        self._unacked: deque[tuple[int, str]] = deque()
        self._unacked_bytes = 0
        self._grace: asyncio.Task[None] | None = None
        self._acks: OrderedDict[int, None] = OrderedDict()
        self.reconnection_token: str | None = None
        self.ended = False

    # the socket

    @property
    def attached(self) -> bool:
        """Whether the connection has a socket now."""
        return self._ws is not None

    def owns(self, ws: web.WebSocketResponse) -> bool:
        """Whether ``ws`` is the connection's current socket."""
        return self._ws is ws

    async def attach(self, ws: web.WebSocketResponse, request: web.Request, user_id: str | None) -> None:
        """Put the connection on ``ws``: send ``connected``, then resend what is unacknowledged."""
        async with self._lock:
            old_request = self._request
            self._ws, self._request = ws, request
            if self._grace is not None:
                self._grace.cancel()
                self._grace = None
            # The client may come back before we notice its old socket is gone: drop that one.
            _abort(old_request)
            if self.kind == "raw":
                return
            if self.kind == "reliable":
                self.reconnection_token = secrets.token_urlsafe(24)
            await self._send(
                frames.dumps(frames.connected(self.connection_id, user_id, self.reconnection_token))
            )
            for _, text in list(self._unacked):
                await self._send(text)

    def token_matches(self, token: str) -> bool:
        """Whether ``token`` is the reconnection token last issued (compared in constant time)."""
        expected = self.reconnection_token
        return expected is not None and hmac.compare_digest(expected.encode(), token.encode())

    async def detached(
        self, ws: web.WebSocketResponse, reason: str, recoverable: bool, code: int = NORMAL
    ) -> None:
        """``ws`` ended; a reliable connection lost without a close frame waits for its client."""
        if not self.owns(ws) or self.ended:
            return
        self._ws = self._request = None
        if recoverable and self.kind == "reliable":
            log.info(
                "connection %s lost its socket; waiting %.0f s for it to reconnect",
                self.connection_id,
                self._limits.grace_seconds,
            )
            self._grace = asyncio.get_running_loop().create_task(self._expire())
            return
        await self.end(reason, code)

    async def _expire(self) -> None:
        await asyncio.sleep(self._limits.grace_seconds)
        self._grace = None
        await self.end(f"the client did not reconnect within {self._limits.grace_seconds:g} s")

    def cut(self) -> None:
        """Drop the socket without a close frame, as a network failure would (for tests and soak runs)."""
        _abort(self._request)

    # Sink

    async def deliver(self, message: Message) -> None:
        """Send ``message`` to the client; a reliable connection keeps it until acknowledged."""
        if self.ended:
            return
        overflow = False
        async with self._lock:
            if self.kind == "raw":
                if message.data_type == "binary":
                    await self._send(message.data)
                else:
                    await self._send(message.data.decode("utf-8", "replace"))
                return
            if self.kind == "json":
                await self._send(frames.dumps(frames.message(message)))
                return
            sequence_id = self._next_sequence
            self._next_sequence += 1
            text = frames.dumps(frames.message(message, sequence_id))
            self._unacked.append((sequence_id, text))
            self._unacked_bytes += len(text)
            if (
                len(self._unacked) > self._limits.resend_messages
                or self._unacked_bytes > self._limits.resend_bytes
            ):
                overflow = True
            else:
                await self._send(text)
        if overflow:
            await self.end(
                f"the reliable message buffer is full: more than {self._limits.resend_messages} messages "
                f"or {self._limits.resend_bytes} bytes were not acknowledged",
                GONE,
            )

    async def close(self, reason: str) -> None:
        """End the connection for good, telling the client ``reason``."""
        await self.end(reason, NORMAL)

    # protocol helpers

    async def send_frame(self, frame: dict[str, Any]) -> None:
        """An unsequenced frame (ack, pong): lost with the socket, as the protocol allows."""
        async with self._lock:
            await self._send(frames.dumps(frame))

    def acknowledge(self, sequence_id: int) -> None:
        """The client has every message up to ``sequence_id``."""
        while self._unacked and self._unacked[0][0] <= sequence_id:
            _, text = self._unacked.popleft()
            self._unacked_bytes -= len(text)

    def processed(self, ack_id: int) -> bool:
        """Whether a request with ``ack_id`` already succeeded on this connection."""
        return ack_id in self._acks

    def remember(self, ack_id: int) -> None:
        """Record a request that succeeded, so that its ackId answers ``Duplicate`` from now on."""
        self._acks[ack_id] = None
        if len(self._acks) > REMEMBERED_ACK_IDS:
            self._acks.popitem(last=False)

    async def end(self, reason: str, code: int = NORMAL) -> None:
        """End the connection once: tell the client, close its socket (``code``), report ``disconnected``."""
        if self.ended:
            return
        self.ended = True
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
        ws, self._ws, self._request = self._ws, None, None
        if ws is not None and not ws.closed:
            try:
                if self.kind != "raw":
                    await ws.send_str(frames.dumps(frames.disconnected(reason)))
                await ws.close(code=code, message=_close_message(reason))
            except (ConnectionError, RuntimeError):
                log.debug("connection %s was already gone when it ended", self.connection_id)
        self._unacked.clear()
        await self._on_end(reason)

    async def _send(self, data: str | bytes) -> None:
        ws = self._ws
        if ws is None or ws.closed:
            return
        try:
            if isinstance(data, bytes):
                await ws.send_bytes(data)
            else:
                await ws.send_str(data)
        except (ConnectionError, RuntimeError):
            # The socket is going; a reliable connection still holds the message for its return.
            log.debug("connection %s: socket gone before a frame reached it", self.connection_id)


def _close_message(reason: str) -> bytes:
    """A close frame's reason: at most 123 bytes of UTF-8, cut on a character boundary."""
    return reason.encode()[:123].decode("utf-8", "ignore").encode()


def _abort(request: web.Request | None) -> None:
    transport = request.transport if request is not None else None
    if transport is not None:
        transport.abort()
