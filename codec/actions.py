"""The 14 output actions of the ``webPubSub`` binding.

Each action is a frozen dataclass whose snake_case fields map one-to-one to
the binding's camelCase JSON fields; ``to_binding()`` gives the JSON object
the extension parses (``actionName`` plus the fields). ``encode_actions``
gives the string to set on the output binding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import Field, dataclass, fields
from typing import Any, ClassVar

from codec import strict_json
from codec.datatype import DataType

PERMISSIONS = ("sendToGroup", "joinLeaveGroup")


@dataclass(frozen=True)
class Action:
    """Base of every output action."""

    action_name: ClassVar[str]

    @classmethod
    def wire_fields(cls) -> dict[str, Field[Any]]:
        """The action's dataclass fields by their camelCase binding names."""
        return _WIRE_FIELDS[cls]

    def to_binding(self) -> dict[str, Any]:
        """The JSON object the extension parses: ``actionName`` and the fields that are set."""
        result: dict[str, Any] = {"actionName": self.action_name}
        for key, f in _WIRE_FIELDS[type(self)].items():
            value = getattr(self, f.name)
            if value is not None:
                result[key] = _wire(value)
        return result


@dataclass(frozen=True)
class SendToAll(Action):
    action_name = "sendToAll"
    data: str | bytes
    data_type: DataType = DataType.TEXT
    excluded: tuple[str, ...] = ()


@dataclass(frozen=True)
class SendToGroup(Action):
    action_name = "sendToGroup"
    group: str
    data: str | bytes
    data_type: DataType = DataType.TEXT
    excluded: tuple[str, ...] = ()


@dataclass(frozen=True)
class SendToUser(Action):
    action_name = "sendToUser"
    user_id: str
    data: str | bytes
    data_type: DataType = DataType.TEXT


@dataclass(frozen=True)
class SendToConnection(Action):
    action_name = "sendToConnection"
    connection_id: str
    data: str | bytes
    data_type: DataType = DataType.TEXT


@dataclass(frozen=True)
class AddUserToGroup(Action):
    action_name = "addUserToGroup"
    user_id: str
    group: str


@dataclass(frozen=True)
class RemoveUserFromGroup(Action):
    action_name = "removeUserFromGroup"
    user_id: str
    group: str


@dataclass(frozen=True)
class RemoveUserFromAllGroups(Action):
    action_name = "removeUserFromAllGroups"
    user_id: str


@dataclass(frozen=True)
class AddConnectionToGroup(Action):
    action_name = "addConnectionToGroup"
    connection_id: str
    group: str


@dataclass(frozen=True)
class RemoveConnectionFromGroup(Action):
    action_name = "removeConnectionFromGroup"
    connection_id: str
    group: str


@dataclass(frozen=True)
class CloseAllConnections(Action):
    action_name = "closeAllConnections"
    excluded: tuple[str, ...] = ()
    reason: str | None = None


@dataclass(frozen=True)
class CloseClientConnection(Action):
    action_name = "closeClientConnection"
    connection_id: str
    reason: str | None = None


@dataclass(frozen=True)
class CloseGroupConnections(Action):
    action_name = "closeGroupConnections"
    group: str
    excluded: tuple[str, ...] = ()
    reason: str | None = None


@dataclass(frozen=True)
class GrantPermission(Action):
    action_name = "grantPermission"
    connection_id: str
    permission: str
    target_name: str | None = None


@dataclass(frozen=True)
class RevokePermission(Action):
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


def wire_fields_of(cls: type[Action]) -> dict[str, Field[Any]]:
    """An action class's dataclass fields by their binding names, in declaration order."""
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


def encode_actions(actions: Iterable[Action]) -> str | None:
    """The output binding value for ``actions``: a JSON array, or None for none.

    One array is one invocation output; the extension runs each element as
    its own action, in order.
    """
    items = [action.to_binding() for action in actions]
    return json_message(items) if items else None


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
