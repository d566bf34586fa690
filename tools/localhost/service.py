"""The Web PubSub service stand-in: client WebSockets, groups, events, actions.

Clients connect at ``/client/hubs/{hub}?access_token=...``. Each connection's
life becomes CloudEvents POSTed to the configured event handler URL (the
app's ``/runtime/webhooks/webpubsub`` or ``/api/webpubsub``), and the replies
are applied as the service applies them. Output actions from the app arrive
through ``apply_actions``.
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

from tools.localhost import cloudevents, frames, odata, tokens
from tools.localhost.cloudevents import EventContext

log = logging.getLogger("localhost.service")

MAX_FRAME_BYTES = 1024 * 1024
EVENT_TIMEOUT_SECONDS = 30


class ActionError(ValueError):
    """An output action the extension would refuse ("Not supported WebPubSubOperation")."""


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
            await self._send(conn, frames.connected(conn.id, conn.user_id))
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
            await self._deliver(conn, frames.server_message(body, reply_type), body)
        await self._ack(conn, ack_id)

    def _apply_states(self, conn: Connection, headers: Any) -> None:
        if "ce-connectionState" in headers:
            conn.states = cloudevents.decode_states(headers["ce-connectionState"])

    async def _ack(
        self, conn: Connection, ack_id: int | None, error: str | None = None, message: str = ""
    ) -> None:
        if ack_id is not None:
            await self._send(conn, frames.ack(ack_id, error, message))

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

    async def _send(self, conn: Connection, frame: dict[str, Any]) -> None:
        if conn.ws is not None and not conn.ws.closed:
            try:
                await conn.ws.send_str(json.dumps(frame))
            except ConnectionResetError:
                # A client on its way out misses the message, as with the service.
                log.debug("connection %s closed before a message reached it", conn.id)

    async def _deliver(self, conn: Connection, frame: dict[str, Any], raw: bytes | str) -> None:
        """A message to one connection: a JSON frame, or the raw data for a raw client."""
        if conn.protocol:
            return await self._send(conn, frame)
        if conn.ws is None or conn.ws.closed:
            return
        try:
            if isinstance(raw, bytes) and frame.get("dataType") == "binary":
                await conn.ws.send_bytes(raw)
            else:
                await conn.ws.send_str(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw)
        except ConnectionResetError:
            log.debug("connection %s closed before a message reached it", conn.id)

    async def _to_group(self, group: str, frame: dict[str, Any], excluded: set[str]) -> None:
        members = [c for c in self.connections.values() if group in c.groups and c.id not in excluded]
        await asyncio.gather(*(self._send(c, frame) for c in members))

    # the REST API, as much of it as the service SDK uses here

    async def rest(self, request: web.Request) -> web.StreamResponse:
        """Presence and (filtered) sends, for the app's SDK client."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        try:
            jwt.decode(token, self.key, algorithms=["HS256"], options={"verify_aud": False})
        except jwt.InvalidTokenError:
            return web.Response(status=401)
        if scheme != "Bearer":
            return web.Response(status=401)
        hub, path = request.match_info["hub"], request.match_info["path"]
        conns = [c for c in self.connections.values() if c.hub == hub]
        parts = path.split("/")
        if request.method in ("GET", "HEAD") and len(parts) == 2 and parts[0] == "users":
            return web.Response(status=200 if any(c.user_id == parts[1] for c in conns) else 404)
        if request.method == "GET" and len(parts) == 3 and parts[0] == "groups" and parts[2] == "connections":
            top = int(request.query.get("top", "100"))
            members = [{"connectionId": c.id, "userId": c.user_id} for c in conns if parts[1] in c.groups]
            return web.json_response({"value": members[:top], "nextLink": None})
        if request.method == "POST" and parts[-1] == ":send":
            return await self._rest_send(request, conns, parts[:-1])
        return web.Response(status=501, text="not supported by the local host")

    async def _rest_send(
        self, request: web.Request, conns: list[Connection], target: list[str]
    ) -> web.Response:
        media = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        data_type = next((k for k, v in cloudevents.CONTENT_TYPES.items() if v == media), None)
        if data_type is None:
            return web.Response(status=400, text="unsupported content type")
        try:
            keep = odata.compile_filter(request.query["filter"]) if "filter" in request.query else None
        except odata.FilterError as err:
            return web.Response(status=400, text=f"Invalid filter: {err}")
        body = await request.read()
        excluded = set(request.query.getall("excluded", []))
        if len(target) == 2 and target[0] == "groups":
            conns = [c for c in conns if target[1] in c.groups]
        elif len(target) == 2 and target[0] == "users":
            conns = [c for c in conns if c.user_id == target[1]]
        elif target:
            return web.Response(status=404)
        targets = [c for c in conns if c.id not in excluded and (keep is None or keep(_filter_view(c)))]
        payload: bytes | str = body if data_type == "binary" else body.decode("utf-8", "replace")
        try:
            frame = frames.server_message(payload, data_type)
        except ValueError:
            return web.Response(status=400, text="the body is not valid JSON")
        await asyncio.gather(*(self._deliver(c, frame, payload) for c in targets))
        return web.Response(status=202)

    # output actions (what the extension's REST calls do)

    async def apply_actions(self, hub: str, actions: list[dict[str, Any]]) -> None:
        """Apply actions in order, after checking all of them (ActionError if any is unsupported)."""
        parsed = [_Action(a) for a in actions]
        for action in parsed:
            await self._apply(hub, action)

    async def _apply(self, hub: str, a: _Action) -> None:
        conns = [c for c in self.connections.values() if c.hub == hub]
        excluded = set(a.get("excluded") or [])
        name = a.name
        if name.startswith("sendto"):
            data, data_type = a.payload()
            frame = frames.server_message(data, data_type)
            targets = {
                "sendtoall": [c for c in conns if c.id not in excluded],
                "sendtogroup": [c for c in conns if a.get("group") in c.groups and c.id not in excluded],
                "sendtouser": [c for c in conns if c.user_id == a.get("userId")],
                "sendtoconnection": [c for c in conns if c.id == a.get("connectionId")],
            }[name]
            await asyncio.gather(*(self._deliver(c, frame, data) for c in targets))
        elif name in ("addusertogroup", "removeuserfromgroup"):
            members = self.user_groups[(hub, a.get("userId"))]
            adding = name == "addusertogroup"
            (members.add if adding else members.discard)(a.get("group"))
            for c in conns:
                if c.user_id == a.get("userId"):
                    (c.groups.add if adding else c.groups.discard)(a.get("group"))
        elif name == "removeuserfromallgroups":
            self.user_groups.pop((hub, a.get("userId")), None)
            for c in conns:
                if c.user_id == a.get("userId"):
                    c.groups.clear()
        elif name in ("addconnectiontogroup", "removeconnectionfromgroup"):
            for c in conns:
                if c.id == a.get("connectionId"):
                    (c.groups.add if name == "addconnectiontogroup" else c.groups.discard)(a.get("group"))
        elif name.startswith("close"):
            targets = {
                "closeallconnections": [c for c in conns if c.id not in excluded],
                "closeclientconnection": [c for c in conns if c.id == a.get("connectionId")],
                "closegroupconnections": [
                    c for c in conns if a.get("group") in c.groups and c.id not in excluded
                ],
            }[name]
            reason = a.get("reason") or "closed by the server"
            for c in targets:
                await self._send(c, frames.disconnected(reason))
                if c.ws is not None:
                    await c.ws.close(code=1000, message=reason.encode()[:120])
        else:  # grantpermission / revokepermission
            permission = str(a.get("permission"))
            target = a.get("targetName")
            role = f"webpubsub.{permission}" + (f".{target}" if target else "")
            for c in conns:
                if c.id == a.get("connectionId"):
                    (c.roles.add if name == "grantpermission" else c.roles.discard)(role)


def _filter_view(conn: Connection) -> dict[str, Any]:
    """What a filter can test of a connection."""
    return {"userId": conn.user_id, "connectionId": conn.id, "protocol": conn.protocol, "groups": conn.groups}


# The operations the extension knows, lower-cased as it matches them.
_ACTIONS = frozenset(
    [
        "sendtoall",
        "sendtogroup",
        "sendtouser",
        "sendtoconnection",
        "addusertogroup",
        "removeuserfromgroup",
        "removeuserfromallgroups",
        "addconnectiontogroup",
        "removeconnectionfromgroup",
        "closeallconnections",
        "closeclientconnection",
        "closegroupconnections",
        "grantpermission",
        "revokepermission",
    ]
)


class _Action:
    """An action object read as the extension reads it: keys and names in any case."""

    def __init__(self, raw: object) -> None:
        if not isinstance(raw, dict):
            raise ActionError("an action must be a JSON object")
        self._fields = {str(k).lower(): v for k, v in raw.items()}
        name = self._fields.get("actionname")
        if not isinstance(name, str) or name.lower() not in _ACTIONS:
            raise ActionError(f"Not supported WebPubSubOperation: {name}.")
        self.name = name.lower()
        if self.name.startswith("sendto"):
            self.payload()  # checked up front, as the extension converts all actions first

    def get(self, key: str) -> Any:
        return self._fields.get(key.lower())

    def payload(self) -> tuple[bytes | str, str]:
        data_type = str(self.get("dataType") or "text").lower()
        data = self.get("data")
        if data_type == "binary":
            if isinstance(data, dict) and str(data.get("type", "")).lower() == "buffer":
                return bytes(data.get("data") or []), data_type
            raise ActionError("WebPubSubDataType is binary, please use ArrayBuffer as message data type.")
        if not isinstance(data, str):
            raise ActionError("Message should be string, please stringify object.")
        if data_type == "json":
            try:
                json.loads(data)
            except ValueError:
                raise ActionError("data is not valid JSON") from None
        elif data_type != "text":
            raise ActionError(f"unknown dataType {data_type!r}")
        return data, data_type
