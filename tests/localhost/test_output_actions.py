"""Output actions become the service's REST calls, as the extension makes them."""

import json

import pytest

from tests.localhost.conftest import Call, run

BUFFER = {"type": "Buffer", "data": [0, 255]}
# (action, "METHOD path?query" under /api/hubs/chat, content type, body)
EVERY_ACTION = [
    ({"actionName": "sendToAll", "data": "hi", "excluded": ["c1", "c2"]},
     "POST /:send?excluded=c1&excluded=c2", "text/plain", b"hi"),
    ({"actionName": "SENDTOGROUP", "group": "g", "dataType": "json", "data": '{"a":1}'},
     "POST /groups/g/:send", "application/json", b'{"a":1}'),
    ({"actionName": "sendToUser", "userId": "bob", "dataType": "binary", "data": BUFFER},
     "POST /users/bob/:send", "application/octet-stream", b"\x00\xff"),
    ({"actionName": "sendToConnection", "connectionId": "c1", "data": "x"},
     "POST /connections/c1/:send", "text/plain", b"x"),
    ({"actionName": "addUserToGroup", "userId": "bob", "group": "g"}, "PUT /users/bob/groups/g", "", b""),
    ({"actionName": "removeUserFromGroup", "userId": "bob", "group": "g"},
     "DELETE /users/bob/groups/g", "", b""),
    ({"actionName": "removeUserFromAllGroups", "userId": "bob"}, "DELETE /users/bob/groups", "", b""),
    ({"actionName": "addConnectionToGroup", "connectionId": "c1", "group": "g"},
     "PUT /groups/g/connections/c1", "", b""),
    ({"actionName": "removeConnectionFromGroup", "connectionId": "c1", "group": "g"},
     "DELETE /groups/g/connections/c1", "", b""),
    ({"actionName": "closeAllConnections", "excluded": ["c1"], "reason": "bye"},
     "POST /:closeConnections?excluded=c1&reason=bye", "", b""),
    ({"actionName": "closeClientConnection", "connectionId": "c1", "reason": "bye"},
     "DELETE /connections/c1?reason=bye", "", b""),
    ({"actionName": "closeGroupConnections", "group": "g", "reason": "bye"},
     "POST /groups/g/:closeConnections?reason=bye", "", b""),
    ({"actionName": "grantPermission", "connectionId": "c1", "permission": "sendToGroup", "targetName": "g"},
     "PUT /permissions/sendToGroup/connections/c1?targetName=g", "", b""),
    ({"actionName": "revokePermission", "connectionId": "c1", "permission": "joinLeaveGroup"},
     "DELETE /permissions/joinLeaveGroup/connections/c1", "", b""),
]  # fmt: skip


def request_line(call: Call) -> str:
    """``METHOD path?query`` relative to the hub, without the api-version (checked apart)."""
    assert ("api-version", "2024-12-01") in call.query
    query = "&".join(f"{k}={v}" for k, v in call.query if k != "api-version")
    path = call.path.removeprefix("/api/hubs/chat")
    return f"{call.method} {path}" + (f"?{query}" if query else "")


@pytest.mark.parametrize("action, call_line, content_type, body", EVERY_ACTION)
def test_each_output_action_is_one_rest_call_shaped_as_the_service_expects(
    action, call_line, content_type, body, monkeypatch
):
    async def scenario(host):
        # The broadcast route passes actions through the output binding as given,
        # except that a json action's data must be a JSON value there.
        sent = dict(action)
        if str(sent.get("dataType")) == "json":
            sent["data"] = json.loads(sent["data"])
        async with host.session.post(f"{host.url}/api/broadcast", json=[sent]) as response:
            assert response.status == 202, await response.text()
        (call,) = host.service.calls
        assert (request_line(call), call.body) == (call_line, body)
        if content_type:
            assert call.content_type.split(";")[0] == content_type

    run(scenario, monkeypatch)
