"""Growth: broadcast bodies of 1 to 1,000 actions and messages of 100 B to 1 MB.

Small inputs are dominated by the fixed cost of an event, so linearity is
judged on the marginal cost: the extra time per extra action (or byte)
between one size and the next. Quadratic work would make it grow.
"""

from __future__ import annotations

import json
from functools import partial

from benchmarks.per_event import best, broadcast_body, broadcast_path, trigger_path, user_request
from chat.settings import Settings

ACTIONS = (1, 10, 100, 1000)
MESSAGE_BYTES = (100, 10_000, 100_000, 1_000_000)


def measure(repeat: int, budget: int) -> dict:
    """``budget`` bounds the units processed per timing run, to keep big sizes short."""
    run = trigger_path(Settings(max_message_length=max(MESSAGE_BYTES)))
    actions = []
    for n in ACTIONS:
        body = broadcast_body(n)
        actions.append((n, best(partial(broadcast_path, body), repeat, max(1, budget // n))))
    messages = []
    for size in MESSAGE_BYTES:
        raw = user_request("message", {"room": "lobby", "text": "x" * size}, ["lobby"])
        assert json.loads(run(raw)[0] or "")["dataType"] == "json"  # accepted, not rejected
        messages.append((size, best(partial(run, raw), repeat, max(1, budget * 100 // size))))
    return {"actions": _series(actions), "bytes": _series(messages)}


def _series(points: list[tuple[int, float]]) -> dict:
    per_unit = [seconds / n for n, seconds in points]
    marginal = [(t2 - t1) / (n2 - n1) for (n1, t1), (n2, t2) in zip(points, points[1:], strict=False)]
    return {
        "sizes": [n for n, _ in points],
        "seconds": [s for _, s in points],
        "per_unit": per_unit,
        "marginal": marginal,
        "marginal_spread": max(marginal) / min(marginal) if min(marginal) > 0 else float("inf"),
    }
