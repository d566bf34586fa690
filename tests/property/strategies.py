"""Inputs nobody should send: arbitrary JSON, text and bytes, odd Unicode, deep and huge values."""

from __future__ import annotations

import json

from hypothesis import strategies as st

# Every code point, lone surrogates, controls, RTL and zero-width marks included.
ODD_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=()),
    max_size=80,
) | st.sampled_from(["\u202e\u202dlobby", "lobby\u200b", "ｌｏｂｂｙ", "\ud800", "\x00", "a" * 5000, "", " "])

KEYS = (
    st.sampled_from(
        [
            "room",
            "text",
            "actionName",
            "group",
            "data",
            "dataType",
            "userId",
            "connectionId",
            "filter",
            "excluded",
            "reason",
            "permission",
            "targetName",
            "connectionContext",
            "eventType",
            "eventName",
            "hub",
            "states",
            "rooms",
            "isPreflight",
            "hasError",
            "request",
            "response",
            "status",
            "headers",
        ]
    )
    | ODD_TEXT
)

# Finite floats only: NaN and infinities are not JSON (the strict decoders have their own tests).
SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | ODD_TEXT
)

JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=30,
)


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


RAW = (
    st.binary(max_size=300)
    | ODD_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))
    | JSON.map(lambda v: json.dumps(v).encode())
    | st.integers(10, 100_000).map(lambda d: deep(d).encode())
)
