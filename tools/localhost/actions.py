"""Output actions, applied as the extension's calls to the service apply them."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tools.localhost import frames
from tools.localhost.service import Service


class ActionError(ValueError):
    """An output action the extension would refuse ("Not supported WebPubSubOperation")."""


async def apply(service: Service, hub: str, actions: list[dict[str, Any]]) -> None:
    """Apply actions in order, after checking all of them (ActionError if any is unsupported)."""
    parsed = [_Action(a) for a in actions]
    for action in parsed:
        await _apply(service, hub, action)


async def _apply(service: Service, hub: str, a: _Action) -> None:
    conns = service.connections_of(hub)
    excluded = set(a.get("excluded") or [])
    name = a.name
    if name.startswith("sendto"):
        data, data_type = a.payload()
        frame = frames.server_message(data, data_type)
        targets = {
            "sendtoall": [c for c in conns if c.id not in excluded],
            "sendtogroup": [c for c in conns if a.get("group") in c.groups and c.id not in excluded],
            "sendtouser": [c for c in conns if c.user_id == a.get("userId")],
            "sendtoconnection": [c for c in conns if c.id == a.get("connectionId")],
        }[name]
        await asyncio.gather(*(service.deliver(c, frame, data) for c in targets))
    elif name in ("addusertogroup", "removeuserfromgroup"):
        members = service.user_groups[(hub, a.get("userId"))]
        adding = name == "addusertogroup"
        (members.add if adding else members.discard)(a.get("group"))
        for c in conns:
            if c.user_id == a.get("userId"):
                (c.groups.add if adding else c.groups.discard)(a.get("group"))
    elif name == "removeuserfromallgroups":
        service.user_groups.pop((hub, a.get("userId")), None)
        for c in conns:
            if c.user_id == a.get("userId"):
                c.groups.clear()
    elif name in ("addconnectiontogroup", "removeconnectionfromgroup"):
        for c in conns:
            if c.id == a.get("connectionId"):
                (c.groups.add if name == "addconnectiontogroup" else c.groups.discard)(a.get("group"))
    elif name.startswith("close"):
        targets = {
            "closeallconnections": [c for c in conns if c.id not in excluded],
            "closeclientconnection": [c for c in conns if c.id == a.get("connectionId")],
            "closegroupconnections": [
                c for c in conns if a.get("group") in c.groups and c.id not in excluded
            ],
        }[name]
        reason = a.get("reason") or "closed by the server"
        for c in targets:
            await service.send_frame(c, frames.disconnected(reason))
            if c.ws is not None:
                await c.ws.close(code=1000, message=reason.encode()[:120])
    else:  # grantpermission / revokepermission
        permission = str(a.get("permission"))
        target = a.get("targetName")
        role = f"webpubsub.{permission}" + (f".{target}" if target else "")
        for c in conns:
            if c.id == a.get("connectionId"):
                (c.roles.add if name == "grantpermission" else c.roles.discard)(role)


# The operations the extension knows, lower-cased as it matches them.
_ACTIONS = frozenset(
    [
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
    ]
)


class _Action:
    """An action object read as the extension reads it: keys and names in any case."""

    def __init__(self, raw: object) -> None:
        if not isinstance(raw, dict):
            raise ActionError("an action must be a JSON object")
        self._fields = {str(k).lower(): v for k, v in raw.items()}
        name = self._fields.get("actionname")
        if not isinstance(name, str) or name.lower() not in _ACTIONS:
            raise ActionError(f"Not supported WebPubSubOperation: {name}.")
        self.name = name.lower()
        if self.name.startswith("sendto"):
            self.payload()  # checked up front, as the extension converts all actions first

    def get(self, key: str) -> Any:
        return self._fields.get(key.lower())

    def payload(self) -> tuple[bytes | str, str]:
        data_type = str(self.get("dataType") or "text").lower()
        data = self.get("data")
        if data_type == "binary":
            if isinstance(data, dict) and str(data.get("type", "")).lower() == "buffer":
                return bytes(data.get("data") or []), data_type
            raise ActionError("WebPubSubDataType is binary, please use ArrayBuffer as message data type.")
        if not isinstance(data, str):
            raise ActionError("Message should be string, please stringify object.")
        if data_type == "json":
            try:
                json.loads(data)
            except ValueError:
                raise ActionError("data is not valid JSON") from None
        elif data_type != "text":
            raise ActionError(f"unknown dataType {data_type!r}")
        return data, data_type
