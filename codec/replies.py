"""What the app answers the service with, for any event.

``to_binding()`` gives the dict a trigger function returns: the worker sends a
dict as ``TypedData.json``, which the extension reads as a JSON object. (A
returned string is not a JSON object to the extension and is ignored.)
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import msgspec

from codec.datatype import DataType


class ErrorCode(enum.StrEnum):
    """The codes of a rejected event, as the extension names them."""

    UNAUTHORIZED = "unauthorized"
    USER_ERROR = "userError"
    SERVER_ERROR = "serverError"

    @property
    def http_status(self) -> int:
        """The status the service sees for this error (the extension's mapping)."""
        return {"unauthorized": 401, "userError": 400, "serverError": 500}[self.value]


class ErrorReply(msgspec.Struct, frozen=True):
    """Reject the event. A rejected connect closes the client."""

    code: ErrorCode
    message: str

    def to_binding(self) -> dict[str, Any]:
        """The dict a trigger function returns to reject the event."""
        return {"code": self.code.value, "errorMessage": self.message}


class ConnectReply(msgspec.Struct, frozen=True):
    """Accept a connection, optionally setting its user, groups, roles and states."""

    user_id: str | None = None
    groups: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    subprotocol: str | None = None
    states: Mapping[str, Any] = msgspec.field(default_factory=dict)

    def to_binding(self) -> dict[str, Any]:
        """The dict a connect trigger returns to accept; unset fields are left out."""
        reply: dict[str, Any] = {}
        if self.user_id is not None:
            reply["userId"] = self.user_id
        if self.groups:
            reply["groups"] = list(self.groups)
        if self.roles:
            reply["roles"] = list(self.roles)
        if self.subprotocol is not None:
            reply["subprotocol"] = self.subprotocol
        if self.states:
            reply["states"] = dict(self.states)
        return reply


class UserEventReply(msgspec.Struct, frozen=True):
    """Answer the sender of a user event, optionally updating its states."""

    data: str
    data_type: DataType = DataType.TEXT
    states: Mapping[str, Any] = msgspec.field(default_factory=dict)

    def to_binding(self) -> dict[str, Any]:
        """The dict a user-event trigger returns to answer the sender."""
        # _value_, the value's own attribute: .value goes through a property.
        reply: dict[str, Any] = {"data": self.data, "dataType": self.data_type._value_}
        if self.states:
            reply["states"] = dict(self.states)
        return reply


ServiceReply = ErrorReply | ConnectReply | UserEventReply
"""Any answer to the service: the codec layer's one answer type."""
