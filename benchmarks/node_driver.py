"""Run one of the Node load drivers (``tests/webpubsub/node/*.mjs``) against a running loop.

A driver prints JSON lines: heartbeats (``{"progress": n}``) every second,
events of its own, and a final report. There is no wall-clock budget: the
driver ends a run itself when nothing has progressed for its stall period, and
a driver that stops printing heartbeats altogether (hung) is killed after
``silence_s``.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "tests" / "webpubsub" / "node"


def node_ready() -> str:
    """The node binary, with the SDKs installed; raises RuntimeError saying what is missing."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not on PATH: the load drivers use Microsoft's Node client SDK")
    if not (NODE_DIR / "node_modules" / "@azure" / "web-pubsub-client").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, timeout=300)
    return node


class Driver:
    """One driver process; ``pid`` is known once ``start`` returned."""

    def __init__(self, script: str, plan: dict[str, Any], silence_s: float = 60.0) -> None:
        self.script = script
        self.plan = plan
        self.silence_s = silence_s
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            node_ready(),
            str(NODE_DIR / self.script),
            json.dumps(self.plan),
            cwd=NODE_DIR,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=16 * 1024 * 1024,
        )

    async def report(self, on_line: Callable[[dict[str, Any]], None] = lambda _: None) -> dict[str, Any]:
        """Read the driver's lines until it exits; returns its last line (the report).

        ``on_line`` sees every line but the heartbeats. Raises RuntimeError when
        the driver fails or falls silent.
        """
        proc = self.proc
        assert proc is not None and proc.stdout is not None and proc.stderr is not None
        errors = asyncio.create_task(proc.stderr.read())
        last: dict[str, Any] | None = None
        try:
            while True:
                try:
                    async with asyncio.timeout(self.silence_s):
                        raw = await proc.stdout.readline()
                except TimeoutError:
                    raise RuntimeError(f"{self.script} printed nothing for {self.silence_s:.0f} s") from None
                if not raw:
                    break
                line = json.loads(raw)
                if "progress" in line:
                    continue
                on_line(line)
                last = line
            await proc.wait()
            err = (await errors).decode(errors="replace")
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            errors.cancel()
        if proc.returncode != 0 or last is None:
            raise RuntimeError(f"{self.script} failed ({proc.returncode}): {err[-2000:]}")
        return last
