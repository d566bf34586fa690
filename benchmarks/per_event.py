"""Per event: the handlers from binding string in to JSON string out, against
``json.loads`` of the same input plus ``json.dumps`` of the same output."""

from __future__ import annotations

import json
import statistics
import timeit
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from multidict import CIMultiDict

from chat.handlers import handle_request
from chat.history_events import JoinReads, finish_join
from chat.settings import Settings
from codec.actions import encode_actions
from routes.broadcast import plan_broadcast
from routes.http import HttpAnswer
from tools.localhost.cloudevents import read_event
from tools.webpubsub.events import Context, headers_for

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _context(event_type: str, name: str, rooms: list[str]) -> dict:
    return {
        "eventType": event_type,
        "eventName": name,
        "hub": "chat",
        "connectionId": "AbCdEfGhIjKlMnOpQrStUv",
        "userId": "alice",
        "signature": "sha256=" + "0" * 64,
        "origin": "res.webpubsub.azure.com",
        "states": {"rooms": rooms},
        "headers": {"Host": ["res.azurewebsites.net"], "ce-specversion": ["1.0"]},
    }


def connect_request() -> str:
    return json.dumps(
        {
            "connectionContext": _context("System", "connect", []),
            "claims": {"sub": ["alice"]},
            "query": {},
            "headers": {"Sec-WebSocket-Protocol": ["json.webpubsub.azure.v1"]},
            "subprotocols": ["json.webpubsub.azure.v1"],
            "clientCertificates": [],
        }
    )


def user_request(name: str, data: dict, rooms: list[str]) -> str:
    return json.dumps(
        {"connectionContext": _context("User", name, rooms), "data": json.dumps(data), "dataType": "Json"}
    )


def delivered_request(name: str, data: dict, rooms: list[str]) -> str:
    """A user event as the local loop delivers it: the local service's CloudEvents
    headers and its HTTP client's, read by the host stand-in. The extension copies
    every header of the webhook's request into the context, so a real event
    carries them all (the minimal ``user_request`` carries two)."""
    body = json.dumps(data).encode()
    ctx = Context("chat", "AbCdEfGhIjKlMnOpQrStUv", "alice", {"rooms": rooms}, "json.webpubsub.azure.v1")
    headers = CIMultiDict(
        {
            "Host": "localhost:7071",
            "User-Agent": "Python/3.13 aiohttp/3.14.5",
            "Accept": "*/*",
            "Accept-Encoding": "gzip, deflate",
            "Content-Length": str(len(body)),
        }
    )
    headers.update(headers_for("k" * 44, "localhost", ctx, "user", name, "application/json"))
    return json.dumps(read_event(headers, body))


def broadcast_body(n: int, size: int = 20) -> bytes:
    actions = [
        {
            "actionName": "sendToGroup",
            "group": "lobby",
            "dataType": "json",
            "data": {"type": "notice", "text": "x" * size},
        }
        for _ in range(n)
    ]
    return json.dumps(actions).encode()


def trigger_path(settings: Settings) -> Callable[[str], tuple[str | None, str | None]]:
    """What a trigger function does: binding string in, reply and actions JSON out."""

    def run(raw: str) -> tuple[str | None, str | None]:
        outcome = handle_request(raw, settings, NOW)
        if isinstance(outcome, JoinReads):
            # A join's reply waits for the roster and the latest page (I/O the
            # shell does); measured here with neither read, the core's own cost.
            outcome = finish_join(outcome, None, None)
        reply = json.dumps(outcome.reply.to_binding()) if outcome.reply else None
        return reply, encode_actions(outcome.actions)

    return run


def broadcast_path(body: bytes) -> tuple[bytes, str | None]:
    plan = plan_broadcast(body)
    answer = plan if isinstance(plan, HttpAnswer) else plan.answer
    return answer.body, encode_actions(answer.actions)


def baseline(raw: str | bytes, output: tuple) -> Callable[[], object]:
    """json.loads of the same input plus json.dumps of the same output."""
    decoded = tuple(json.loads(o) if isinstance(o, (str, bytes)) else o for o in output)

    def run() -> object:
        json.loads(raw)
        return [json.dumps(o) for o in decoded]

    return run


def best(fn: Callable[[], object], repeat: int, number: int) -> float:
    """Seconds per call: the best of ``repeat`` runs (the least disturbed)."""
    return min(timeit.repeat(fn, repeat=repeat, number=number)) / number


def paired(
    fn: Callable[[], object], base: Callable[[], object], repeat: int, number: int
) -> tuple[float, float, float]:
    """Seconds per call of each, and the median of their ratios over ``repeat`` runs
    taken in turns, so that a slow moment of the machine hits both alike."""
    ratios, fns, bases = [], [], []
    for _ in range(repeat):
        fns.append(timeit.timeit(fn, number=number) / number)
        bases.append(timeit.timeit(base, number=number) / number)
        ratios.append(fns[-1] / bases[-1])
    return statistics.median(fns), statistics.median(bases), statistics.median(ratios)


USER_EVENTS = (
    ("message", {"room": "lobby", "text": "hello there"}, ["lobby"]),
    ("join", {"room": "games"}, ["lobby"]),
    ("leave", {"room": "games"}, ["lobby", "games"]),
)
"""Each user event measured: its name, its data and the rooms its states record."""


def measure(repeat: int, number: int) -> list[dict]:
    settings = Settings()
    run = trigger_path(settings)
    scenarios = [("connect", connect_request())]
    scenarios += [(name, user_request(name, data, rooms)) for name, data, rooms in USER_EVENTS]
    scenarios += [
        (f"{name} as delivered", delivered_request(name, data, rooms)) for name, data, rooms in USER_EVENTS
    ]
    results = []
    for name, raw in scenarios:
        output = run(raw)
        results.append(_row(name, partial(run, raw), baseline(raw, output), repeat, number))
    body = broadcast_body(10)
    results.append(
        _row(
            "broadcast of 10",
            lambda: broadcast_path(body),
            baseline(body, broadcast_path(body)),
            repeat,
            number,
        )
    )
    return results


def _row(name: str, fn: Callable[[], object], base: Callable[[], object], repeat: int, number: int) -> dict:
    handler, json_only, ratio = paired(fn, base, repeat, number)
    return {"event": name, "handler_us": handler * 1e6, "baseline_us": json_only * 1e6, "ratio": ratio}
