"""The data-plane REST API (spec ``2024-12-01``) over a ``Service``.

``add_routes`` serves all 25 operations under ``/api/``. The path is split on
the wire form (``raw_path``) so an escaped ``/`` inside a group name or an id
stays part of it. Each call is authenticated (``auth``), its parameters
checked (``rest_params``), then carried out through ``Service`` methods only.
Success codes are the ones the SDKs insist on: 202 for sends, 200 for PUTs and
POSTs that answer a body, 204 for DELETEs and closes, 200/404 for HEAD checks.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlencode

from aiohttp import web
from multidict import MultiMapping

from tools.webpubsub import odata, rest_params
from tools.webpubsub.auth import Authorizer, Unauthorized
from tools.webpubsub.rest_params import ApiError, bad_request
from tools.webpubsub.state import Connection, Permission, Service
from tools.webpubsub.tokens import issue_client_token

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Call:
    """One authenticated request: its path parameters (decoded), query and request."""

    request: web.Request
    params: dict[str, str]
    query: MultiMapping[str]

    @property
    def hub(self) -> str:
        return self.params["hub"]


Handler = Callable[["RestApi", Call], Awaitable[web.StreamResponse]]


def add_routes(app: web.Application, service: Service, endpoint: str, access_key: str) -> None:
    """Serve the REST API under ``/api/`` for ``service``; tokens are checked with ``access_key``.

    ``endpoint`` is the service's address as the connection string spells it;
    client tokens from ``:generateToken`` are issued for it.
    """
    api = RestApi(service, endpoint, access_key)
    app.router.add_route("*", "/api/{tail:.*}", api.handle)


class RestApi:
    """Routes, authentication and the operations themselves."""

    def __init__(self, service: Service, endpoint: str, access_key: str) -> None:
        self.service = service
        self.endpoint = endpoint.rstrip("/")
        self._key = access_key
        self._authorize = Authorizer(access_key)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Dispatch one request under ``/api/``; every failure becomes an ``ErrorDetail`` answer."""
        try:
            response = await self._dispatch(request)
        except ApiError as err:
            response = _error(err, request.method)
        except web.HTTPRequestEntityTooLarge as err:
            # aiohttp refuses bodies over the application's client_max_size.
            response = _error(
                ApiError(413, "RequestEntityTooLarge", err.text or "the body is too large"), request.method
            )
        # Never the Authorization header; the path and query carry no secrets.
        _log.debug("REST %s %s -> %d", request.method, request.path_qs, response.status)
        return response

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        segments = [unquote(s) for s in request.raw_path.split("?", 1)[0].split("/")[2:]]
        if segments == ["health"] and request.method in ("GET", "HEAD"):
            return web.Response(status=200)
        handler, params, allowed = _match(request.method, segments)
        if segments == ["health"]:
            allowed = ["GET", "HEAD"]
        if handler is None:
            if allowed:
                raise ApiError(
                    405,
                    "MethodNotAllowed",
                    f"{request.method} is not allowed here; use {', '.join(allowed)}",
                    headers={"Allow": ", ".join(allowed)},
                )
            raise ApiError(404, "NotFound", f"no operation at {request.path}")
        try:
            # The audience is this service's own URL for the path: never the Host header the caller
            # sent, or a token for any host would pass with that host named in the request.
            self._authorize(request.headers.get("Authorization"), self.endpoint + request.raw_path)
        except Unauthorized as err:
            raise ApiError(401, "Unauthorized", str(err)) from None
        query = request.query
        rest_params.api_version(query)
        checked = {name: _check_param(name, value) for name, value in params.items()}
        return await handler(self, Call(request, checked, query))

    # sends

    async def send_to_all(self, call: Call) -> web.StreamResponse:
        return await self._send(call, self.service.connections(call.hub), excluding=True)

    async def send_to_group(self, call: Call) -> web.StreamResponse:
        return await self._send(call, self.service.in_group(call.hub, call.params["group"]), excluding=True)

    async def send_to_user(self, call: Call) -> web.StreamResponse:
        return await self._send(call, self.service.of_user(call.hub, call.params["userId"]), excluding=False)

    async def send_to_connection(self, call: Call) -> web.StreamResponse:
        conn = self.service.connection(call.hub, call.params["connectionId"])
        return await self._send(call, [conn] if conn else [], excluding=False, filtering=False)

    async def _send(
        self, call: Call, candidates: list[Connection], *, excluding: bool, filtering: bool = True
    ) -> web.StreamResponse:
        # The TTL is checked as the spec states; delivery is immediate here, so nothing expires.
        rest_params.integer(call.query, "messageTtlSeconds", 0, rest_params.TTL_MAX_SECONDS)
        keep = _filter(call.query) if filtering else None
        skip = rest_params.excluded(call.query) if excluding else set()
        message = await rest_params.message(call.request)
        targets = [c for c in candidates if c.id not in skip and (keep is None or keep(_subject(c)))]
        await self.service.send(targets, message)
        return web.Response(status=202)

    # closing connections

    async def close_all(self, call: Call) -> web.StreamResponse:
        return await self._close(call, self.service.connections(call.hub))

    async def close_group(self, call: Call) -> web.StreamResponse:
        return await self._close(call, self.service.in_group(call.hub, call.params["group"]))

    async def close_user(self, call: Call) -> web.StreamResponse:
        return await self._close(call, self.service.of_user(call.hub, call.params["userId"]))

    async def close_connection(self, call: Call) -> web.StreamResponse:
        conn = self.service.connection(call.hub, call.params["connectionId"])
        await self.service.close([conn] if conn else [], call.query.get("reason", ""))
        return web.Response(status=204)

    async def _close(self, call: Call, candidates: list[Connection]) -> web.StreamResponse:
        skip = rest_params.excluded(call.query)
        await self.service.close([c for c in candidates if c.id not in skip], call.query.get("reason", ""))
        return web.Response(status=204)

    # existence checks

    async def connection_exists(self, call: Call) -> web.StreamResponse:
        return _found(self.service.connection(call.hub, call.params["connectionId"]) is not None)

    async def group_exists(self, call: Call) -> web.StreamResponse:
        return _found(self.service.group_exists(call.hub, call.params["group"]))

    async def user_exists(self, call: Call) -> web.StreamResponse:
        return _found(self.service.user_exists(call.hub, call.params["userId"]))

    # groups

    async def add_connection_to_group(self, call: Call) -> web.StreamResponse:
        self.service.join(self._connection(call), call.params["group"])
        return web.Response(status=200)

    async def remove_connection_from_group(self, call: Call) -> web.StreamResponse:
        conn = self.service.connection(call.hub, call.params["connectionId"])
        if conn is not None:
            self.service.leave(conn, call.params["group"])
        return web.Response(status=204)

    async def remove_connection_from_all_groups(self, call: Call) -> web.StreamResponse:
        conn = self.service.connection(call.hub, call.params["connectionId"])
        if conn is not None:
            self.service.leave_all(conn)
        return web.Response(status=204)

    async def add_user_to_group(self, call: Call) -> web.StreamResponse:
        self.service.add_user_to_group(call.hub, call.params["userId"], call.params["group"])
        return web.Response(status=200)

    async def remove_user_from_group(self, call: Call) -> web.StreamResponse:
        self.service.remove_user_from_group(call.hub, call.params["userId"], call.params["group"])
        return web.Response(status=204)

    async def remove_user_from_all_groups(self, call: Call) -> web.StreamResponse:
        self.service.remove_user_from_all_groups(call.hub, call.params["userId"])
        return web.Response(status=204)

    async def add_to_groups(self, call: Call) -> web.StreamResponse:
        for conn, group in await self._filtered_groups(call):
            self.service.join(conn, group)
        return web.Response(status=200)

    async def remove_from_groups(self, call: Call) -> web.StreamResponse:
        for conn, group in await self._filtered_groups(call):
            self.service.leave(conn, group)
        return web.Response(status=200)

    async def _filtered_groups(self, call: Call) -> list[tuple[Connection, str]]:
        groups, text = rest_params.groups_body(await call.request.read())
        keep = _compile(text) if text else None
        conns = [c for c in self.service.connections(call.hub) if keep is None or keep(_subject(c))]
        return [(conn, group) for conn in conns for group in groups]

    async def list_connections(self, call: Call) -> web.StreamResponse:
        page_size = rest_params.integer(call.query, "maxpagesize", 1, rest_params.PAGE_SIZE_MAX)
        top = rest_params.integer(call.query, "top", 1, None)
        after = rest_params.resume_after(call.query.get("continuationToken"))
        members = sorted(self.service.in_group(call.hub, call.params["group"]), key=lambda c: c.id)
        remaining = [c for c in members if after is None or c.id > after]
        limit = min(page_size or rest_params.PAGE_SIZE_MAX, top or rest_params.PAGE_SIZE_MAX)
        page, rest = remaining[:limit], remaining[limit:]
        left = None if top is None else top - len(page)
        body: dict[str, object] = {"value": [_member(c) for c in page]}
        if page and rest and (left is None or left > 0):
            body["nextLink"] = _next_link(call, page[-1].id, page_size, left)
        return web.json_response(body)

    # permissions

    async def grant_permission(self, call: Call) -> web.StreamResponse:
        perm, target = _permission(call)
        self.service.grant(self._connection(call), perm, target)
        return web.Response(status=200)

    async def revoke_permission(self, call: Call) -> web.StreamResponse:
        perm, target = _permission(call)
        conn = self.service.connection(call.hub, call.params["connectionId"])
        if conn is not None:
            self.service.revoke(conn, perm, target)
        return web.Response(status=204)

    async def has_permission(self, call: Call) -> web.StreamResponse:
        perm, target = _permission(call)
        conn = self.service.connection(call.hub, call.params["connectionId"])
        return _found(conn is not None and self.service.has_permission(conn, perm, target))

    # client tokens

    async def generate_token(self, call: Call) -> web.StreamResponse:
        client_type = call.query.get("clientType", "Default")
        if client_type.lower() != "default":
            raise bad_request("clientType", f"{client_type!r} clients are not supported here; use Default")
        minutes = (
            rest_params.integer(call.query, "minutesToExpire", 1, rest_params.MINUTES_TO_EXPIRE_MAX) or 60
        )
        groups = tuple(rest_params.group(g) for g in call.query.getall("group", []))
        token = issue_client_token(
            self._key,
            self.endpoint,
            call.hub,
            call.query.get("userId") or None,
            roles=tuple(call.query.getall("role", [])),
            groups=groups,
            lifetime_seconds=minutes * 60,
        )
        return web.json_response({"token": token})

    def _connection(self, call: Call) -> Connection:
        conn = self.service.connection(call.hub, call.params["connectionId"])
        if conn is None:
            raise ApiError(404, "NotFound", "the connection does not exist", "connectionId")
        return conn


_ROUTES: list[tuple[str, tuple[str, ...], Handler]] = [
    ("POST", ("hubs", "{hub}", ":send"), RestApi.send_to_all),
    ("POST", ("hubs", "{hub}", ":closeConnections"), RestApi.close_all),
    ("POST", ("hubs", "{hub}", ":generateToken"), RestApi.generate_token),
    ("POST", ("hubs", "{hub}", ":addToGroups"), RestApi.add_to_groups),
    ("POST", ("hubs", "{hub}", ":removeFromGroups"), RestApi.remove_from_groups),
    ("HEAD", ("hubs", "{hub}", "connections", "{connectionId}"), RestApi.connection_exists),
    ("DELETE", ("hubs", "{hub}", "connections", "{connectionId}"), RestApi.close_connection),
    ("POST", ("hubs", "{hub}", "connections", "{connectionId}", ":send"), RestApi.send_to_connection),
    (
        "DELETE",
        ("hubs", "{hub}", "connections", "{connectionId}", "groups"),
        RestApi.remove_connection_from_all_groups,
    ),
    ("HEAD", ("hubs", "{hub}", "groups", "{group}"), RestApi.group_exists),
    ("POST", ("hubs", "{hub}", "groups", "{group}", ":send"), RestApi.send_to_group),
    ("POST", ("hubs", "{hub}", "groups", "{group}", ":closeConnections"), RestApi.close_group),
    ("GET", ("hubs", "{hub}", "groups", "{group}", "connections"), RestApi.list_connections),
    (
        "PUT",
        ("hubs", "{hub}", "groups", "{group}", "connections", "{connectionId}"),
        RestApi.add_connection_to_group,
    ),
    (
        "DELETE",
        ("hubs", "{hub}", "groups", "{group}", "connections", "{connectionId}"),
        RestApi.remove_connection_from_group,
    ),
    ("HEAD", ("hubs", "{hub}", "users", "{userId}"), RestApi.user_exists),
    ("POST", ("hubs", "{hub}", "users", "{userId}", ":send"), RestApi.send_to_user),
    ("POST", ("hubs", "{hub}", "users", "{userId}", ":closeConnections"), RestApi.close_user),
    ("DELETE", ("hubs", "{hub}", "users", "{userId}", "groups"), RestApi.remove_user_from_all_groups),
    ("PUT", ("hubs", "{hub}", "users", "{userId}", "groups", "{group}"), RestApi.add_user_to_group),
    ("DELETE", ("hubs", "{hub}", "users", "{userId}", "groups", "{group}"), RestApi.remove_user_from_group),
    (
        "PUT",
        ("hubs", "{hub}", "permissions", "{permission}", "connections", "{connectionId}"),
        RestApi.grant_permission,
    ),
    (
        "DELETE",
        ("hubs", "{hub}", "permissions", "{permission}", "connections", "{connectionId}"),
        RestApi.revoke_permission,
    ),
    (
        "HEAD",
        ("hubs", "{hub}", "permissions", "{permission}", "connections", "{connectionId}"),
        RestApi.has_permission,
    ),
]


def _match(method: str, segments: list[str]) -> tuple[Handler | None, dict[str, str], list[str]]:
    """The handler for ``method`` on ``segments``, its path parameters, and the methods the path allows."""
    allowed: list[str] = []
    for route_method, pattern, handler in _ROUTES:
        params = _bind(pattern, segments)
        if params is None:
            continue
        if route_method == method:
            return handler, params, allowed
        allowed.append(route_method)
    return None, {}, allowed


def _bind(pattern: tuple[str, ...], segments: list[str]) -> dict[str, str] | None:
    if len(pattern) != len(segments):
        return None
    params: dict[str, str] = {}
    for part, segment in zip(pattern, segments, strict=True):
        if part.startswith("{"):
            params[part[1:-1]] = segment
        elif part != segment:
            return None
    return params


def _check_param(name: str, value: str) -> str:
    if name == "hub":
        return rest_params.hub(value)
    if name == "group":
        return rest_params.group(value)
    if name == "permission":
        return rest_params.permission(value)
    return rest_params.identifier(value, name)


def _filter(query: MultiMapping[str]) -> odata.Predicate | None:
    text = query.get("filter")
    return _compile(text) if text is not None else None


def _compile(text: str) -> odata.Predicate:
    try:
        return odata.compile_filter(text)
    except odata.FilterError as err:
        raise bad_request("filter", str(err)) from None


def _subject(conn: Connection) -> odata.Subject:
    return odata.Subject(
        user_id=conn.user_id, connection_id=conn.id, protocol=conn.protocol, groups=conn.groups
    )


def _found(exists: bool) -> web.Response:
    if exists:
        return web.Response(status=200)
    return _error(ApiError(404, "NotFound", "not found"), "HEAD")


def _permission(call: Call) -> tuple[Permission, str | None]:
    target = call.query.get("targetName")
    return rest_params.permission(call.params["permission"]), (
        rest_params.group(target, "targetName") if target is not None else None
    )


def _member(conn: Connection) -> dict[str, str]:
    member = {"connectionId": conn.id}
    if conn.user_id:
        member["userId"] = conn.user_id
    return member


def _next_link(call: Call, last_id: str, page_size: int | None, left: int | None) -> str:
    """A relative link to the next page; both SDKs resolve it against their endpoint."""
    query: list[tuple[str, str]] = []
    if page_size is not None:
        query.append(("maxpagesize", str(page_size)))
    if left is not None:
        query.append(("top", str(left)))
    query.append(("continuationToken", rest_params.continuation_token(last_id)))
    query.append(("api-version", rest_params.api_version(call.query)))
    path = "/".join(quote(p, safe="") for p in ("", "api", "hubs", call.hub, "groups", call.params["group"]))
    return f"{path}/connections?{urlencode(query)}"


def _error(err: ApiError, method: str) -> web.Response:
    headers = {**err.headers, "x-ms-error-code": err.code}
    if err.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if method == "HEAD":
        return web.Response(status=err.status, headers=headers)
    return web.json_response(err.body(), status=err.status, headers=headers)


def routes() -> Iterable[tuple[str, str]]:
    """Each operation's method and path template (for documentation and tests)."""
    yield ("HEAD", "/api/health")
    for method, pattern, _ in _ROUTES:
        yield method, "/api/" + "/".join(pattern)
