"""The Web PubSub service stand-in: client WebSockets, groups, events, actions.

Clients connect at ``/client/hubs/{hub}?access_token=...``. Each connection's
life becomes CloudEvents POSTed to the configured event handler URL (the
app's ``/runtime/webhooks/webpubsub`` or ``/api/webpubsub``), and the replies
are applied as the service applies them. The app's output actions
(``actions``) and SDK calls (``rest``) act on it through ``deliver`` and
its connections.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import jwt
from aiohttp import web

from tools.localhost import cloudevents, frames, tokens
from tools.localhost.cloudevents import EventContext

log = logging.getLogger("localhost.service")

MAX_FRAME_BYTES = 1024 * 1024
EVENT_TIMEOUT_SECONDS = 30


@dataclass(eq=False)
class Connection:
    id: str
    hub: str
    user_id: str | None
    roles: set[str]
    states: dict[str, Any]
    protocol: str | None
    ws: web.WebSocketResponse | None = None
    groups: set[str] = field(default_factory=set)

    def context(self) -> EventContext:
        return EventContext(self.hub, self.id, self.user_id, dict(self.states))

    def may(self, permission: str, group: str) -> bool:
        return f"webpubsub.{permission}" in self.roles or f"webpubsub.{permission}.{group}" in self.roles


class Service:
    def __init__(self, endpoint: str, access_key: str, handler_url: str) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.key = access_key
        self.handler_url = handler_url
        self.origin = urlsplit(self.endpoint).hostname or "localhost"
        self.connections: dict[str, Connection] = {}
        self.user_groups: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._session: aiohttp.ClientSession | None = None
        self._validated = False
        self._in_flight = 0

    def audience(self, hub: str) -> str:
        return f"{self.endpoint}/client/hubs/{hub}"

    def client_url(self, hub: str) -> str:
        return self.audience(hub).replace("http", "ws", 1)

    async def close(self) -> None:
        """Close every client (their disconnected events still go out), then the event client."""
        for conn in list(self.connections.values()):
            if conn.ws is not None:
                await conn.ws.close(code=1001, message=b"service stopping")
        async with asyncio.timeout(EVENT_TIMEOUT_SECONDS):
            while self.connections or self._in_flight:
                await asyncio.sleep(0.01)
        if self._session is not None:
            await self._session.close()

    # client side

    async def client(self, request: web.Request) -> web.StreamResponse:
        hub = request.match_info["hub"]
        try:
            identity = tokens.verify(self.key, self.audience(hub), request.query.get("access_token", ""))
        except jwt.InvalidTokenError:
            return web.Response(status=401, text="invalid access token")
        offered = [
            p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()
        ]
        conn = Connection(
            id=uuid.uuid4().hex[:22],
            hub=hub,
            user_id=identity.user_id,
            roles=set(identity.roles),
            states={},
            protocol=frames.PROTOCOL if frames.PROTOCOL in offered else None,
        )
        status, body = await self._connect(conn, request, identity, offered)
        if status != 200:
            # The service answers a rejected connect before the upgrade.
            return web.Response(status=status, text=body)
        ws = web.WebSocketResponse(
            protocols=(conn.protocol,) if conn.protocol else (), max_msg_size=MAX_FRAME_BYTES, heartbeat=30
        )
        await ws.prepare(request)
        conn.ws = ws
        self.connections[conn.id] = conn
        for group in identity.groups:
            conn.groups.add(group)
        if conn.user_id:
            for group in self.user_groups[(hub, conn.user_id)]:
                conn.groups.add(group)
        if conn.protocol:
            await self.send_frame(conn, frames.connected(conn.id, conn.user_id))
        await self._event(conn, "system", "connected", b"{}", "application/json")
        reason = "client closed"
        try:
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    await self._frame(conn, msg.data.encode(), text=True)
                elif msg.type == aiohttp.WSMsgType.BINARY:
                    await self._frame(conn, msg.data, text=False)
                elif msg.type == aiohttp.WSMsgType.ERROR:
                    reason = f"connection error: {ws.exception()}"
        finally:
            self.connections.pop(conn.id, None)
            if ws.close_code == 1009:
                reason = f"frame larger than {MAX_FRAME_BYTES} bytes"
            await self._event(
                conn, "system", "disconnected", json.dumps({"reason": reason}).encode(), "application/json"
            )
        return ws

    async def _connect(
        self, conn: Connection, request: web.Request, identity: tokens.Identity, offered: list[str]
    ) -> tuple[int, str]:
        claims: dict[str, list[str]] = {}
        if identity.user_id:
            claims["sub"] = [identity.user_id]
        if identity.roles:
            claims["role"] = list(identity.roles)
        query = {k: request.query.getall(k) for k in request.query if k != "access_token"}
        headers = {k: [v] for k, v in request.headers.items() if k.lower() not in ("authorization", "cookie")}
        body = {
            "claims": claims,
            "query": query,
            "headers": headers,
            "subprotocols": offered,
            "clientCertificates": [],
        }
        status, reply_headers, raw = await self._post(
            conn, "system", "connect", json.dumps(body).encode(), "application/json"
        )
        if status != 200:
            return status, raw.decode("utf-8", "replace")
        try:
            self._apply_states(conn, reply_headers)
            reply = json.loads(raw) if raw.strip() else {}
            if not isinstance(reply, dict):
                raise ValueError("connect reply is not a JSON object")
        except ValueError as err:
            log.warning("bad connect reply: %s", err)
            return 500, "bad connect reply"
        if "userId" in reply:
            conn.user_id = reply["userId"] or None
        if isinstance(reply.get("roles"), list):
            conn.roles = set(reply["roles"])
        if isinstance(reply.get("groups"), list) and reply["groups"]:
            conn.groups = set(reply["groups"])
        chosen = reply.get("subprotocol")
        if chosen:
            conn.protocol = chosen if chosen == frames.PROTOCOL and chosen in offered else None
        return 200, ""

    async def _frame(self, conn: Connection, data: bytes, *, text: bool) -> None:
        if conn.protocol is None:
            # A raw client's frames are the user event "message".
            await self._user_event(conn, "message", data, "text" if text else "binary", None)
            return
        try:
            frame = json.loads(data)
            if not isinstance(frame, dict):
                raise ValueError("a frame must be a JSON object")
        except ValueError:
            log.info("connection %s sent a malformed frame", conn.id)
            return
        ack_id = frame.get("ackId") if isinstance(frame.get("ackId"), int) else None
        kind = frame.get("type")
        group = frame.get("group")
        if kind in ("joinGroup", "leaveGroup", "sendToGroup"):
            permission = "sendToGroup" if kind == "sendToGroup" else "joinLeaveGroup"
            if not isinstance(group, str) or not group:
                return await self._ack(conn, ack_id, "InvalidGroup", "group is required")
            if not conn.may(permission, group):
                return await self._ack(conn, ack_id, "Forbidden", f"no permission to {kind} {group!r}")
            if kind == "joinGroup":
                conn.groups.add(group)
            elif kind == "leaveGroup":
                conn.groups.discard(group)
            else:
                try:
                    payload, data_type = frames.decode_data(frame)
                except ValueError as err:
                    return await self._ack(conn, ack_id, "InvalidData", str(err))
                excluded = {conn.id} if frame.get("noEcho") else set()
                await self._to_group(
                    group, frames.group_message(group, conn.user_id, payload, data_type), excluded
                )
            return await self._ack(conn, ack_id)
        if kind == "event":
            name = frame.get("event")
            try:
                payload, data_type = frames.decode_data(frame)
            except ValueError as err:
                return await self._ack(conn, ack_id, "InvalidData", str(err))
            if not isinstance(name, str) or not name:
                return await self._ack(conn, ack_id, "InvalidData", "event is required")
            await self._user_event(conn, name, payload, data_type, ack_id)

    async def _user_event(
        self, conn: Connection, name: str, data: bytes, data_type: str, ack_id: int | None
    ) -> None:
        status, headers, body = await self._post(
            conn, "user", name, data, cloudevents.CONTENT_TYPES[data_type]
        )
        if status != 200:
            # As the service does: the handler's error text is not forwarded.
            return await self._ack(conn, ack_id, "InternalServerError", "the event handler failed")
        try:
            self._apply_states(conn, headers)
        except ValueError:
            return await self._ack(conn, ack_id, "InternalServerError", "bad connection state")
        if body:
            media = headers.get("Content-Type", "application/octet-stream").split(";")[0].strip().lower()
            reply_type = next((k for k, v in cloudevents.CONTENT_TYPES.items() if v == media), "binary")
            await self.deliver(conn, frames.server_message(body, reply_type), body)
        await self._ack(conn, ack_id)

    def _apply_states(self, conn: Connection, headers: Any) -> None:
        if "ce-connectionState" in headers:
            conn.states = cloudevents.decode_states(headers["ce-connectionState"])

    async def _ack(
        self, conn: Connection, ack_id: int | None, error: str | None = None, message: str = ""
    ) -> None:
        if ack_id is not None:
            await self.send_frame(conn, frames.ack(ack_id, error, message))

    # event handler side

    async def _event(
        self, conn: Connection, event_type: str, name: str, body: bytes, content_type: str
    ) -> None:
        status, _, _ = await self._post(conn, event_type, name, body, content_type)
        if status != 200:
            log.warning("%s event for %s got %s", name, conn.id, status)

    async def _post(
        self, conn: Connection, event_type: str, name: str, body: bytes, content_type: str
    ) -> tuple[int, Any, bytes]:
        session = await self._client()
        try:
            if not self._validated:
                await self._validate(session)
        except (aiohttp.ClientError, TimeoutError, RuntimeError) as err:
            log.warning("event handler failed validation: %s", err)
            return 502, {}, b""
        headers = cloudevents.event_headers(
            self.key, self.origin, conn.context(), event_type, name, content_type
        )
        self._in_flight += 1
        try:
            async with session.post(self.handler_url, data=body, headers=headers) as response:
                return response.status, response.headers, await response.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            log.warning("event handler unreachable: %s", err)
            return 502, {}, b""
        finally:
            self._in_flight -= 1

    async def _validate(self, session: aiohttp.ClientSession) -> None:
        """The abuse-protection check the service makes before its first event."""
        async with session.options(
            self.handler_url, headers={"WebHook-Request-Origin": self.origin}
        ) as response:
            allowed = response.headers.get("WebHook-Allowed-Origin", "")
            if response.status != 200 or allowed not in ("*", self.origin):
                raise RuntimeError(f"event handler validation failed ({response.status})")
        self._validated = True

    async def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=EVENT_TIMEOUT_SECONDS))
        return self._session

    # delivery

    async def send_frame(self, conn: Connection, frame: dict[str, Any]) -> None:
        if conn.ws is not None and not conn.ws.closed:
            try:
                await conn.ws.send_str(json.dumps(frame))
            except ConnectionResetError:
                # A client on its way out misses the message, as with the service.
                log.debug("connection %s closed before a message reached it", conn.id)

    async def deliver(self, conn: Connection, frame: dict[str, Any], raw: bytes | str) -> None:
        """A message to one connection: a JSON frame, or the raw data for a raw client."""
        if conn.protocol:
            return await self.send_frame(conn, frame)
        if conn.ws is None or conn.ws.closed:
            return
        try:
            if isinstance(raw, bytes) and frame.get("dataType") == "binary":
                await conn.ws.send_bytes(raw)
            else:
                await conn.ws.send_str(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw)
        except ConnectionResetError:
            log.debug("connection %s closed before a message reached it", conn.id)

    def connections_of(self, hub: str) -> list[Connection]:
        return [c for c in self.connections.values() if c.hub == hub]

    async def _to_group(self, group: str, frame: dict[str, Any], excluded: set[str]) -> None:
        members = [c for c in self.connections.values() if group in c.groups and c.id not in excluded]
        await asyncio.gather(*(self.send_frame(c, frame) for c in members))
