"""The 14 output actions of the ``webPubSub`` binding.

Each action is a frozen msgspec struct whose snake_case fields map one-to-one
to the binding's camelCase JSON fields, tagged with its ``actionName``;
``to_binding()`` gives the JSON object the extension parses (``actionName``
plus the fields that are set). ``encode_actions`` gives the string to set on
the output binding, written by msgspec straight from the structs when that
gives the same JSON as ``to_binding()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import msgspec
from msgspec.structs import FieldInfo, fields

from codec import strict_json
from codec.datatype import DataType

PERMISSIONS = ("sendToGroup", "joinLeaveGroup")


class Action(
    msgspec.Struct,
    frozen=True,
    rename="camel",
    tag_field="actionName",
    # Each class's tag is its actionName: the class name in camelCase.
    tag=lambda class_name: class_name[0].lower() + class_name[1:],
):
    """Base of every output action."""

    action_name: ClassVar[str]

    @classmethod
    def wire_fields(cls) -> dict[str, FieldInfo]:
        """The action's fields by their camelCase binding names."""
        return _WIRE_FIELDS[cls]

    def to_binding(self) -> dict[str, Any]:
        """The JSON object the extension parses: ``actionName`` and the fields that are set."""
        result: dict[str, Any] = {"actionName": self.action_name}
        for key, f in _WIRE_FIELDS[type(self)].items():
            value = getattr(self, f.name)
            if value is not None:
                result[key] = _wire(value)
        return result


class SendToAll(Action, frozen=True):
    action_name = "sendToAll"
    data: str | bytes
    data_type: DataType = DataType.TEXT
    excluded: tuple[str, ...] = ()


class SendToGroup(Action, frozen=True):
    action_name = "sendToGroup"
    group: str
    data: str | bytes
    data_type: DataType = DataType.TEXT
    excluded: tuple[str, ...] = ()


class SendToUser(Action, frozen=True):
    action_name = "sendToUser"
    user_id: str
    data: str | bytes
    data_type: DataType = DataType.TEXT


class SendToConnection(Action, frozen=True):
    action_name = "sendToConnection"
    connection_id: str
    data: str | bytes
    data_type: DataType = DataType.TEXT


class AddUserToGroup(Action, frozen=True):
    action_name = "addUserToGroup"
    user_id: str
    group: str


class RemoveUserFromGroup(Action, frozen=True):
    action_name = "removeUserFromGroup"
    user_id: str
    group: str


class RemoveUserFromAllGroups(Action, frozen=True):
    action_name = "removeUserFromAllGroups"
    user_id: str


class AddConnectionToGroup(Action, frozen=True):
    action_name = "addConnectionToGroup"
    connection_id: str
    group: str


class RemoveConnectionFromGroup(Action, frozen=True):
    action_name = "removeConnectionFromGroup"
    connection_id: str
    group: str


class CloseAllConnections(Action, frozen=True):
    action_name = "closeAllConnections"
    excluded: tuple[str, ...] = ()
    reason: str | None = None


class CloseClientConnection(Action, frozen=True):
    action_name = "closeClientConnection"
    connection_id: str
    reason: str | None = None


class CloseGroupConnections(Action, frozen=True):
    action_name = "closeGroupConnections"
    group: str
    excluded: tuple[str, ...] = ()
    reason: str | None = None


class GrantPermission(Action, frozen=True):
    action_name = "grantPermission"
    connection_id: str
    permission: str
    target_name: str | None = None


class RevokePermission(Action, frozen=True):
    action_name = "revokePermission"
    connection_id: str
    permission: str
    target_name: str | None = None


ACTION_TYPES: dict[str, type[Action]] = {
    cls.action_name.lower(): cls
    for cls in (
        SendToAll,
        SendToGroup,
        SendToUser,
        SendToConnection,
        AddUserToGroup,
        RemoveUserFromGroup,
        RemoveUserFromAllGroups,
        AddConnectionToGroup,
        RemoveConnectionFromGroup,
        CloseAllConnections,
        CloseClientConnection,
        CloseGroupConnections,
        GrantPermission,
        RevokePermission,
    )
}
"""Every action class by its lower-cased ``actionName``."""


def wire_name(field_name: str) -> str:
    """The binding's camelCase name of a snake_case field (``data_type`` -> ``dataType``)."""
    head, *rest = field_name.split("_")
    return head + "".join(part.title() for part in rest)


def wire_fields_of(cls: type[Action]) -> dict[str, FieldInfo]:
    """An action class's fields by their binding names, in declaration order."""
    return {wire_name(f.name): f for f in fields(cls)}


# Built once: looking fields up per call cost more than the rest of to_binding().
_WIRE_FIELDS = {cls: wire_fields_of(cls) for cls in ACTION_TYPES.values()}


def json_message(payload: object) -> str:
    """Serialize a JSON message payload compactly (the binding wants a string)."""
    return strict_json.dumps(payload)


@dataclass(frozen=True)
class FilteredSend:
    """A send that carries an OData filter: the service's REST API takes one, the binding cannot."""

    action: SendToAll | SendToGroup | SendToUser
    filter: str


# The fields msgspec would not write as to_binding() does: None (left out)
# and bytes (written in Node's Buffer form, not base64).
_SPECIAL = {
    cls: tuple(f.name for f in fields(cls) if f.name in ("data", "reason", "target_name"))
    for cls in ACTION_TYPES.values()
}
_ENCODE = msgspec.json.Encoder().encode


def encode_actions(actions: Iterable[Action]) -> str | None:
    """The output binding value for ``actions``: a JSON array, or None for none.

    One array is one invocation output; the extension runs each element as
    its own action, in order.
    """
    items = list(actions)
    if not items:
        return None
    if _all_written_as_is(items):
        try:
            encoded = _ENCODE(items)
        except ValueError:  # a lone surrogate: the standard encoder escapes it
            pass
        else:
            # Actions hold text, never a number, so there is no NaN to guard
            # against; non-ASCII text is escaped as everywhere else.
            if encoded.isascii():
                return encoded.decode()
    return json_message([action.to_binding() for action in items])


def written_as_is(action: Action) -> bool:
    """True when msgspec writes ``action`` exactly as ``to_binding()`` gives it.

    It does unless a field is None (``to_binding()`` leaves it out) or data
    is bytes (the binding wants Node's Buffer form, not base64).
    """
    return _all_written_as_is((action,))


def _all_written_as_is(actions: Iterable[Action]) -> bool:
    # One loop for all: a call per action cost more than the check itself.
    for action in actions:
        for name in _SPECIAL[type(action)]:
            value = getattr(action, name)
            if value is None or type(value) is bytes:
                return False
    return True


def _wire(value: object) -> object:
    kind = type(value)
    if kind is str:
        return value
    if kind is DataType:
        return value.value  # type: ignore[attr-defined]
    if kind is tuple:
        return list(value)  # type: ignore[call-overload]
    if kind is bytes:
        # The extension reads binary data only in Node's Buffer JSON form.
        return {"type": "Buffer", "data": list(value)}  # type: ignore[call-overload]
    return value
