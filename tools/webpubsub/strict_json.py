"""Strict JSON for the local service: the app's own rule (``codec.strict_json``:
RFC 8259, no ``NaN``, ``Infinity`` or number that reads as infinity), with
every failure a ``ValueError``, a document nested too deeply included, so that
a caller that catches that catches them all."""

from __future__ import annotations

from typing import Any

from codec import strict_json as _app


class NotJson(ValueError):
    """The text is not strict JSON, or the value cannot be written as it."""


def loads(text: str | bytes) -> Any:
    """The value ``text`` holds; raises ``ValueError`` when it is not strict JSON (bytes: UTF-8)."""
    try:
        return _app.loads(text)
    except RecursionError:
        raise NotJson("the document is nested too deeply") from None


def dumps(value: object) -> str:
    """``value`` as compact, strict JSON text; raises ``ValueError`` for what strict JSON cannot hold."""
    try:
        return _app.dumps(value)
    except RecursionError:
        raise NotJson("the value is nested too deeply") from None
