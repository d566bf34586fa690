"""The part of Web PubSub's OData filters the local host understands.

``userId``, ``connectionId`` and ``protocol`` compared with ``eq``/``ne`` to a
string (or ``null``), ``'group' in groups``, joined with ``and``, ``or``,
``not`` and parentheses. Anything else is refused, as the service refuses
what it cannot parse.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<word>[A-Za-z]+)|(?P<paren>[()]))")
FIELDS = ("userId", "connectionId", "protocol")

Predicate = Callable[[Mapping[str, Any]], bool]


class FilterError(ValueError):
    pass


def compile_filter(text: str) -> Predicate:
    """A predicate over ``{"userId", "connectionId", "protocol", "groups"}``."""
    tokens = _tokens(text)
    predicate, rest = _or(tokens)
    if rest:
        raise FilterError(f"unexpected {rest[0][1]!r}")
    return predicate


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if not match:
            raise FilterError(f"cannot read the filter at {position}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _or(tokens: list[tuple[str, str]]) -> tuple[Predicate, list[tuple[str, str]]]:
    return _joined(tokens, "or", _and, lambda a, b: lambda c: a(c) or b(c))


def _and(tokens: list[tuple[str, str]]) -> tuple[Predicate, list[tuple[str, str]]]:
    return _joined(tokens, "and", _unary, lambda a, b: lambda c: a(c) and b(c))


def _joined(
    tokens: list[tuple[str, str]],
    word: str,
    operand: Callable[[list[tuple[str, str]]], tuple[Predicate, list[tuple[str, str]]]],
    combine: Callable[[Predicate, Predicate], Predicate],
) -> tuple[Predicate, list[tuple[str, str]]]:
    """Operands joined left to right by ``word``."""
    left, tokens = operand(tokens)
    while tokens and tokens[0] == ("word", word):
        right, tokens = operand(tokens[1:])
        left = combine(left, right)
    return left, tokens


def _unary(tokens: list[tuple[str, str]]) -> tuple[Predicate, list[tuple[str, str]]]:
    if not tokens:
        raise FilterError("the filter ends too soon")
    if tokens[0] == ("word", "not"):
        inner, tokens = _unary(tokens[1:])
        return (lambda c: not inner(c)), tokens
    if tokens[0] == ("paren", "("):
        inner, tokens = _or(tokens[1:])
        if not tokens or tokens[0] != ("paren", ")"):
            raise FilterError("a parenthesis is not closed")
        return inner, tokens[1:]
    if len(tokens) >= 3 and tokens[0][0] == "str" and tokens[1:3] == [("word", "in"), ("word", "groups")]:
        group = _string(tokens[0][1])
        return (lambda c: group in c["groups"]), tokens[3:]
    if len(tokens) >= 3 and tokens[0][1] in FIELDS and tokens[1][1] in ("eq", "ne"):
        field, negate = tokens[0][1], tokens[1][1] == "ne"
        value = None if tokens[2] == ("word", "null") else _literal(tokens[2])
        return (lambda c: (c[field] == value) != negate), tokens[3:]
    raise FilterError(f"the local host does not understand {' '.join(t for _, t in tokens[:3])!r}")


def _literal(token: tuple[str, str]) -> str:
    if token[0] != "str":
        raise FilterError(f"expected a quoted string, got {token[1]!r}")
    return _string(token[1])


def _string(quoted: str) -> str:
    return quoted[1:-1].replace("''", "'")
