"""Web PubSub's OData ``filter``: the grammar its documentation gives, compiled to a predicate.

What a filter may use (the documentation's "OData filter syntax" page):

- identifiers ``userId``, ``connectionId`` (strings, possibly null) and
  ``groups`` (a collection); ``protocol`` (the connection's subprotocol, or
  null) is accepted as well. Identifier names are matched case-insensitively;
- literals: ``'text'`` (``''`` is a quote), integers, ``true``, ``false``, ``null``;
- ``eq``, ``ne``, ``gt``, ``ge``, ``lt``, ``le`` between two values of one type;
- ``x in ('a', 'b')`` and ``'group' in groups``;
- ``and``, ``or``, ``not`` and parentheses, with OData's precedence
  (``not`` binds tightest, then comparisons, ``and``, ``or``);
- functions ``length``, ``indexof``, ``substring`` (2 or 3 arguments),
  ``tolower``, ``toupper``, ``trim``, ``concat``, and the boolean
  ``startswith``, ``endswith``, ``contains``.

Anything else is refused with a ``FilterError`` saying what and where; the
filter is checked (types included) when compiled, before any message moves.
A function of a null string is null (and a boolean function of one is false),
as OData evaluates them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Literal

MAX_LENGTH = 4096
MAX_DEPTH = 64

Kind = Literal["string", "int", "bool", "collection"]
Value = str | int | bool | None | frozenset[str]


@dataclass(frozen=True)
class Subject:
    """What a filter can see of one connection."""

    user_id: str | None
    connection_id: str
    protocol: str | None
    groups: Collection[str]


Predicate = Callable[[Subject], bool]
_Eval = Callable[[Subject], Value]


class FilterError(ValueError):
    """The filter is not one the service understands; the message says why."""


_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<int>[+-]?\d+)|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[(),]))"
)
_IDENTIFIERS: dict[str, tuple[Kind, Callable[[Subject], Value]]] = {
    "userid": ("string", lambda s: s.user_id),
    "connectionid": ("string", lambda s: s.connection_id),
    "protocol": ("string", lambda s: s.protocol),
    "groups": ("collection", lambda s: frozenset(s.groups)),
}
_COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
_KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null", *_COMPARISONS})


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    at: int


@dataclass(frozen=True)
class _Node:
    kind: Kind
    run: _Eval


def compile_filter(text: str) -> Predicate:
    """The predicate ``text`` describes; raises ``FilterError`` naming the problem."""
    if len(text) > MAX_LENGTH:
        raise FilterError(f"the filter is longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise FilterError("the filter is empty")
    parser = _Parser(_tokens(text))
    node = parser.expression()
    if parser.peek() is not None:
        token = parser.peek()
        assert token is not None
        raise FilterError(f"unexpected {token.text!r} at position {token.at}")
    if node.kind != "bool":
        raise FilterError(f"the filter is a {node.kind}, not a boolean expression")
    run = node.run
    return lambda subject: run(subject) is True


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position, end = 0, len(text.rstrip())
    while position < end:
        match = _TOKEN.match(text, position)
        if not match:
            at = len(text) - len(text[position:].lstrip())
            raise FilterError(f"cannot read {text[at]!r} at position {at}")
        kind = match.lastgroup or ""
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


def _string(quoted: str) -> str:
    return quoted[1:-1].replace("''", "'")


class _Parser:
    """Recursive descent over the tokens; each rule returns a typed, compiled node."""

    def __init__(self, tokens: list[_Token]) -> None:
        self._tokens = tokens
        self._index = 0
        self._depth = 0

    def peek(self) -> _Token | None:
        return self._tokens[self._index] if self._index < len(self._tokens) else None

    def _next(self, what: str) -> _Token:
        token = self.peek()
        if token is None:
            raise FilterError(f"the filter ends where {what} was expected")
        self._index += 1
        return token

    def _accept(self, text: str) -> bool:
        token = self.peek()
        if token is not None and token.kind in ("word", "punct") and token.text == text:
            self._index += 1
            return True
        return False

    def _expect(self, text: str) -> None:
        token = self._next(repr(text))
        if token.text != text:
            raise FilterError(f"expected {text!r} at position {token.at}, found {token.text!r}")

    def expression(self) -> _Node:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise FilterError(f"the filter nests deeper than {MAX_DEPTH} levels")
        try:
            return self._or()
        finally:
            self._depth -= 1

    def _or(self) -> _Node:
        left = self._and()
        while self._accept("or"):
            left = _either(_boolean(left, "or"), _boolean(self._and(), "or"))
        return left

    def _and(self) -> _Node:
        left = self._not()
        while self._accept("and"):
            left = _both(_boolean(left, "and"), _boolean(self._not(), "and"))
        return left

    def _not(self) -> _Node:
        if self._accept("not"):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise FilterError(f"the filter nests deeper than {MAX_DEPTH} levels")
            inner = _boolean(self._not(), "not")
            self._depth -= 1
            return _Node("bool", lambda s: inner(s) is not True)
        return self._comparison()

    def _comparison(self) -> _Node:
        left = self._primary()
        token = self.peek()
        if token is not None and token.kind == "word" and token.text in _COMPARISONS:
            self._index += 1
            return _compare(token.text, left, self._primary(), token.at)
        if self._accept("in"):
            return self._in(left)
        return left

    def _in(self, left: _Node) -> _Node:
        if left.kind != "string":
            raise FilterError("the left side of 'in' must be a string")
        value = left.run
        token = self.peek()
        if token is not None and token.kind == "word" and token.text.lower() == "groups":
            self._index += 1
            return _Node("bool", lambda s: _member(value(s), s.groups))
        self._expect("(")
        nested = self.peek()
        if nested is not None and nested.kind == "word" and nested.text.lower() == "groups":
            self._index += 1
            self._expect(")")
            return _Node("bool", lambda s: _member(value(s), s.groups))
        items = [self._primary()]
        while self._accept(","):
            items.append(self._primary())
        self._expect(")")
        if any(item.kind != "string" for item in items):
            raise FilterError("the list after 'in' must hold strings")
        runs = [item.run for item in items]
        return _Node("bool", lambda s: (v := value(s)) is not None and any(v == r(s) for r in runs))

    def _primary(self) -> _Node:
        token = self._next("a value")
        if token.kind == "string":
            literal = _string(token.text)
            return _Node("string", lambda s: literal)
        if token.kind == "int":
            number = int(token.text)
            return _Node("int", lambda s: number)
        if token.kind == "punct":
            if token.text != "(":
                raise FilterError(f"unexpected {token.text!r} at position {token.at}")
            inner = self.expression()
            self._expect(")")
            return inner
        word = token.text
        if word in ("true", "false"):
            flag = word == "true"
            return _Node("bool", lambda s: flag)
        if word == "null":
            return _Node("string", lambda s: None)
        if self._accept("("):
            return self._call(word, token.at)
        if word in _KEYWORDS:
            raise FilterError(f"unexpected {word!r} at position {token.at}")
        known = _IDENTIFIERS.get(word.lower())
        if known is None:
            raise FilterError(
                f"unknown identifier {word!r} at position {token.at}:"
                " use userId, connectionId, protocol or groups"
            )
        kind, getter = known
        return _Node(kind, getter)

    def _call(self, name: str, at: int) -> _Node:
        args: list[_Node] = []
        if not self._accept(")"):
            args.append(self.expression())
            while self._accept(","):
                args.append(self.expression())
            self._expect(")")
        return _function(name, args, at)


def _boolean(node: _Node, operator: str) -> _Eval:
    if node.kind != "bool":
        raise FilterError(f"'{operator}' needs boolean operands, got a {node.kind}")
    return node.run


def _either(a: _Eval, b: _Eval) -> _Node:
    return _Node("bool", lambda s: a(s) is True or b(s) is True)


def _both(a: _Eval, b: _Eval) -> _Node:
    return _Node("bool", lambda s: a(s) is True and b(s) is True)


def _member(value: Value, groups: Collection[str]) -> bool:
    return isinstance(value, str) and value in groups


def _compare(operator: str, left: _Node, right: _Node, at: int) -> _Node:
    if "collection" in (left.kind, right.kind):
        raise FilterError(f"'{operator}' at position {at} cannot compare a collection; use 'in'")
    if left.kind != right.kind:
        raise FilterError(f"'{operator}' at position {at} compares a {left.kind} with a {right.kind}")
    a, b = left.run, right.run
    if operator == "eq":
        return _Node("bool", lambda s: a(s) == b(s))
    if operator == "ne":
        return _Node("bool", lambda s: a(s) != b(s))
    test = _ORDER[operator]

    def ordered(s: Subject) -> bool:
        x, y = a(s), b(s)
        if x is None or y is None:
            return False  # null is neither greater nor smaller than anything
        return test(x, y)

    return _Node("bool", ordered)


# Both sides have one kind (checked when compiled): strings order ordinally.
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "gt": lambda x, y: bool(x > y),
    "ge": lambda x, y: bool(x >= y),
    "lt": lambda x, y: bool(x < y),
    "le": lambda x, y: bool(x <= y),
}


_StrFn = Callable[..., Value]

# name: (argument kinds, result kind, implementation given non-null arguments)
_FUNCTIONS: dict[str, tuple[tuple[tuple[Kind, ...], ...], Kind, _StrFn]] = {
    "length": ((("string",),), "int", lambda x: len(x)),
    "indexof": ((("string", "string"),), "int", lambda x, y: x.find(y)),
    "substring": (
        (("string", "int"), ("string", "int", "int")),
        "string",
        lambda x, start, length=None: (
            x[max(start, 0) :] if length is None else x[max(start, 0) : max(start, 0) + max(length, 0)]
        ),
    ),
    "tolower": ((("string",),), "string", lambda x: x.lower()),
    "toupper": ((("string",),), "string", lambda x: x.upper()),
    "trim": ((("string",),), "string", lambda x: x.strip()),
    "concat": ((("string", "string"),), "string", lambda x, y: x + y),
    "startswith": ((("string", "string"),), "bool", lambda x, y: x.startswith(y)),
    "endswith": ((("string", "string"),), "bool", lambda x, y: x.endswith(y)),
    "contains": ((("string", "string"),), "bool", lambda x, y: y in x),
}


def _function(name: str, args: list[_Node], at: int) -> _Node:
    known = _FUNCTIONS.get(name)
    if known is None:
        raise FilterError(
            f"unknown function {name!r} at position {at}: use one of {', '.join(sorted(_FUNCTIONS))}"
        )
    signatures, result, implementation = known
    kinds = tuple(arg.kind for arg in args)
    if kinds not in signatures:
        wanted = " or ".join("(" + ", ".join(signature) + ")" for signature in signatures)
        raise FilterError(f"{name} at position {at} takes {wanted}, got ({', '.join(kinds)})")
    runs = [arg.run for arg in args]

    def call(s: Subject) -> Value:
        values = [run(s) for run in runs]
        if any(v is None for v in values):
            return False if result == "bool" else None
        return implementation(*values)

    return _Node(result, call)
