"""JSON that is JSON: no ``NaN``, ``Infinity`` or ``-Infinity``, either way.

Python's ``json`` reads and writes those three by default, and reads a number
such as ``1e400`` as infinity. None of them is JSON (RFC 8259), and a client
that receives one fails to parse the whole message. Every decoder and encoder
of the app goes through this module.

Both ways, msgspec does the common case and the standard library decides the
rest, so the answer and the error are always the standard library's strict
ones. msgspec refuses ``NaN``, ``Infinity`` and ``1e400`` when it reads, but
writes ``NaN`` and infinities as ``null`` and writes UTF-8, not ASCII: its
output is kept only when it is ASCII without a ``null`` in it, which no
non-finite number can produce.
"""

from __future__ import annotations

import json
import math
from typing import Any

import msgspec


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
_FAST_DECODE = msgspec.json.Decoder().decode
_FAST_ENCODE = msgspec.json.Encoder().encode


def loads(text: str | bytes | bytearray) -> Any:
    """Decode strict JSON; raises ValueError (or RecursionError when nested too deep)."""
    try:
        return _FAST_DECODE(text)
    except (ValueError, RecursionError):
        # Not JSON to msgspec, or JSON it declines (an escaped lone
        # surrogate): the standard library gives the answer or the error.
        pass
    if not isinstance(text, str):
        text = text.decode()  # UTF-8, strictly: a bad byte is a ValueError
    return _DECODER.decode(text)


def dumps(value: object) -> str:
    """Encode compactly, as ASCII; raises ValueError for a non-finite number."""
    try:
        # The fallback gives the same text, so only the time tells the two apart.
        encoded = _FAST_ENCODE(value)  # pragma: no mutate
    except (TypeError, ValueError, OverflowError):
        # A lone surrogate, a key or value msgspec does not write: the
        # standard library writes it or names the problem.
        return _ENCODER.encode(value)
    if encoded.isascii():
        # Searched as text: ``in`` on bytes first tries its operand as an
        # integer, and that failed attempt costs more than the whole encoding.
        text = encoded.decode()
        if "null" not in text:
            return text
    return _ENCODER.encode(value)
