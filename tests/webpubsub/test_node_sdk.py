"""Microsoft's Node client SDK (``@azure/web-pubsub-client``) against the local service.

The SDK is installed from the npm registry (``npm ci`` in tests/webpubsub/node)
on first use; the tests are skipped only where ``node`` is not on PATH.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.webpubsub.conftest import Harness, harness, run

NODE_DIR = Path(__file__).parent / "node"
SCRIPT = NODE_DIR / "client.mjs"
ROLES = ("webpubsub.joinLeaveGroup", "webpubsub.sendToGroup")


@pytest.fixture(scope="module")
def node() -> str:
    """The node binary, with the SDK installed."""
    binary = shutil.which("node")
    if binary is None:
        pytest.skip("node is not on PATH: the Node SDK tests need Node.js 22 or later")
    if not (NODE_DIR / "node_modules" / "@azure" / "web-pubsub-client").is_dir():
        npm = shutil.which("npm")
        assert npm is not None, "node is installed but npm is not: install npm to run the Node SDK tests"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, timeout=300)
    return binary


class NodeRun:
    """One run of the script: its output lines, and a way to answer it."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def line(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        async with asyncio.timeout(40):
            raw = await self.process.stdout.readline()
        if not raw:
            stderr = await self.process.stderr.read() if self.process.stderr else b""
            raise AssertionError(f"node ended early: {stderr.decode()[-2000:]}")
        out: dict[str, Any] = json.loads(raw)
        assert "error" not in out, out["error"]
        return out

    async def answer(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"go\n")
        await self.process.stdin.drain()

    async def finish(self) -> None:
        async with asyncio.timeout(20):
            assert await self.process.wait() == 0


async def _start(node: str, h: Harness, scenario: str, protocol: str) -> NodeRun:
    urls = [f"{h.client_url()}?access_token={h.token(user, ROLES)}" for user in ("alice", "bob")]
    process = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        scenario,
        protocol,
        *urls,
        cwd=NODE_DIR,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    return NodeRun(process)


@pytest.mark.parametrize("protocol", ["reliable", "json"])
def test_the_node_sdk_joins_sends_to_a_group_and_sends_events(node, protocol):
    async def scenario():
        async with harness() as h:
            script = await _start(node, h, "chat", protocol)
            done = (await script.line())["done"]
            await script.finish()
            assert done == {"bob": ["hello", {"n": 1}], "alice": [{"n": 1}], "eventAcked": True}
            event = (await h.handler.wait_for("greet"))[0]
            assert (event.body, event.headers["ce-userId"]) == (b"hi", "alice")
            subprotocols = {tuple(e.json()["subprotocols"]) for e in h.handler.named("connect")}
            expected = (
                "json.reliable.webpubsub.azure.v1" if protocol == "reliable" else "json.webpubsub.azure.v1"
            )
            assert subprotocols == {(expected,)}

    run(scenario, timeout=90)


def test_the_node_sdk_recovers_a_cut_socket_with_every_message_once_and_in_order(node):
    async def scenario():
        async with harness() as h:
            script = await _start(node, h, "recover", "reliable")
            for _ in range(2):
                connection_id = (await script.line())["cut"]
                assert h.running.cut("chat", connection_id)
                await script.answer()
            done = (await script.line())["done"]
            await script.finish()
            assert done["got"] == done["sent"] and len(done["sent"]) == 60
            assert done["disconnected"] == 0 and len(done["connected"]) == 1
            assert len(h.handler.named("connect")) == 2

    run(scenario, timeout=90)


def test_an_idle_node_client_is_kept_open_by_ping_and_pong(node):
    async def scenario():
        async with harness() as h:
            script = await _start(node, h, "idle", "reliable")
            done = (await script.line())["done"]
            await script.finish()
            assert done == {"connected": [done["connected"][0]], "disconnected": 0}
            assert len(h.handler.named("connect")) == 1

    run(scenario, timeout=60)
