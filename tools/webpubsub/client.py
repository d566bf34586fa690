"""The client endpoint, ``/client/hubs/{hub}``: handshake, ``connect``, frames, ``disconnected``.

The handshake checks the client token (``access_token`` in the query or
``Authorization: Bearer``) and sends the ``connect`` event before upgrading,
so a refused connect is the handshake's HTTP status. A reliable client that
comes back with ``awps_connection_id`` and ``awps_reconnection_token`` resumes
its connection instead (no token, no ``connect``).

Protocol choice: the connect reply's ``subprotocol`` when the client offered
it; else the first built-in protocol the client offered; else raw WebSocket.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

import aiohttp
import jwt
from aiohttp import web

from tools.webpubsub import events, frames, permissions, strict_json, tokens
from tools.webpubsub.events import Context, EventSender
from tools.webpubsub.outbox import Outbox
from tools.webpubsub.session import GONE, NORMAL, Kind, Limits, Session
from tools.webpubsub.state import Connection, DataType, Message, Service

log = logging.getLogger("webpubsub.client")

MAX_FRAME_BYTES = 1024 * 1024
# Close codes for frames that are not the protocol's (as the emulator sends them).
UNSUPPORTED_DATA = 1003
INVALID_PAYLOAD = 1007
# WebSocket pings from the service find dead sockets (the JSON ping/pong is the client's).
HEARTBEAT_SECONDS = 30.0
HUB_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_`,.\[\]]{0,127}$")
# Request headers the connect event does not carry: credentials.
PRIVATE_HEADERS = frozenset({"authorization", "cookie"})


@dataclass(frozen=True)
class _Accepted:
    """What the connect step decided."""

    user_id: str | None
    roles: set[str]
    groups: set[str]
    states: dict[str, object]
    subprotocol: str | None
    kind: Kind


@dataclass
class ClientEndpoint:
    """Serves client WebSockets for every hub of one service."""

    service: Service
    sender: EventSender
    endpoint: str
    access_key: str = field(repr=False)
    limits: Limits = field(default_factory=Limits)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """``GET /client/hubs/{hub}``: a new connection, or a reliable one resuming."""
        hub = request.match_info["hub"]
        if not HUB_NAME.match(hub):
            return web.Response(status=400, text="invalid hub name")
        offered = [
            p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()
        ]
        if "awps_connection_id" in request.query:
            return await self._resume(request, hub, offered)
        token = request.query.get("access_token") or _bearer(request.headers.get("Authorization", ""))
        if not token:
            return web.Response(
                status=401,
                text="no access token: give access_token in the query or an Authorization: Bearer header",
            )
        try:
            identity = tokens.verify_client_token(self.access_key, self.endpoint, hub, token)
        except jwt.InvalidTokenError as err:
            return web.Response(status=401, text=f"invalid access token: {_why(err)}")
        connection_id = secrets.token_urlsafe(16)
        outcome = await self._connect(request, hub, connection_id, identity, token, offered)
        if isinstance(outcome, web.Response):
            return outcome
        session = Session(
            connection_id, outcome.kind, self.limits, lambda reason: self._ended(hub, connection_id, reason)
        )
        conn = Connection(
            id=connection_id,
            hub=hub,
            user_id=outcome.user_id,
            sink=session,
            protocol=outcome.subprotocol,
            roles=outcome.roles,
            groups=outcome.groups,
        )
        ws = web.WebSocketResponse(
            protocols=(outcome.subprotocol,) if outcome.subprotocol else (),
            # aiohttp refuses a message of exactly max_msg_size: allow 1 MB itself.
            max_msg_size=MAX_FRAME_BYTES + 1,
            heartbeat=HEARTBEAT_SECONDS,
            # The service offers no permessage-deflate; deflating every frame
            # was also the delivery path's largest cost in the soak's profile.
            compress=False,
        )
        await ws.prepare(request)
        self.service.add(conn)
        self.service.set_states(conn, outcome.states)
        outbox = session.attach(ws, request, conn.user_id)
        log.info(
            "connection %s opened on hub %s (%s)", connection_id, hub, outcome.subprotocol or "raw WebSocket"
        )
        await self.sender.send(self._context(conn), "system", "connected", b"{}", "application/json")
        await self._serve(ws, conn, session, outbox)
        return ws

    async def _resume(self, request: web.Request, hub: str, offered: list[str]) -> web.StreamResponse:
        """A reliable client back with its connection id and reconnection token."""
        connection_id = request.query.get("awps_connection_id", "")
        conn = self.service.connection(hub, connection_id)
        session = conn.sink if conn is not None else None
        valid = (
            isinstance(session, Session)
            and not session.ended
            and session.token_matches(request.query.get("awps_reconnection_token", ""))
        )
        protocol = frames.RELIABLE if frames.RELIABLE in offered else None
        ws = web.WebSocketResponse(
            protocols=(protocol,) if protocol else (),
            max_msg_size=MAX_FRAME_BYTES + 1,
            heartbeat=HEARTBEAT_SECONDS,
            # The service offers no permessage-deflate; deflating every frame
            # was also the delivery path's largest cost in the soak's profile.
            compress=False,
        )
        await ws.prepare(request)
        if not valid or conn is None or not isinstance(session, Session):
            # Upgraded, then closed with 1008: the SDKs stop recovering and start a new connection.
            reason = "The connection could not be recovered."
            await ws.send_str(frames.dumps(frames.disconnected(reason)))
            await ws.close(code=GONE, message=reason.encode())
            return ws
        log.info("connection %s resumed on hub %s", connection_id, hub)
        outbox = session.attach(ws, request, conn.user_id)
        await self._serve(ws, conn, session, outbox)
        return ws

    async def _connect(
        self,
        request: web.Request,
        hub: str,
        connection_id: str,
        identity: tokens.Identity,
        token: str,
        offered: list[str],
    ) -> _Accepted | web.Response:
        """Send ``connect`` (when a handler takes it) and apply its reply."""
        accepted = _Accepted(
            user_id=identity.user_id,
            roles=set(identity.roles),
            groups=set(identity.groups),
            states={},
            subprotocol=None,
            kind="raw",
        )
        reply: Mapping[str, object] = {}
        if self.sender.takes(hub, "system", "connect"):
            query = {k: request.query.getall(k) for k in request.query if k != "access_token"}
            headers: dict[str, list[str]] = {}
            for name, value in request.headers.items():
                if name.lower() not in PRIVATE_HEADERS:
                    headers.setdefault(name, []).append(value)
            body = events.connect_body(_claims(token), query, headers, offered)
            ctx = Context(hub, connection_id, identity.user_id)
            answer = await self.sender.send(ctx, "system", "connect", body, "application/json")
            if not answer.ok:
                status = answer.status if answer.status in (400, 401, 403) else 500
                text = (
                    answer.body.decode("utf-8", "replace")[:1024]
                    or "the connect event handler refused the connection"
                )
                return web.Response(status=status, text=text)
            try:
                reply = _reply(answer.body)
                if "ce-connectionState" in answer.headers:
                    accepted.states.update(events.decode_states(answer.headers["ce-connectionState"]))
            except ValueError as err:
                log.warning("connect reply for %s is not usable: %s", connection_id, err)
                return web.Response(status=500, text="the connect event handler's reply is not usable")
        user_id = reply.get("userId", identity.user_id)
        roles = reply.get("roles")
        groups = reply.get("groups")
        chosen = reply.get("subprotocol")
        if isinstance(chosen, str) and chosen and chosen not in offered:
            log.warning("connect reply chose subprotocol %r the client did not offer; ignored", chosen[:64])
            chosen = None
        if not isinstance(chosen, str) or not chosen:
            chosen = next((p for p in offered if p in frames.BUILT_IN), None)
        kind: Kind = "reliable" if chosen == frames.RELIABLE else "json" if chosen == frames.JSON else "raw"
        # A reply's userId and roles replace the token's; its groups add to the token's.
        return _Accepted(
            user_id=user_id if isinstance(user_id, str) and user_id else None,
            roles=set(_strings(roles)) if isinstance(roles, list) else accepted.roles,
            groups=accepted.groups | set(_strings(groups)),
            states=accepted.states,
            subprotocol=chosen,
            kind=kind,
        )

    async def _serve(
        self, ws: web.WebSocketResponse, conn: Connection, session: Session, outbox: Outbox
    ) -> None:
        """Read the socket until it ends, then end the connection, or suspend a reliable one.

        Only a client's normal close (1000) ends a reliable connection; a socket
        lost, or closed with another code, can be resumed within the grace period.
        Returns once the socket's writer is done with it (aiohttp would close it otherwise).
        """
        close_code: int | None = None
        too_big = False
        try:
            while True:
                msg = await ws.receive()
                if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    handled = (
                        await self._raw(conn, session, msg.data)
                        if session.kind == "raw"
                        else await self._frame(conn, session, msg.data)
                    )
                    if not handled:
                        return
                    continue
                if msg.type == aiohttp.WSMsgType.CLOSE:
                    close_code = msg.data
                if msg.type == aiohttp.WSMsgType.ERROR and isinstance(msg.data, aiohttp.WebSocketError):
                    too_big = msg.data.code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
                break
        finally:
            if too_big:
                reason = f"The client message is too large (over {MAX_FRAME_BYTES} bytes)."
                await session.detached(ws, reason, recoverable=False)
            elif close_code == NORMAL:
                await session.detached(ws, "the client closed the connection", recoverable=False)
            elif close_code is None:
                await session.detached(ws, "the connection was lost", recoverable=True)
            else:
                reason = f"the client closed the connection with code {close_code}"
                await session.detached(ws, reason, recoverable=True)
            await outbox.finished()

    async def _raw(self, conn: Connection, session: Session, data: str | bytes) -> bool:
        """A raw client's frame: the user event ``message``; False when it ended the connection."""
        if not self.sender.takes(conn.hub, "user", "message"):
            # Nothing would ever hear this client: the emulator closes it too.
            await session.end("no event handler takes the message event")
            return False
        body, data_type = (data.encode(), "text") if isinstance(data, str) else (data, "binary")
        answer = await self.sender.send(
            self._context(conn), "user", "message", body, events.CONTENT_TYPES[data_type]
        )
        if answer.ok:
            try:
                await self._reply_to(conn, answer)
            except ValueError:
                log.warning("connection %s: the handler's connection state is not usable", conn.id)
        return True

    async def _frame(self, conn: Connection, session: Session, data: str | bytes) -> bool:
        """One JSON frame; False when it ended the connection."""
        if isinstance(data, bytes):
            await session.end("The JSON subprotocol requires text messages.", UNSUPPORTED_DATA)
            return False
        try:
            request = frames.parse(data)
        except frames.BadFrame as err:
            log.warning("connection %s sent an invalid message (%s); closing it", conn.id, err)
            await session.end("The client message is not a valid JSON protocol message.", INVALID_PAYLOAD)
            return False
        if request.type == "ping":
            await session.send_frame(frames.PONG)
            return True
        if request.type == "sequenceAck":
            if request.sequence_id is not None:
                session.acknowledge(request.sequence_id)
            return True
        ack_id = request.ack_id
        if ack_id is not None and session.processed(ack_id):
            await session.send_frame(
                frames.ack(ack_id, "Duplicate", f"Message with ack-id: {ack_id} has been processed")
            )
            return True
        error = await self._request(conn, request)
        if ack_id is None:
            # Without an ackId the client is not told, as with the emulator; the log says it.
            if error is not None:
                log.info("connection %s: %s failed without an ackId: %s", conn.id, request.type, error[1])
            return True
        if error is None:
            session.remember(ack_id)
            await session.send_frame(frames.ack(ack_id))
        else:
            await session.send_frame(frames.ack(ack_id, *error))
        return True

    async def _request(self, conn: Connection, request: frames.Request) -> tuple[str, str] | None:
        """Carry out a request; the ack error's name and message when it fails."""
        group = request.group or ""
        if request.type in ("joinGroup", "leaveGroup"):
            if not permissions.allowed(conn, "joinLeaveGroup", group):
                return "Forbidden", f"no permission to join or leave group {group[:128]!r}"
            if request.type == "joinGroup":
                self.service.join(conn, group)
            else:
                self.service.leave(conn, group)
            return None
        if request.type == "sendToGroup":
            if not permissions.allowed(conn, "sendToGroup", group):
                return "Forbidden", f"no permission to send to group {group[:128]!r}"
            targets = [
                c for c in self.service.in_group(conn.hub, group) if not (request.no_echo and c is conn)
            ]
            message = Message(request.data, request.data_type, group=group, from_user_id=conn.user_id)
            await self.service.send(targets, message)
            return None
        name = request.event or ""
        if not self.sender.takes(conn.hub, "user", name):
            # A user event expects a handler: with none it fails, as in the emulator.
            return "InternalServerError", f"no event handler takes the event {name[:128]!r}"
        answer = await self.sender.send(
            self._context(conn), "user", name, request.data, events.CONTENT_TYPES[request.data_type]
        )
        if not answer.ok:
            # As the service does: the handler's own error text is not forwarded.
            return "InternalServerError", "the event handler failed"
        try:
            await self._reply_to(conn, answer)
        except ValueError:
            return "InternalServerError", "the event handler's connection state is not usable"
        return None

    async def _reply_to(self, conn: Connection, answer: events.Answer) -> None:
        """Apply a user event's reply: its states, and its body as a message to the sender."""
        if "ce-connectionState" in answer.headers:
            self.service.set_states(conn, events.decode_states(answer.headers["ce-connectionState"]))
        if answer.body:
            data_type: DataType = events.data_type_of(answer.headers.get("Content-Type", ""))  # type: ignore[assignment]
            await self.service.send([conn], Message(answer.body, data_type))

    async def _ended(self, hub: str, connection_id: str, reason: str) -> None:
        """A connection ended for good: forget it, and send ``disconnected`` once."""
        conn = self.service.remove(hub, connection_id)
        if conn is None:
            return
        log.info("connection %s closed: %s", connection_id, reason)
        body = json.dumps({"reason": reason}).encode()
        task = asyncio.get_running_loop().create_task(
            self._send_quietly(self._context(conn), "disconnected", body)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_quietly(self, ctx: Context, name: str, body: bytes) -> None:
        await self.sender.send(ctx, "system", name, body, "application/json")

    async def close(self) -> None:
        """End every connection (their ``disconnected`` events go out) and wait for those events."""
        await asyncio.gather(
            *(c.sink.close("the service is stopping") for c in self.service.all_connections()),
            return_exceptions=True,
        )
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=events.EVENT_TIMEOUT_SECONDS)

    @staticmethod
    def _context(conn: Connection) -> Context:
        return Context(conn.hub, conn.id, conn.user_id, dict(conn.states), conn.protocol)


def _claims(token: str) -> dict[str, list[str]]:
    """A verified token's claims as the connect event carries them: each a list of strings."""
    claims = jwt.decode(token, options={"verify_signature": False})
    out: dict[str, list[str]] = {}
    for name, value in claims.items():
        values = value if isinstance(value, list) else [value]
        out[name] = [v if isinstance(v, str) else json.dumps(v) for v in values]
    return out


def _bearer(header: str) -> str:
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _why(err: jwt.InvalidTokenError) -> str:
    """Why a token was refused, in words that hold no part of it."""
    if isinstance(err, jwt.ExpiredSignatureError):
        return "it has expired"
    if isinstance(err, jwt.ImmatureSignatureError):
        return "it is not valid yet"
    if isinstance(err, jwt.MissingRequiredClaimError):
        return f"it has no expiry ({err.claim})" if err.claim == "exp" else f"it has no {err.claim!r} claim"
    if isinstance(err, jwt.InvalidAudienceError):
        return "it was issued for another hub or service (check the hub and the endpoint)"
    if isinstance(err, jwt.InvalidSignatureError):
        return "its signature does not match this service's access key"
    if isinstance(err, jwt.DecodeError):
        return "it is not a JWT"
    return "it cannot be verified"


def _reply(body: bytes) -> Mapping[str, object]:
    if not body.strip():
        return {}
    reply = strict_json.loads(body)
    if not isinstance(reply, dict):
        raise ValueError("the reply is not a JSON object")
    return reply


def _strings(values: object) -> list[str]:
    """The strings of a JSON list (nothing for anything else)."""
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []
