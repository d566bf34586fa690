"""The part of the service's REST API the app's SDK client uses: presence and
sends (with an optional filter) to all, a group or a user."""

from __future__ import annotations

import asyncio
from typing import Any

import jwt
from aiohttp import web

from tools.localhost import cloudevents, frames, odata
from tools.localhost.service import Connection, Service


async def handle(service: Service, request: web.Request) -> web.StreamResponse:
    """Presence and (filtered) sends, for the app's SDK client."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    try:
        if scheme != "Bearer":
            raise jwt.InvalidTokenError("not a bearer token")
        jwt.decode(token, service.key, algorithms=["HS256"], options={"verify_aud": False})
    except jwt.InvalidTokenError:
        return web.Response(status=401)
    hub, path = request.match_info["hub"], request.match_info["path"]
    conns = service.connections_of(hub)
    parts = path.split("/")
    if request.method in ("GET", "HEAD") and len(parts) == 2 and parts[0] == "users":
        return web.Response(status=200 if any(c.user_id == parts[1] for c in conns) else 404)
    if request.method == "GET" and len(parts) == 3 and parts[0] == "groups" and parts[2] == "connections":
        top = int(request.query.get("top", "100"))
        members = [{"connectionId": c.id, "userId": c.user_id} for c in conns if parts[1] in c.groups]
        return web.json_response({"value": members[:top], "nextLink": None})
    if request.method == "POST" and parts[-1] == ":send":
        return await _send(service, request, conns, parts[:-1])
    return web.Response(status=501, text="not supported by the local host")


async def _send(
    service: Service, request: web.Request, conns: list[Connection], target: list[str]
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
    await asyncio.gather(*(service.deliver(c, frame, payload) for c in targets))
    return web.Response(status=202)


def _filter_view(conn: Connection) -> dict[str, Any]:
    """What a filter can test of a connection."""
    return {"userId": conn.user_id, "connectionId": conn.id, "protocol": conn.protocol, "groups": conn.groups}
