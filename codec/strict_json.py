"""JSON that is JSON: no ``NaN``, ``Infinity`` or ``-Infinity``, either way.

Python's ``json`` reads and writes those three by default, and reads a number
such as ``1e400`` as infinity. None of them is JSON (RFC 8259), and a client
that receives one fails to parse the whole message. Every decoder and encoder
of the app goes through this module.
"""

from __future__ import annotations

import json
import math
from typing import Any


class NotJson(ValueError):
    """The text is not strict JSON (a ``ValueError``, as ``json`` raises)."""


def _reject_constant(name: str) -> Any:
    raise NotJson(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise NotJson(f"{text[:32]} is too large for a JSON number")
    return value


_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)
# One encoder for all: json.dumps with options builds a new one per call.
# ASCII output escapes lone surrogates, which would otherwise fail to encode
# as UTF-8 on their way to the host.
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def loads(text: str | bytes | bytearray) -> Any:
    """Decode strict JSON; raises ValueError (or RecursionError when nested too deep)."""
    if not isinstance(text, str):
        text = text.decode()  # UTF-8, strictly: a bad byte is a ValueError
    return _DECODER.decode(text)


def dumps(value: object) -> str:
    """Encode compactly; raises ValueError for a non-finite number."""
    return _ENCODER.encode(value)
