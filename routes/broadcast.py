"""Validate a broadcast request into output actions, all or nothing.

The body is one action or a list of them in the binding's own vocabulary
(``actionName`` is case-insensitive, as the extension reads it), except that
``data`` may be any JSON value when ``dataType`` is ``json``: it is
serialized here. A send to all, a group or a user may carry an OData
``filter``, which the output binding cannot express: those go through the
service SDK instead. Every action is checked before any is sent, and the
filtered sends go first: if one fails, the binding's actions are not sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec

from chat.rooms import ROOM_RULE, is_room_name
from chat.settings import SettingsError
from codec import strict_json
from codec.actions import (
    ACTION_TYPES,
    PERMISSIONS,
    Action,
    FilteredSend,
    SendToAll,
    SendToGroup,
    SendToUser,
)
from codec.datatype import DataType
from routes import broadcast_body
from routes.broadcast_body import MAX_ACTIONS, MAX_ID_LENGTH, MAX_REASON_LENGTH
from routes.gateway import GatewayError, WebPubSubGateway, gateway_failure
from routes.http import HttpAnswer, error_answer, json_answer

MAX_BODY_BYTES = 1024 * 1024
MAX_FILTER_LENGTH = 1024
# What a Web PubSub filter can test.
FILTER_FIELDS = re.compile(r"\b(userId|connectionId|groups|protocol)\b")
FILTERABLE = (SendToAll, SendToGroup, SendToUser)


class InvalidAction(ValueError):
    """An action is malformed; ``field`` (and ``index`` in a list) say where."""

    def __init__(self, message: str, field: str, index: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.index = index


class BroadcastPlan(msgspec.Struct, frozen=True):
    """A valid request: the 202 answer with the binding's actions, and the filtered sends."""

    answer: HttpAnswer
    filtered: tuple[FilteredSend, ...] = ()


def broadcast(body: bytes, gateway: WebPubSubGateway, hub: Callable[[], str]) -> HttpAnswer:
    """Validate the whole body, send the filtered sends, and answer with the rest's actions.

    ``hub`` is called only when there is a filtered send (reading settings
    may fail, and a request without filters does not need them).
    """
    plan = plan_broadcast(body)
    if isinstance(plan, HttpAnswer):
        return plan
    if plan.filtered:
        try:
            gateway.send_filtered(hub(), plan.filtered)
        except SettingsError as err:
            return gateway_failure(err)
        except GatewayError as err:
            return gateway_failure(err, sent=err.sent)
    return plan.answer


def plan_broadcast(body: bytes) -> BroadcastPlan | HttpAnswer:
    """What a valid body asks for, or the 4xx answer naming what is wrong."""
    if len(body) > MAX_BODY_BYTES:
        return error_answer(
            413, "body_too_large", f"the body is larger than {MAX_BODY_BYTES} bytes", field="body"
        )
    try:
        actions = parse_actions(body)
    except InvalidAction as err:
        where: dict[str, object] = {"field": err.field}
        if err.index is not None:
            where["index"] = err.index
        return error_answer(400, "invalid_action", str(err), **where)
    binding: list[Action] = []
    filtered: list[FilteredSend] = []
    summary: dict[str, int] = {}
    for item in actions:
        if isinstance(item, FilteredSend):
            filtered.append(item)
            name = item.action.action_name
        else:
            binding.append(item)
            name = item.action_name
        summary[name] = summary.get(name, 0) + 1
    answer = json_answer(202, {"accepted": len(actions), "actions": summary}, tuple(binding))
    return BroadcastPlan(answer, tuple(filtered))


def parse_actions(body: bytes) -> tuple[Action | FilteredSend, ...]:
    """Parse and validate a whole broadcast body, raising InvalidAction."""
    try:
        return broadcast_body.decode_exact(body, _data)
    except (broadcast_body.NotExact, InvalidAction):
        # Another spelling, a filter, or a mistake: the reading below gives
        # the same actions or names the problem.
        pass
    try:
        value = strict_json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidAction("the body is not valid UTF-8 JSON", "body") from None
    if isinstance(value, dict):
        return (parse_action(value),)
    if not isinstance(value, list) or not value:
        raise InvalidAction("the body must be an action object or a non-empty list of them", "body")
    if len(value) > MAX_ACTIONS:
        raise InvalidAction(f"at most {MAX_ACTIONS} actions per request", "body")
    actions = []
    for index, item in enumerate(value):
        try:
            actions.append(parse_action(item))
        except InvalidAction as err:
            raise InvalidAction(str(err), err.field, index) from None
    return tuple(actions)


def parse_action(item: object) -> Action | FilteredSend:
    """One action from its JSON object, raising InvalidAction naming the field."""
    if not isinstance(item, dict):
        raise InvalidAction("an action must be a JSON object", "actionName")
    name = item.get("actionName")
    cls = ACTION_TYPES.get(name.lower()) if isinstance(name, str) else None
    if cls is None:
        raise InvalidAction(f"actionName must be one of: {', '.join(_NAMES)}", "actionName")
    if "filter" in item:
        if not issubclass(cls, FILTERABLE):
            raise InvalidAction("filter applies only to sendToAll, sendToGroup and sendToUser", "filter")
        odata = check_filter(item["filter"])
        action = parse_action({k: v for k, v in item.items() if k != "filter"})
        assert isinstance(action, FILTERABLE)
        return FilteredSend(action, odata)
    wire = cls.wire_fields()
    for key in item:
        if key != "actionName" and key not in wire:
            raise InvalidAction(f"{cls.action_name} has no field {key[:64]!r}", key[:64])
    values: dict[str, Any] = {}
    for key, f in wire.items():
        if key == "dataType":
            values[f.name] = _data_type(item.get(key))
        elif key not in item:
            if f.required:
                raise InvalidAction(f"{key} is required for {cls.action_name}", key)
        elif key != "data":
            values[f.name] = _CHECKS[key](item[key], key)
    if "data" in wire:
        # Checked last: how depends on the data type, which follows it in the wire order.
        values["data"] = _data(item["data"], values["data_type"])
    return cls(**values)


_NAMES = sorted(cls.action_name for cls in ACTION_TYPES.values())


def check_filter(value: object) -> str:
    """An OData filter that is not obviously malformed, or InvalidAction.

    The service parses filters itself; this only refuses what it surely would:
    empty or oversized text, control characters, unbalanced parentheses or
    quotes, and filters that test nothing a filter can test.
    """
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_FILTER_LENGTH:
        raise InvalidAction(f"filter must be a string of 1 to {MAX_FILTER_LENGTH} characters", "filter")
    if not value.isprintable():
        raise InvalidAction("filter must not contain control characters", "filter")
    if value.count("'") % 2:
        raise InvalidAction("filter has an unclosed quote", "filter")
    # What is outside quoted strings, each of which becomes a space: a name
    # cannot continue across a quoted string.
    outside = " ".join(value.split("'")[::2])
    depth = 0
    for char in outside:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth:
        raise InvalidAction("filter has unbalanced parentheses", "filter")
    if not FILTER_FIELDS.search(outside):
        raise InvalidAction("filter must test userId, connectionId, groups or protocol", "filter")
    return value


def _data_type(raw: object) -> DataType:
    if raw is None:
        return DataType.TEXT
    data_type = DataType.parse(raw)
    if data_type is None:
        raise InvalidAction("dataType must be text, json or binary", "dataType")
    return data_type


Check = Callable[[object, str], object]


def _text(value: object, key: str, max_length: int) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= max_length:
        raise InvalidAction(f"{key} must be a string of 1 to {max_length} characters", key)
    return value


def _id(value: object, key: str) -> str:
    return _text(value, key, MAX_ID_LENGTH)


def _reason(value: object, key: str) -> str:
    return _text(value, key, MAX_REASON_LENGTH)


def _group(value: object, key: str) -> str:
    if not is_room_name(value):
        raise InvalidAction(f"{key} must be {ROOM_RULE}", key)
    return value


def _excluded(value: object, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(
        isinstance(v, str) and 1 <= len(v) <= MAX_ID_LENGTH for v in value
    ):
        raise InvalidAction(f"{key} must be a list of connection ids", key)
    return tuple(value)


def _permission(value: object, key: str) -> str:
    for permission in PERMISSIONS:
        if isinstance(value, str) and value.lower() == permission.lower():
            return permission
    raise InvalidAction(f"{key} must be one of: {', '.join(PERMISSIONS)}", key)


def _data(value: object, data_type: DataType) -> str | bytes:
    if data_type is DataType.JSON:
        return strict_json.dumps(value)
    if data_type is DataType.BINARY:
        return _buffer(value)
    if not isinstance(value, str):
        raise InvalidAction("data must be a string when dataType is text", "data")
    return value


def _buffer(value: object) -> bytes:
    """Binary data in the binding's Buffer form: {"type": "Buffer", "data": [0..255]}."""
    if isinstance(value, dict) and value.get("type") == "Buffer" and isinstance(value.get("data"), list):
        octets = value["data"]
        if all(type(b) is int and 0 <= b <= 255 for b in octets):
            return bytes(octets)
    raise InvalidAction(_BUFFER_RULE, "data")


_BUFFER_RULE = 'data must be {"type": "Buffer", "data": [bytes 0-255]} when dataType is binary'


_CHECKS: dict[str, Check] = {
    "group": _group,
    "targetName": _group,
    "userId": _id,
    "connectionId": _id,
    "reason": _reason,
    "excluded": _excluded,
    "permission": _permission,
}
