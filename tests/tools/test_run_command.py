"""``scripts/run``'s program, as a user runs it on a machine with no Core Tools:
it starts the local service and the host stand-in, the chat works, Ctrl+C stops both."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import aiohttp
import pytest

from tests.tools.test_run import KEY, free_port
from tools.run import port_free

ROOT = Path(__file__).resolve().parents[2]


def wait_for_line(proc: subprocess.Popen[str], needle: str, seconds: float) -> list[str]:
    """Lines printed until one holds ``needle`` (bounded); fails with what was printed."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        seen.append(line)
        if needle in line:
            return seen
    raise AssertionError(f"no {needle!r} within {seconds} s; printed:\n{''.join(seen)}")


async def chat_round_trip(functions: str) -> dict[str, object]:
    """Negotiate as alice, connect, and wait for the app's own presence message about her."""
    async with aiohttp.ClientSession() as session:
        headers = {"x-ms-client-principal-name": "alice"}
        async with session.get(f"{functions}/api/negotiate", headers=headers) as response:
            assert response.status == 200, await response.text()
            url = (await response.json())["url"]
        async with session.ws_connect(url, protocols=("json.webpubsub.azure.v1",)) as ws:
            async with asyncio.timeout(20):
                async for msg in ws:
                    frame = json.loads(msg.data)
                    if frame.get("type") == "message" and frame["data"].get("type") == "presence":
                        return dict(frame["data"])
    raise AssertionError("the socket closed before the presence message")


def launch_run(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """``python -m tools.run`` in its own session, its output (both streams) readable as text."""
    return subprocess.Popen(
        [sys.executable, "-m", "tools.run", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


@pytest.mark.skipif(shutil.which("func") is not None, reason="Core Tools is installed: run would use func")
def test_run_serves_the_chat_with_no_core_tools_and_ctrl_c_stops_everything() -> None:
    service_port, functions_port = free_port(), free_port()
    env = {
        **os.environ,
        "WebPubSubConnectionString": f"Endpoint=http://localhost:{service_port};AccessKey={KEY};Version=1.0;",
        "WebPubSubHub": "chat",
        "ChatStorage": "",  # history off: tests/tools/test_run_history.py runs it on
        "PYTHONUNBUFFERED": "1",
    }
    proc = launch_run(["--port", str(functions_port)], env)
    try:
        printed = wait_for_line(proc, "The chat is at", 90)
        assert f"The chat is at http://localhost:{functions_port}/api/chat" in printed[-1]
        presence = asyncio.run(chat_round_trip(f"http://localhost:{functions_port}"))
        assert (presence["user"], presence["event"], presence["room"]) == ("alice", "joined", "lobby")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        # Both children are gone: nothing listens on their ports any more.
        assert port_free(service_port) and port_free(functions_port)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
