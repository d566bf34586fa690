"""Events out: CloudEvents in binary mode, POSTed to the hub's event handlers.

Each event goes to the first handler of its hub that takes it, at the
handler's URL template expanded for the event. Before the first event to an
expanded URL the service makes the abuse-protection check (``OPTIONS`` with
``WebHook-Request-Origin``) once; a handler that refuses it gets no events.
Every event and the handler's answer is one line of the log; URLs are logged
without their query (it may carry a function key) and no key or token is.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import aiohttp

from tools.webpubsub import strict_json
from tools.webpubsub.config import Settings

log = logging.getLogger("webpubsub.events")

EVENT_TIMEOUT_SECONDS = 30
RECHECK_REFUSED_SECONDS = 60
MAX_EVENTS_IN_FLIGHT = 1000
# Expanded URLs whose check outcome is remembered. With ``{event}`` in a template
# and a wildcard user pattern every event name a client invents is a new URL: the
# least recently used is forgotten past this bound (and checked again if it returns).
MAX_CHECKED_URLS = 1000
CONTENT_TYPES = {"text": "text/plain", "json": "application/json", "binary": "application/octet-stream"}


def signature(key: str, connection_id: str) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of the connection id with the access key."""
    return "sha256=" + hmac.new(key.encode(), connection_id.encode(), hashlib.sha256).hexdigest()


def encode_states(states: Mapping[str, object]) -> str:
    """States as the ``ce-connectionState`` header carries them: base64 of a JSON object."""
    return base64.b64encode(json.dumps(dict(states), allow_nan=False).encode()).decode()


def decode_states(value: str) -> dict[str, object]:
    """States from a handler's ``ce-connectionState`` header; raises ValueError if malformed."""
    if not value.strip():
        return {}
    states = strict_json.loads(base64.b64decode(value, validate=True))
    if not isinstance(states, dict):
        raise ValueError("connection state must be a JSON object")
    return states


def data_type_of(content_type: str) -> str:
    """The data type a reply's ``Content-Type`` names (``binary`` when it names none we know)."""
    media = content_type.split(";")[0].strip().lower()
    return next((k for k, v in CONTENT_TYPES.items() if v == media), "binary")


@dataclass
class _Check:
    """One expanded URL's abuse-protection check: its outcome (pending while it runs), and
    when it was refused, if it was."""

    outcome: asyncio.Future[bool | None]
    refused_at: float | None = None


@dataclass(frozen=True)
class Context:
    """The connection an event is about."""

    hub: str
    connection_id: str
    user_id: str | None
    states: Mapping[str, object] = field(default_factory=dict)
    subprotocol: str | None = None


@dataclass(frozen=True)
class Answer:
    """A handler's answer; ``status`` 0 when no handler took the event or none could be reached."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    handled: bool = True

    @property
    def ok(self) -> bool:
        """Whether the handler answered with a 2xx status."""
        return 200 <= self.status < 300


NOT_HANDLED = Answer(0, handled=False)


def headers_for(
    key: str, origin: str, ctx: Context, event_type: str, event_name: str, content_type: str
) -> dict[str, str]:
    """The CloudEvents headers of one event, as the service sends them."""
    prefix = "azure.webpubsub.sys." if event_type == "system" else "azure.webpubsub.user."
    headers = {
        "Content-Type": content_type,
        "WebHook-Request-Origin": origin,
        "ce-specversion": "1.0",
        "ce-type": prefix + event_name,
        "ce-source": f"/hubs/{ctx.hub}/client/{ctx.connection_id}",
        "ce-id": uuid.uuid4().hex,
        "ce-time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ce-awpsversion": "1.0",
        "ce-hub": ctx.hub,
        "ce-connectionId": ctx.connection_id,
        "ce-eventName": event_name,
        "ce-signature": signature(key, ctx.connection_id),
    }
    if ctx.user_id:
        headers["ce-userId"] = ctx.user_id
    if ctx.subprotocol:
        headers["ce-subprotocol"] = ctx.subprotocol
    if ctx.states:
        headers["ce-connectionState"] = encode_states(ctx.states)
    return headers


def connect_body(
    claims: Mapping[str, list[str]],
    query: Mapping[str, list[str]],
    headers: Mapping[str, list[str]],
    subprotocols: list[str],
) -> bytes:
    """The ``connect`` event's JSON body (no client certificates locally)."""
    body = {
        "claims": dict(claims),
        "query": dict(query),
        "headers": dict(headers),
        "subprotocols": subprotocols,
        "clientCertificates": [],
    }
    return json.dumps(body, allow_nan=False).encode()


def _safe(url: str) -> str:
    """A URL fit for the log: no query, no user info."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}{parts.path}"


class EventSender:
    """Sends events to the configured handlers, checking each expanded URL once."""

    def __init__(self, settings: Settings, max_checked_urls: int = MAX_CHECKED_URLS) -> None:
        self._settings = settings
        self._max_checked = max_checked_urls
        self.origin = urlsplit(settings.endpoint).hostname or "localhost"
        self._session: aiohttp.ClientSession | None = None
        # Expanded URL -> its check, least recently used first, at most ``max_checked_urls``.
        self._checks: OrderedDict[str, _Check] = OrderedDict()

    @property
    def checked_urls(self) -> int:
        """How many expanded URLs the sender remembers a check for (at most its bound)."""
        return len(self._checks)

    async def close(self) -> None:
        """Close the HTTP client the events go out on."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def takes(self, hub: str, event_type: str, event_name: str) -> bool:
        """Whether any handler of ``hub`` takes the event."""
        return self._settings.handler_for(hub, event_type, event_name) is not None

    async def send(
        self, ctx: Context, event_type: str, event_name: str, body: bytes, content_type: str
    ) -> Answer:
        """Send one event: ``NOT_HANDLED`` when no handler takes it, status 502 when its handler
        cannot be reached or refused the abuse-protection check."""
        handler = self._settings.handler_for(ctx.hub, event_type, event_name)
        if handler is None:
            log.info(
                "%s %s from %s: no event handler takes it; not sent",
                event_type,
                event_name,
                ctx.connection_id,
            )
            return NOT_HANDLED
        url = handler.url(ctx.hub, event_name)
        session = self._client()
        allowed = await self._check(session, url)
        if not allowed:
            # Unreachable, or refused: either way the event fails (a refused connect is refused).
            log.info(
                "%s %s from %s -> %s not sent (no passed check)",
                event_type,
                event_name,
                ctx.connection_id,
                _safe(url),
            )
            return Answer(502)
        headers = headers_for(
            self._settings.access_key, self.origin, ctx, event_type, event_name, content_type
        )
        try:
            async with session.post(url, data=body, headers=headers) as response:
                answer = Answer(response.status, dict(response.headers), await response.read())
        except (aiohttp.ClientError, TimeoutError) as err:
            log.warning(
                "%s %s from %s -> %s unreachable (%s)",
                event_type,
                event_name,
                ctx.connection_id,
                _safe(url),
                type(err).__name__,
            )
            return Answer(502)
        log.info(
            "%s %s from %s -> %s %s", event_type, event_name, ctx.connection_id, _safe(url), answer.status
        )
        return answer

    async def _check(self, session: aiohttp.ClientSession, url: str) -> bool | None:
        """The abuse-protection check, once per URL: True allowed, False refused, None unreachable.

        A passed check stands. A refusal stands for ``RECHECK_REFUSED_SECONDS``
        (a Functions host still loading its extension may refuse at first); an
        unreachable handler is checked again on its next event.
        """
        known = self._checks.get(url)
        if known is not None:
            self._checks.move_to_end(url)
            if known.refused_at is None:
                return await asyncio.shield(known.outcome)
            if time.monotonic() - known.refused_at < RECHECK_REFUSED_SECONDS:
                return False
        future: asyncio.Future[bool | None] = asyncio.get_running_loop().create_future()
        check = _Check(future)
        self._checks[url] = check
        self._checks.move_to_end(url)
        while len(self._checks) > self._max_checked:
            # Forgotten, not failed: whoever awaits its outcome still gets it.
            self._checks.popitem(last=False)
        try:
            status, allowed = await self._validate(session, url, "OPTIONS")
            if status == 404:
                # As the service does: a handler without OPTIONS may answer the check on GET.
                status, allowed = await self._validate(session, url, "GET")
        except (aiohttp.ClientError, TimeoutError) as err:
            if self._checks.get(url) is check:
                del self._checks[url]
            future.set_result(None)
            log.warning(
                "event handler %s unreachable for its abuse-protection check (%s)",
                _safe(url),
                type(err).__name__,
            )
            return None
        future.set_result(allowed)
        if allowed:
            log.info("event handler %s passed the abuse-protection check", _safe(url))
        else:
            check.refused_at = time.monotonic()
            log.error(
                "event handler %s REFUSED the abuse-protection check (answered %s without "
                "WebHook-Allowed-Origin: %s): it gets no events; checking again in %d s at the earliest",
                _safe(url),
                status,
                self.origin,
                RECHECK_REFUSED_SECONDS,
            )
        return allowed

    async def _validate(self, session: aiohttp.ClientSession, url: str, method: str) -> tuple[int, bool]:
        headers = {"WebHook-Request-Origin": self.origin, "ce-awpsversion": "1.0"}
        async with session.request(method, url, headers=headers) as response:
            origins = {o.strip().lower() for o in response.headers.getall("WebHook-Allowed-Origin", [])}
            origins = {part.strip() for o in origins for part in o.split(",")}
            allowed = 200 <= response.status < 300 and bool(origins & {"*", self.origin.lower()})
            return response.status, allowed

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            # aiohttp allows 100 requests in flight by default: hundreds of clients may have events out.
            connector = aiohttp.TCPConnector(limit=MAX_EVENTS_IN_FLIGHT)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=EVENT_TIMEOUT_SECONDS)
            )
        return self._session
