"""Group rights from roles: exact, per group, and wildcard patterns."""

from __future__ import annotations

import pytest

from tests.webpubsub.conftest import JSON, harness, receive_json, run
from tools.webpubsub.permissions import allowed
from tools.webpubsub.state import Connection


class _NoSink:
    async def deliver(self, message: object) -> None:
        raise AssertionError("not used")

    async def close(self, reason: str) -> None:
        raise AssertionError("not used")


def _conn(*roles: str) -> Connection:
    return Connection(id="c", hub="chat", user_id=None, sink=_NoSink(), roles=set(roles))


@pytest.mark.parametrize(
    ("role", "group", "expected"),
    [
        ("webpubsub.joinLeaveGroup", "anything", True),
        ("webpubsub.joinLeaveGroup.room", "room", True),
        ("webpubsub.joinLeaveGroup.room", "room2", False),
        ("webpubsub.joinLeaveGroups.room.*", "room.a", True),
        ("webpubsub.joinLeaveGroups.room.*", "room.a.b", False),
        ("webpubsub.joinLeaveGroups.room.**", "room.a.b", True),
        ("webpubsub.joinLeaveGroups.room.?", "room.a", True),
        ("webpubsub.joinLeaveGroups.room.?", "room.ab", False),
        ("webpubsub.joinLeaveGroups.room.*", "Room.a", False),
        ("webpubsub.joinLeaveGroups.a+b", "a+b", True),
        ("webpubsub.joinLeaveGroups.a+b", "aab", False),
        ("webpubsub.sendToGroups.room.*", "room.a", False),
    ],
)
def test_join_leave_rights_by_role(role, group, expected):
    assert allowed(_conn(role), "joinLeaveGroup", group) is expected


def test_a_wildcard_role_in_the_token_lets_a_client_join_the_groups_it_matches():
    async def scenario():
        async with harness() as h:
            ws = await h.connect(JSON, "alice", ("webpubsub.joinLeaveGroups.room.*",))
            await receive_json(ws, "system")
            await ws.send_json({"type": "joinGroup", "group": "room.lobby", "ackId": 1})
            assert (await receive_json(ws, "ack"))["success"] is True
            await ws.send_json({"type": "joinGroup", "group": "other", "ackId": 2})
            assert (await receive_json(ws, "ack"))["error"]["name"] == "Forbidden"
            await ws.close()

    run(scenario)
