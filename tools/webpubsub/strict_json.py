"""Strict JSON for the local service, by the app's rule (RFC 8259, nothing more).

No ``NaN``, ``Infinity`` or ``-Infinity``; no number that only reads as
infinity (``1e400``); a document nested deeper than the parser can hold is
refused like any other bad document. Every failure is a ``ValueError``, so a
caller that catches that catches them all. The tools do not import the app's
codec (``codec/strict_json.py``): this is the same rule, read with the
standard library alone.
"""

from __future__ import annotations

import json
import math
from typing import Any


class NotJson(ValueError):
    """The text is not strict JSON."""


def _refuse_constant(name: str) -> Any:
    raise NotJson(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise NotJson(f"{text[:32]} is too large for a JSON number")
    return value


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite)


def loads(text: str | bytes) -> Any:
    """The value ``text`` holds; raises ``ValueError`` when it is not strict JSON (bytes: UTF-8)."""
    try:
        return _DECODER.decode(text.decode() if isinstance(text, bytes) else text)
    except RecursionError:
        raise NotJson("the document is nested too deeply") from None


def dumps(value: object) -> str:
    """``value`` as compact, strict JSON text; raises ``ValueError`` for what strict JSON cannot hold."""
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"))
    except RecursionError:
        raise NotJson("the value is nested too deeply") from None
