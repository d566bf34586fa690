"""History on Azurite: the latency of storing one message and of reading a latest page of 50.

``python -m benchmarks.history [--quick]`` starts Azurite's table service on a
free port with its data in a temporary folder, measures through the app's
own store (``adapters.tables``), prints p50 and p99, and stops it. Nothing
here is asserted: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

from adapters.tables import TableHistoryStore
from benchmarks import storage
from chat import history

PAGE = 50


def percentiles(seconds: list[float]) -> dict[str, float]:
    """p50 and p99 in milliseconds."""
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {"p50_ms": statistics.median(seconds) * 1e3, "p99_ms": cuts[98] * 1e3}


async def _measure(connection: str, writes: int, reads: int) -> dict[str, dict[str, float]]:
    store = TableHistoryStore("ChatStorage", {"ChatStorage": connection}, table="Bench")
    start = datetime.now(UTC)
    try:
        await store.latest("warm-up", 1)  # builds the client and the table
        put: list[float] = []
        for n in range(writes):
            message = history.new_message(
                f"bench-{n}", start + timedelta(milliseconds=n), "lobby", "bench", "x" * 80
            )
            began = time.perf_counter()
            await store.put_message(message)
            put.append(time.perf_counter() - began)
        read: list[float] = []
        for _ in range(reads):
            began = time.perf_counter()
            page = await store.latest("lobby", PAGE)
            read.append(time.perf_counter() - began)
        assert len(page.messages) == min(PAGE, writes)  # a real page was read
    finally:
        await store.close()
    return {"put": percentiles(put), "latest_50": percentiles(read)}


def measure(writes: int = 1000, reads: int = 500) -> dict[str, dict[str, float]]:
    """Start Azurite, store ``writes`` messages one by one, read the latest page ``reads`` times."""

    async def on_azurite() -> dict[str, dict[str, float]]:
        async with storage.chat_storage(True) as connection:
            return await _measure(connection, writes, reads)

    return asyncio.run(on_azurite())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.history", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few repetitions: proves it runs")
    quick = parser.parse_args().quick
    result = measure(writes=60 if quick else 1000, reads=20 if quick else 500)
    for name, label in (("put", "store one message"), ("latest_50", f"read a latest page of {PAGE}")):
        figures = result[name]
        print(f"history on Azurite, {label}: p50 {figures['p50_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms")


if __name__ == "__main__":
    main()
