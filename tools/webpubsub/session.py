"""One client connection's link to its socket: the ``Sink`` every client protocol uses.

A raw or ``json.webpubsub.azure.v1`` connection lives exactly as long as its
socket. A ``json.reliable.webpubsub.azure.v1`` connection outlives it: every
message carries a ``sequenceId`` and stays in a resend buffer until the client
acknowledges it; when the socket is lost without a close frame the connection
waits a grace period for the client to reconnect with its connection id and
reconnection token, and is then resumed on the new socket with everything
unacknowledged resent in order.

Frames reach the socket through an ``Outbox``: a bounded queue drained by a
task of the connection's own, so a delivery never waits for the client and a
client that stops reading holds up nobody else.

Bounds (``Limits``): past the grace period, or with more unacknowledged
messages than the buffer holds, the connection ends for good: the client
gets a ``disconnected`` frame and close code 1008 (which tells the SDKs not to
try recovery), and the event handler gets ``disconnected`` with the reason.
A client that does not take a frame within ``write_timeout``, or lets its
outbound queue fill, reads too slowly: a raw or json connection ends as with a
full buffer (1008); a reliable one's socket is closed with 1013 and the
connection waits its grace period for the client to resume.
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
from tools.webpubsub.outbox import Outbox
from tools.webpubsub.state import Message

log = logging.getLogger("webpubsub.session")

Kind = Literal["raw", "json", "reliable"]
# Close codes, as Microsoft's emulator uses them: 1000 when the service ends a
# connection (REST close, shutdown, grace expiry); 1008 when a reliable connection
# is dropped (full buffer, failed recovery), which tells the SDKs not to recover;
# 1003/1007 for frames that are not the protocol's; 1009 for a frame over 1 MB.
NORMAL = 1000
GONE = 1008
# A reliable connection whose client reads too slowly loses its socket with
# 1013 (Try Again Later): Microsoft's client SDKs recover a reliable connection
# after any close code but 1008 (@azure/web-pubsub-client 1.1.0,
# dist/esm/webPubSubClient.js, _handleConnectionClose; azure-messaging-webpubsubclient
# 1.1.0, azure/messaging/webpubsubclient/aio/_client.py, on_close).
SLOW = 1013
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
    # Frames waiting for the socket (a reliable connection's also wait in its
    # resend buffer, whose bounds then come first): the same bounds.
    outbound_messages: int = 10_000
    outbound_bytes: int = 16 * 1024 * 1024
    # How long one write may wait for the client to read before it counts as too slow.
    write_timeout: float = 10.0


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
        self._outbox: Outbox | None = None
        self._next_sequence = 1
        self._unacked: deque[tuple[int, str]] = deque()
        self._unacked_bytes = 0
        self._grace: asyncio.Task[None] | None = None
        self._lost_because: str | None = None
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

    def attach(self, ws: web.WebSocketResponse, request: web.Request, user_id: str | None) -> Outbox:
        """Put the connection on ``ws``: queue ``connected``, then what is unacknowledged.

        Returns the socket's outbox; its writer ends in bounded time once the socket closes.
        """
        if self._outbox is not None:
            # The client may come back before we notice its old socket is gone: drop that one.
            self._outbox.abort()
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
        self._lost_because = None
        self._ws = ws
        outbox = Outbox(ws, request, self._limits.write_timeout, self._stalled)
        self._outbox = outbox
        if self.kind == "raw":
            return outbox
        if self.kind == "reliable":
            self.reconnection_token = secrets.token_urlsafe(24)
        outbox.put(frames.dumps(frames.connected(self.connection_id, user_id, self.reconnection_token)))
        for _, text in self._unacked:
            outbox.put(text)
        return outbox

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
        if recoverable and self.kind == "reliable":
            self._suspend()
            return
        await self.end(reason, code)

    def _suspend(self, why: str | None = None) -> None:
        """Let the socket go and wait the grace period; ``why`` it was closed, if the service closed it."""
        outbox = self._outbox
        self._ws = self._outbox = None
        self._lost_because = why
        if outbox is not None:
            if why is None:
                outbox.stop()
            else:
                outbox.close(SLOW, why, flush=False)
        log.info(
            "connection %s lost its socket%s; waiting %.0f s for it to reconnect",
            self.connection_id,
            f" (closed with {SLOW}: {why})" if why else "",
            self._limits.grace_seconds,
        )
        self._grace = asyncio.get_running_loop().create_task(self._expire())

    async def _expire(self) -> None:
        await asyncio.sleep(self._limits.grace_seconds)
        self._grace = None
        reason = f"the client did not reconnect within {self._limits.grace_seconds:g} s"
        if self._lost_because:
            reason += f" after its socket was closed: {self._lost_because}"
        await self.end(reason)

    def cut(self) -> None:
        """Drop the socket without a close frame, as a network failure would (for tests and soak runs)."""
        if self._outbox is not None:
            self._outbox.abort()

    # Sink

    async def deliver(self, message: Message) -> None:
        """Queue ``message`` for the client (never waiting for it); a reliable connection keeps it
        until acknowledged."""
        if self.ended:
            return
        if self.kind == "raw":
            if message.data_type == "binary":
                await self._push(message.data)
            else:
                await self._push(message.data.decode("utf-8", "replace"))
            return
        if self.kind == "json":
            await self._push(frames.message_text(message))
            return
        sequence_id = self._next_sequence
        self._next_sequence += 1
        text = frames.message_text(message, sequence_id)
        self._unacked.append((sequence_id, text))
        self._unacked_bytes += len(text)
        limits = self._limits
        if len(self._unacked) <= limits.resend_messages and self._unacked_bytes <= limits.resend_bytes:
            await self._push(text)
            return
        bounds = f"more than {limits.resend_messages} messages or {limits.resend_bytes} bytes"
        if self._outbox is not None and self._outbox.blocked:
            # The socket takes nothing more: the client is not reading, and may yet come back.
            await self._too_slow(
                f"the reliable message buffer is full while the client is not reading: {bounds}"
            )
            return
        await self.end(f"the reliable message buffer is full: {bounds} were not acknowledged", GONE)

    async def close(self, reason: str) -> None:
        """End the connection for good, telling the client ``reason``."""
        await self.end(reason, NORMAL)

    # protocol helpers

    async def send_frame(self, frame: dict[str, Any]) -> None:
        """An unsequenced frame (ack, pong): lost with the socket, as the protocol allows."""
        await self._push(frames.dumps(frame))

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

    async def end(self, reason: str, code: int = NORMAL, *, flush: bool = True) -> None:
        """End the connection once: report ``disconnected`` now; the socket gets what is queued
        (unless not ``flush``), a ``disconnected`` frame and a close with ``code``, without anyone waiting."""
        if self.ended:
            return
        self.ended = True
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
        outbox, self._outbox, self._ws = self._outbox, None, None
        if outbox is not None:
            farewell = None if self.kind == "raw" else frames.dumps(frames.disconnected(reason))
            outbox.close(code, reason, farewell, flush=flush)
        self._unacked.clear()
        self._unacked_bytes = 0
        await self._on_end(reason)

    # the outbound queue

    async def _push(self, data: str | bytes) -> None:
        outbox = self._outbox
        if outbox is None:
            # No socket: a reliable connection holds its messages for its return; others lose them.
            return
        limits = self._limits
        if outbox.pending >= limits.outbound_messages or outbox.bytes + len(data) > limits.outbound_bytes:
            await self._too_slow(
                f"the outbound queue is full: more than {limits.outbound_messages} messages "
                f"or {limits.outbound_bytes} bytes wait for the client"
            )
            return
        outbox.put(data)

    async def _stalled(self, outbox: Outbox) -> None:
        """``outbox``'s writer waited too long for the client to read."""
        if outbox is not self._outbox:
            outbox.close(GONE, "the socket was replaced", flush=False)
            return
        await self._too_slow(
            f"the client did not take a message within {self._limits.write_timeout:g} s: it reads too slowly"
        )

    async def _too_slow(self, why: str) -> None:
        """Close a client that reads too slowly: a reliable one may resume, others end."""
        log.warning("connection %s: %s", self.connection_id, why)
        if self.kind == "reliable":
            self._suspend(why)
        else:
            await self.end(why, GONE, flush=False)
