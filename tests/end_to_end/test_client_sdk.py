"""Microsoft's Python client SDK against the whole app on the local loop: a refusal is read, not retried.

The SDK resends an event whose ack failed (three more times by default). A
refusal is a successful reply, so the app handles the event once and the
reason reaches the sender as a server message.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from azure.messaging.webpubsubclient import WebPubSubClient
from azure.messaging.webpubsubclient.models import (
    CallbackType,
    OnServerDataMessageArgs,
    WebPubSubDataType,
    WebPubSubProtocolType,
)

from tests.end_to_end.conftest import Host, run

WAIT = 10.0


class Replies:
    """The JSON server messages a client received, and a way to wait for one (bounded)."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._changed = threading.Condition()

    def add(self, args: OnServerDataMessageArgs) -> None:
        if isinstance(args.data, dict):
            with self._changed:
                self.items.append(args.data)
                self._changed.notify_all()

    def wait_for(self, wanted: dict[str, Any]) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next((r for r in self.items if wanted.items() <= r.items()), None)

        with self._changed:
            if not self._changed.wait_for(lambda: found() is not None, timeout=WAIT):
                raise AssertionError(f"no reply matching {wanted} in {self.items}")
            reply = found()
            assert reply is not None
            return reply


def converse(url: str, protocol: WebPubSubProtocolType) -> Replies:
    """Send a refused message, then a good one, through the SDK; return what came back."""
    client = WebPubSubClient(url, protocol_type=protocol, ack_timeout=WAIT, start_timeout=WAIT)
    replies = Replies()
    client.subscribe(CallbackType.SERVER_MESSAGE, replies.add)
    client.open()
    try:
        # Raises if the ack fails after the SDK's retries: a refusal must not.
        client.send_event("message", {"room": "nowhere", "text": "x", "id": "r1"}, WebPubSubDataType.JSON)
        client.send_event("message", {"text": "marker", "id": "m1"}, WebPubSubDataType.JSON)
        replies.wait_for({"type": "ack", "id": "m1"})
    finally:
        client.close()
    return replies


# The SDK's default is the reliable protocol; the plain JSON one must behave the same.
@pytest.mark.parametrize("protocol", [WebPubSubProtocolType.JSON_RELIABLE, WebPubSubProtocolType.JSON])
def test_a_refused_message_reaches_the_app_once_and_its_reason_reaches_the_sdk(protocol):
    async def scenario(host: Host) -> None:
        response = await host.negotiate("alice")
        assert response.status == 200
        url = (await response.json())["url"]
        replies = await asyncio.to_thread(converse, url, protocol)
        refusals = [r for r in replies.items if r.get("type") == "error"]
        assert refusals == [
            {
                "type": "error",
                "event": "message",
                "code": "not_joined",
                "message": "join room 'nowhere' before posting to it",
                "id": "r1",
            }
        ]

    run(scenario)
