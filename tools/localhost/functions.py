"""The Functions host stand-in: HTTP routes, the Web PubSub extension's
bindings and its ``/runtime/webhooks/webpubsub`` endpoint, over the real
Python worker."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from azure.core.exceptions import AzureError

from tools.localhost import actions, cloudevents
from tools.localhost.actions import ActionError
from tools.localhost.cloudevents import BadEvent
from tools.localhost.extension import Extension
from tools.worker.harness import Invocation, Worker

log = logging.getLogger("localhost.functions")

DEFAULT_CONNECTION = "WebPubSubConnectionString"
_EXPRESSION = re.compile(r"\{(headers|query)\.([^}]+)\}")
_ERRORS = {"unauthorized": 401, "usererror": 400, "servererror": 500}


def resolve(value: str, env: Mapping[str, str]) -> str:
    """Resolve ``%setting%`` references as the host's name resolver does."""

    def setting(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise KeyError(f"'%{name}%' does not resolve to a value.")
        return env[name]

    return re.sub(r"%([^%]+)%", setting, value)


def _web_context(
    status: int,
    *,
    request: dict[str, Any] | None = None,
    headers: dict[str, list[str]] | None = None,
    error: str | None = None,
    preflight: bool = False,
) -> dict[str, Any]:
    """The context object, shaped as the extension serializes it."""
    return {
        "request": request,
        "response": {"status": status, "body": error, "headers": headers or {}},
        "errorMessage": error,
        "hasError": error is not None,
        "isPreflight": preflight,
    }


class MissingValue(LookupError):
    """A binding expression names a header or query value the request lacks."""


@dataclass(frozen=True)
class Route:
    function: str
    methods: frozenset[str]
    pattern: re.Pattern[str]


def route_pattern(template: str) -> re.Pattern[str]:
    """A regex for a route template with ``{name}`` and optional ``{name?}`` segments."""
    regex = ""
    for i, segment in enumerate(template.strip("/").split("/")):
        slash = "/" if i else ""
        optional = re.fullmatch(r"\{(\w+)\?\}", segment)
        required = re.fullmatch(r"\{(\w+)\}", segment)
        if optional:
            regex += f"(?:{slash}(?P<{optional.group(1)}>[^/]+))?"
        elif required:
            regex += f"{slash}(?P<{required.group(1)}>[^/]+)"
        else:
            regex += slash + re.escape(segment)
    return re.compile(f"^{regex}/?$", re.IGNORECASE)


class FunctionsHost:
    def __init__(self, worker: Worker, extension: Extension, env: Mapping[str, str] = os.environ) -> None:
        self.worker = worker
        self.extension = extension
        self.env = env
        self.routes: list[Route] = []
        self.triggers: dict[tuple[str, str, str], str] = {}
        for name in worker.functions:
            for b in worker.raw_bindings(name):
                if b["type"] == "httpTrigger":
                    methods = frozenset(m.upper() for m in b.get("methods") or ["GET", "POST"])
                    self.routes.append(Route(name, methods, route_pattern(b.get("route") or name)))
                elif b["type"] == "webPubSubTrigger":
                    key = (
                        resolve(b.get("hub", ""), env).lower(),
                        b["eventType"].lower(),
                        b["eventName"].lower(),
                    )
                    self.triggers[key] = name

    # HTTP functions

    async def http(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["tail"]
        for route in self.routes:
            match = route.pattern.match(path)
            if match and request.method in route.methods:
                params = {k: v for k, v in match.groupdict().items() if v is not None}
                return await self._invoke_http(route.function, request, params)
        return web.Response(status=404)

    async def _invoke_http(
        self, name: str, request: web.Request, params: dict[str, str]
    ) -> web.StreamResponse:
        body = await request.read()
        headers = {k: ", ".join(request.headers.getall(k)) for k in request.headers}
        inputs: dict[str, Any] = {}
        for b in self.worker.raw_bindings(name):
            if b["direction"] != "IN":
                continue
            if b["type"] == "httpTrigger":
                inputs[b["name"]] = self.worker.http(
                    request.method,
                    str(request.url),
                    headers=headers,
                    body=body,
                    params=params,
                    query=dict(request.query),
                )
            elif b["type"] == "webPubSubConnection":
                try:
                    inputs[b["name"]] = self.worker.json(self._connection_info(b, request))
                except MissingValue as err:
                    # The host fails the invocation before Python runs.
                    return web.Response(
                        status=500, text=f"Error while accessing '{err}': property doesn't exist"
                    )
            elif b["type"] == "webPubSubContext":
                inputs[b["name"]] = self.worker.json(
                    json.dumps(self._context(b, request.method, request.headers, body))
                )
            else:
                return web.Response(status=500, text=f"the local host has no {b['type']} binding")
        result = await self.worker.invoke(name, inputs)
        if not await self._send_outputs(name, result):
            return web.Response(status=500)
        assert result.http is not None
        return web.Response(status=result.http.status, body=result.http.body, headers=result.http.headers)

    def _connection_info(self, binding: dict[str, Any], request: web.Request) -> str:
        hub = resolve(binding.get("hub") or "%WebPubSubHub%", self.env)

        def value(match: re.Match[str]) -> str:
            source = request.headers if match.group(1) == "headers" else request.query
            if match.group(2) not in source:
                raise MissingValue(match.group(2))
            return source[match.group(2)]

        user_id = _EXPRESSION.sub(value, binding.get("userId") or "") or None
        return json.dumps(self.extension.connection_info(hub, user_id))

    def _context(
        self, binding: dict[str, Any], method: str, headers: Mapping[str, str], body: bytes
    ) -> dict[str, Any]:
        """The ``webPubSubContext`` value the extension builds for an HTTP request."""
        if method in ("OPTIONS", "GET") and "WebHook-Request-Origin" in headers:
            if self.extension.allows_origin(headers["WebHook-Request-Origin"]):
                return _web_context(200, preflight=True, headers={"WebHook-Allowed-Origin": ["*"]})
            return _web_context(400, preflight=True, error="origin not allowed")
        keys = self._keys(binding)
        try:
            event = cloudevents.read_event(headers, body)
            if not any(cloudevents.signature_valid(k, headers) for k in keys):
                raise BadEvent(401, "Signature validation failed.")
        except BadEvent as err:
            return _web_context(err.status, error=str(err))
        return _web_context(200, request=event)

    async def _send_outputs(self, name: str, result: Invocation) -> bool:
        """Apply the function's webPubSub outputs; False when the invocation failed."""
        if not result.ok:
            log.error("function %s failed: %s", name, result.error)
            return False
        for b in self.worker.raw_bindings(name):
            if b["type"] != "webPubSub" or b["name"] not in result.outputs:
                continue
            try:
                parsed = actions.parse(result.outputs[b["name"]])
                client = self.extension.client(resolve(b.get("hub") or "%WebPubSubHub%", self.env))
                for action in parsed:
                    await actions.perform(client, action)
            except ActionError as err:
                log.error("function %s output refused: %s", name, err)
                return False
            except AzureError as err:
                log.error("function %s output failed at the service: %s", name, err.message)
                return False
        return True

    def _keys(self, binding: dict[str, Any]) -> list[str | None]:
        """The access keys a binding checks signatures with (None: no key, no check)."""
        return [self.extension.key_of(c) for c in binding.get("connections") or [DEFAULT_CONNECTION]]

    # the extension's trigger endpoint

    async def trigger_webhook(self, request: web.Request) -> web.StreamResponse:
        if request.method in ("OPTIONS", "GET"):
            if self.extension.allows_origin(request.headers.get("WebHook-Request-Origin", "")):
                return web.Response(headers={"WebHook-Allowed-Origin": "*"})
            return web.Response(status=400)
        body = await request.read()
        try:
            event = cloudevents.read_event(request.headers, body)
        except BadEvent as err:
            return web.Response(status=err.status, text=str(err))
        ctx = event["connectionContext"]
        name = self.triggers.get((ctx["hub"].lower(), ctx["eventType"].lower(), ctx["eventName"].lower()))
        if name is None:
            return web.Response(status=404)
        trigger = next(b for b in self.worker.raw_bindings(name) if b["type"] == "webPubSubTrigger")
        keys = self._keys(trigger)
        if not any(cloudevents.signature_valid(k, request.headers) for k in keys):
            return web.Response(status=401)
        result = await self.worker.invoke(name, {trigger["name"]: self.worker.json(json.dumps(event))})
        if not await self._send_outputs(name, result):
            return web.Response(status=500, text=result.error or "output binding failed")
        event_name = ctx["eventName"].lower()
        if ctx["eventType"] == "System" and event_name != "connect":
            return web.Response()
        return self._event_response(result, ctx)

    def _event_response(self, result: Invocation, ctx: dict[str, Any]) -> web.Response:
        """The extension's reading of a reply (BuildValidResponse): only a JSON object counts."""
        if result.return_kind != "json":
            if result.return_kind is not None:
                log.warning("reply of type %s ignored: return a dict", result.return_kind)
            return web.Response()
        reply = json.loads(result.return_value)
        if not isinstance(reply, dict):
            return web.Response(status=500, text="Response should be a JObject.")
        code = str(reply.get("code", "success")).lower()
        if code != "success":
            return web.Response(status=_ERRORS.get(code, 500), text=str(reply.get("errorMessage") or ""))
        headers: dict[str, str] = {}
        states = reply.get("states")
        if isinstance(states, dict) and states:
            headers["ce-connectionState"] = cloudevents.encode_states({**ctx["states"], **states})
        if ctx["eventType"] == "System":
            keys = ("userId", "groups", "roles", "subprotocol")
            body = {k: reply[k] for k in keys if reply.get(k) is not None}
            return web.Response(text=json.dumps(body), content_type="application/json", headers=headers)
        data = reply.get("data")
        data_type = str(reply.get("dataType") or "text").lower()
        if isinstance(data, dict) and str(data.get("type", "")).lower() == "buffer":
            try:
                raw = actions.buffer_bytes(data)
            except ActionError as err:
                return web.Response(status=500, text=str(err))
        elif isinstance(data, str):
            raw = data.encode()
        elif data is None:
            raw = b""
        else:
            return web.Response(status=500, text="Message should be string, please stringify object.")
        content_type = cloudevents.CONTENT_TYPES.get(data_type, "application/octet-stream")
        return web.Response(body=raw, headers={"Content-Type": content_type, **headers})
