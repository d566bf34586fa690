"""Bicep files as values the schema checker can judge, parsed with tree-sitter.

No Bicep compiler is reachable here, so this reads the syntax tree: a literal
(string without interpolation, number, boolean, null) is known, anything else
(a parameter, an output, a function call) is ``Opaque`` and only its place is
checked. A variable or a parameter with ``@allowed`` values is followed, and
both arms of a ``? :`` are checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter_bicep
from tree_sitter import Language, Node, Parser

_PARSER = Parser(Language(tree_sitter_bicep.language()))


@dataclass(frozen=True)
class Opaque:
    """A value known only at deployment time (a reference or an expression)."""

    text: str


@dataclass(frozen=True)
class Choice:
    """One of several values: a parameter's allowed values, or the arms of a
    ternary with its condition's source text."""

    options: tuple[Value, ...]
    condition: str | None = None


@dataclass(frozen=True)
class Loop:
    """``[for item in items: body]``: every copy looks like ``body``."""

    item: str
    items: Value
    body: Value


Value = str | int | bool | None | dict[str, "Value"] | list["Value"] | Opaque | Choice | Loop


@dataclass(frozen=True)
class Resource:
    """One ``resource`` declaration."""

    file: Path
    line: int
    symbol: str
    type_name: str
    api_version: str
    existing: bool
    body: Value

    @property
    def type_at_version(self) -> str:
        """``type@apiVersion`` as the resource types file keys it."""
        return f"{self.type_name}@{self.api_version}"


@dataclass
class BicepFile:
    """A parsed file: its syntax errors, declarations and resources."""

    path: Path
    errors: list[str] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    modules: dict[str, Value] = field(default_factory=dict)
    # The source text of a module's `if (...)` condition, for conditional modules.
    module_conditions: dict[str, str] = field(default_factory=dict)
    params: dict[str, Node] = field(default_factory=dict)
    variables: dict[str, Node] = field(default_factory=dict)


def parse_text(text: str, path: Path) -> BicepFile:
    """Parse Bicep source; syntax errors are listed, not raised."""
    tree = _PARSER.parse(text.encode())
    parsed = BicepFile(path=path)
    _collect_errors(tree.root_node, parsed.errors)
    for node in tree.root_node.named_children:
        name = _first(node, "identifier")
        if node.type == "parameter_declaration" and name is not None:
            parsed.params[_text(name)] = node
        elif node.type == "variable_declaration" and name is not None:
            parsed.variables[_text(name)] = node
    for node in tree.root_node.named_children:
        if node.type == "resource_declaration":
            parsed.resources.append(_resource(node, parsed))
        elif node.type == "module_declaration":
            target = _first(node, "string")
            module = (_string_literal(target) if target is not None else None) or ""
            body = node.named_children[-1]
            parsed.modules[module] = _body(body, parsed)
            if body.type == "if_statement":
                parsed.module_conditions[module] = _condition(body.named_children[0])
    return parsed


def resolve(parsed: BicepFile, name: str) -> Value:
    """What a name stands for: a variable's value, a parameter's allowed values, else Opaque."""
    return _reference(name, parsed, depth=0)


def parse_file(path: Path) -> BicepFile:
    """Parse one ``.bicep`` file."""
    return parse_text(path.read_text(encoding="utf-8"), path)


def _collect_errors(node: Node, errors: list[str]) -> None:
    if node.type == "ERROR" or node.is_missing:
        row, column = node.start_point
        kind = "missing " + node.type if node.is_missing else "unexpected " + _text(node)[:40]
        errors.append(f"line {row + 1}, column {column + 1}: {kind}")
        return
    for child in node.children:
        if child.has_error or child.type == "ERROR" or child.is_missing:
            _collect_errors(child, errors)


def _resource(node: Node, parsed: BicepFile) -> Resource:
    type_node = _first(node, "string")
    declared = _string_literal(type_node) if type_node is not None else None
    type_name, _, api_version = (declared or "").partition("@")
    existing = any(child.type == "existing" for child in node.children)
    body_node = node.named_children[-1]
    symbol = _first(node, "identifier")
    return Resource(
        file=parsed.path,
        line=node.start_point[0] + 1,
        symbol=_text(symbol) if symbol is not None else "",
        type_name=type_name,
        api_version=api_version,
        existing=existing,
        body=_body(body_node, parsed),
    )


def _body(node: Node, parsed: BicepFile) -> Value:
    # `= if (cond) { ... }`: the body is the object after the condition;
    # `= [for x in y: { ... }]`: a Loop whose copies look like its body.
    if node.type == "if_statement":
        return _body(node.named_children[-1], parsed)
    if (
        node.type == "array"
        and len(node.named_children) == 1
        and node.named_children[0].type == "for_statement"
    ):
        return _value(node.named_children[0], parsed, depth=0)
    return _value(node, parsed, depth=0)


def _loop(node: Node, parsed: BicepFile, depth: int) -> Loop:
    # for_statement: the item (a name, or an `(item, index)` pair), the items, the body.
    children = node.named_children
    item = _text(children[0])
    body = children[-1]
    if body.type == "if_statement":
        body = body.named_children[-1]
    return Loop(item=item, items=_value(children[1], parsed, depth + 1), body=_value(body, parsed, depth + 1))


_MAX_DEPTH = 40


def _value(node: Node, parsed: BicepFile, depth: int) -> Value:
    if depth > _MAX_DEPTH:
        return Opaque(_text(node))
    kind = node.type
    if kind == "object":
        result: dict[str, Value] = {}
        for prop in node.named_children:
            if prop.type != "object_property" or len(prop.named_children) < 2:
                continue
            key_node, value_node = prop.named_children[0], prop.named_children[-1]
            key = _text(key_node) if key_node.type == "identifier" else _string_literal(key_node)
            # An interpolated key ('${id}') is known only at deployment time.
            result[key if key is not None else f"${{{_text(key_node)}}}"] = _value(
                value_node, parsed, depth + 1
            )
        return result
    if kind == "array":
        return [_value(item, parsed, depth + 1) for item in node.named_children]
    if kind == "for_statement":
        return _loop(node, parsed, depth)
    if kind == "string":
        literal = _string_literal(node)
        return literal if literal is not None else Opaque(_text(node))
    if kind == "number":
        return int(_text(node))
    if kind == "boolean":
        return _text(node) == "true"
    if kind == "null":
        return None
    if kind == "parenthesized_expression" and node.named_children:
        return _value(node.named_children[0], parsed, depth + 1)
    if kind == "ternary_expression" and len(node.named_children) == 3:
        return Choice(
            tuple(_value(arm, parsed, depth + 1) for arm in node.named_children[1:]),
            condition=_condition(node.named_children[0]),
        )
    if kind == "identifier":
        return _reference(_text(node), parsed, depth)
    return Opaque(_text(node))


def _condition(node: Node) -> str:
    # `(cond)` and `cond` are the same condition.
    while node.type == "parenthesized_expression" and node.named_children:
        node = node.named_children[0]
    return _text(node)


def _reference(name: str, parsed: BicepFile, depth: int) -> Value:
    if name in parsed.variables:
        return _value(parsed.variables[name].named_children[-1], parsed, depth + 1)
    declaration = parsed.params.get(name)
    if declaration is not None:
        allowed = _allowed_values(declaration, parsed, depth)
        if allowed is not None:
            return allowed
    return Opaque(name)


def _allowed_values(declaration: Node, parsed: BicepFile, depth: int) -> Choice | None:
    # Decorators sit just before the declaration, as siblings.
    sibling = declaration.prev_named_sibling
    while sibling is not None and sibling.type == "decorators":
        for decorator in sibling.named_children:
            call = _first(decorator, "call_expression")
            name = _first(call, "identifier") if call is not None else None
            arguments = _first(call, "arguments") if call is not None else None
            if name is not None and _text(name) == "allowed" and arguments is not None:
                values = _first(arguments, "array")
                if values is not None:
                    return Choice(tuple(_value(v, parsed, depth + 1) for v in values.named_children))
        sibling = sibling.prev_named_sibling
    return None


def _string_literal(node: Node) -> str | None:
    """The text of a string without interpolation, else None."""
    if node.type != "string":
        return None
    parts: list[str] = []
    for child in node.named_children:
        if child.type == "string_content":
            parts.append(_text(child))
        elif child.type == "escape_sequence":
            parts.append(_unescape(_text(child)))
        else:
            return None
    return "".join(parts)


_ESCAPES = {"\\n": "\n", "\\r": "\r", "\\t": "\t", "\\\\": "\\", "\\'": "'", "\\$": "$"}


def _unescape(sequence: str) -> str:
    return _ESCAPES.get(sequence, sequence)


def _first(node: Node | None, kind: str) -> Node | None:
    if node is None:
        return None
    for child in node.named_children:
        if child.type == kind:
            return child
    return None


def _text(node: Node) -> str:
    return (node.text or b"").decode()
