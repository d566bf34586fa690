"""Through the worker: invocations per second of the message function against
do-nothing trigger functions (a plain ``def``, the usual form, an ``async
def``, and an ``async def`` that sets a constant output and returns a constant
reply, which is the worker's own share of a message), in the same real worker
(a child process)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.per_event import user_request

ROOT = Path(__file__).resolve().parent.parent
APP = Path(__file__).resolve().parent / "app"


def measure(invocations: int, rounds: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.worker", str(invocations), str(rounds)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


async def _child(invocations: int, rounds: int) -> dict:
    from tools.worker.harness import Worker

    worker = await Worker.start(APP)
    raw = user_request("message", {"room": "lobby", "text": "hello there"}, ["lobby"])
    inputs = {"request": worker.json(raw)}

    success = worker.protos.StatusResult.Success
    assert (await worker.invoke("message", inputs)).outputs, "the message function sent nothing"

    async def batch(name: str) -> float:
        # Only the worker's work is timed: what the host would wait for.
        start = time.perf_counter()
        for _ in range(invocations):
            response = await worker.invoke_raw(name, inputs)
            assert response.result.status == success
        return time.perf_counter() - start

    names = ("message", "noop", "noop_async", "noop_async_out")
    seconds = dict.fromkeys(names, 0.0)
    for name in names:
        await batch(name)  # warm up
    for _ in range(rounds):  # in turns, so that drift hits all alike
        for name in names:
            seconds[name] += await batch(name)
    total = invocations * rounds
    return {f"{name}_per_s": total / seconds[name] for name in names} | {"invocations": total}


if __name__ == "__main__":
    import logging
    import os

    os.environ.setdefault("WebPubSubHub", "chat")
    logging.disable(logging.INFO)  # the runtime logs every invocation at INFO
    print(json.dumps(asyncio.run(_child(int(sys.argv[1]), int(sys.argv[2])))))
