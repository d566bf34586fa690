"""Output actions, performed as the extension's collector performs them: each
one a call to the service's REST API (here through the Python service SDK)."""

from __future__ import annotations

import io
import json
from typing import Any

from azure.messaging.webpubsubservice.aio import WebPubSubServiceClient

from tools.localhost.cloudevents import CONTENT_TYPES

# The operations the extension knows, lower-cased as it matches them.
NAMES = frozenset(
    {
        "sendtoall",
        "sendtogroup",
        "sendtouser",
        "sendtoconnection",
        "addusertogroup",
        "removeuserfromgroup",
        "removeuserfromallgroups",
        "addconnectiontogroup",
        "removeconnectionfromgroup",
        "closeallconnections",
        "closeclientconnection",
        "closegroupconnections",
        "grantpermission",
        "revokepermission",
    }
)


class ActionError(ValueError):
    """An output action the extension would refuse ("Not supported WebPubSubOperation")."""


class Action:
    """An action object read as the extension reads it: keys and names in any case."""

    def __init__(self, raw: object) -> None:
        if not isinstance(raw, dict):
            raise ActionError("an action must be a JSON object")
        self._fields = {str(k).lower(): v for k, v in raw.items()}
        name = self._fields.get("actionname")
        if not isinstance(name, str) or name.lower() not in NAMES:
            raise ActionError(f"Not supported WebPubSubOperation: {name}.")
        self.name = name.lower()
        if self.name.startswith("sendto"):
            self.payload()  # checked up front, as the extension converts every action first

    def get(self, key: str) -> Any:
        return self._fields.get(key.lower())

    def payload(self) -> tuple[bytes, str]:
        """The message body and its content type; raises ActionError as the extension does."""
        data_type = str(self.get("dataType") or "text").lower()
        data = self.get("data")
        if data_type == "binary":
            if isinstance(data, dict) and str(data.get("type", "")).lower() == "buffer":
                return buffer_bytes(data), CONTENT_TYPES[data_type]
            raise ActionError("WebPubSubDataType is binary, please use ArrayBuffer as message data type.")
        if not isinstance(data, str):
            raise ActionError("Message should be string, please stringify object.")
        if data_type not in CONTENT_TYPES:
            raise ActionError(f"unknown dataType {data_type!r}")
        return data.encode(), CONTENT_TYPES[data_type]


def buffer_bytes(buffer: dict[str, Any]) -> bytes:
    """The bytes of a ``{"type": "Buffer", "data": [...]}`` value; raises ActionError for anything else.

    The extension turns ``data`` into a byte array, which a number out of
    range, or anything but a list of whole numbers, cannot become.
    """
    octets = buffer.get("data")
    if octets is None:
        return b""
    if not isinstance(octets, list) or not all(type(b) is int and 0 <= b <= 255 for b in octets):
        raise ActionError("a Buffer's data must be a list of bytes (whole numbers 0 to 255)")
    return bytes(octets)


def parse(value: str) -> list[Action]:
    """The actions in an output binding's value: one JSON object or an array of them."""
    try:
        raw = json.loads(value)
    except ValueError:
        raise ActionError("the output is not JSON") from None
    return [Action(a) for a in (raw if isinstance(raw, list) else [raw])]


async def perform(client: WebPubSubServiceClient, action: Action) -> None:
    """One action as one REST call; raises azure-core's errors when the service refuses it."""
    a, name = action, action.name
    excluded = list(a.get("excluded") or []) or None
    reason = a.get("reason") or None
    if name.startswith("sendto"):
        data, content_type = a.payload()
        # A stream keeps the bytes as they are: the SDK would JSON-encode a str again.
        body, kw = io.BytesIO(data), {"content_type": content_type}
        if name == "sendtoall":
            await client.send_to_all(body, excluded=excluded, **kw)
        elif name == "sendtogroup":
            await client.send_to_group(a.get("group"), body, excluded=excluded, **kw)
        elif name == "sendtouser":
            await client.send_to_user(a.get("userId"), body, **kw)
        else:
            await client.send_to_connection(a.get("connectionId"), body, **kw)
    elif name == "addusertogroup":
        await client.add_user_to_group(a.get("group"), a.get("userId"))
    elif name == "removeuserfromgroup":
        await client.remove_user_from_group(a.get("group"), a.get("userId"))
    elif name == "removeuserfromallgroups":
        await client.remove_user_from_all_groups(a.get("userId"))
    elif name == "addconnectiontogroup":
        await client.add_connection_to_group(a.get("group"), a.get("connectionId"))
    elif name == "removeconnectionfromgroup":
        await client.remove_connection_from_group(a.get("group"), a.get("connectionId"))
    elif name == "closeallconnections":
        await client.close_all_connections(excluded=excluded, reason=reason)
    elif name == "closeclientconnection":
        await client.close_connection(a.get("connectionId"), reason=reason)
    elif name == "closegroupconnections":
        await client.close_group_connections(a.get("group"), excluded=excluded, reason=reason)
    elif name == "grantpermission":
        await client.grant_permission(
            a.get("permission"), a.get("connectionId"), target_name=a.get("targetName")
        )
    else:
        await client.revoke_permission(
            a.get("permission"), a.get("connectionId"), target_name=a.get("targetName")
        )
