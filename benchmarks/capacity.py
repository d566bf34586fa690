"""Capacity, as Web PubSub's performance guide measures a tier, and unloaded latency.

``python -m benchmarks.capacity`` offers chat messages at steady rates,
stepped up (open loop: spread evenly over the senders, nobody waits for an
ack), through the whole local loop, until the 99th percentile of send to
delivery passes 1 s or anything is lost. The highest passing rate is the
loop's capacity. Two shapes: rooms of 20 (the soak's) and the guide's small
groups (rooms of 10). Each step prints its figures, the CPU share of the
loop's Python process(es) and of the Node clients, and the memory per
connection; the result sits beside Unit1's published figures.

``--history`` runs it with chat history on a fresh Azurite. The unloaded
latency (one sender, one receiver) is ``benchmarks.latency``.

Source of the method and the figures: Microsoft's Web PubSub performance
guide, https://learn.microsoft.com/azure/azure-web-pubsub/concept-performance
(the highest throughput at which 99% of messages take under 1 s), as the
contract's section 9.1 records them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass, field
from typing import Any

from benchmarks import history_check, proc, storage
from benchmarks.node_driver import ROOT, Driver
from benchmarks.split_loop import start_loop

# Unit1, from the guide: messages per second in, deliveries per second out.
UNIT1_SMALL_GROUPS = (400, 4000)
UNIT1_ECHO = 500
UNIT1_SEND_TO_USER = 180
UNIT2_SMALL_GROUPS = (800, 8000)
RATES = (50, 100, 200, 300, 400, 500, 600, 800, 1000, 1200)


@dataclass(frozen=True)
class Plan:
    clients: int = 200
    room_size: int = 10
    rates: tuple[int, ...] = RATES
    hold_s: float = 15.0
    # An unreported first step at the first rate: the app's first invocation
    # imports its handlers, which is not the loop's steady cost.
    warm_s: float = 2.0
    limit_ms: float = 1000.0
    # A step's drain ends as stalled when nothing arrived for this long.
    stall_s: float = 10.0
    senders: int | None = None
    stop_on_fail: bool = True
    # The service in this process, the host stand-in and the worker in a child, as
    # ``scripts/run`` runs them (apart); False puts the whole loop in this process.
    split: bool = True
    # Chat history on a fresh Azurite that the run starts (see benchmarks.storage); False: off.
    history: bool = False


@dataclass
class Result:
    plan: Plan
    load: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    best: dict[str, Any] | None = None
    python_kib_per_connection: float = 0.0
    node_kib_per_connection: float = 0.0
    # With history on: the messages the history table held at the end (warm-up included).
    stored: int | None = None


async def measure(plan: Plan, echo: bool = True) -> Result:
    """Run the stepped load; each step's line is printed as it ends when ``echo``."""
    async with storage.chat_storage(plan.history) as setting:
        result = await _measure(plan, echo, setting)
        if plan.history:
            result.stored = sum(map(len, (await history_check.stored_rows(setting)).values()))
    return result


async def _measure(plan: Plan, echo: bool, setting: str) -> Result:
    load = proc.load_average()
    running = await start_loop(ROOT, split=plan.split, storage=setting)
    result = Result(plan, load)
    try:
        spec = {
            "host": running.url,
            "clients": plan.clients,
            "roomSize": plan.room_size,
            "senders": plan.clients if plan.senders is None else plan.senders,
            "rates": list(plan.rates),
            "holdS": plan.hold_s,
            "warmS": plan.warm_s,
            "limitMs": plan.limit_ms,
            "stallMs": int(plan.stall_s * 1000),
            "stopOnFail": plan.stop_on_fail,
        }
        driver = Driver("load.mjs", spec, silence_s=plan.stall_s + 60)
        python_before = {name: proc.rss_kib(pid) for name, pid in running.pids.items()}
        await driver.start()
        assert driver.pid is not None
        meter = proc.CpuMeter({**running.pids, "node": driver.pid})

        def on_line(line: dict[str, Any]) -> None:
            if "connected" in line:
                grown = sum(proc.rss_kib(pid) - python_before[name] for name, pid in running.pids.items())
                result.python_kib_per_connection = grown / plan.clients
                node = line["nodeRssConnected"] - line["nodeRssBefore"]
                result.node_kib_per_connection = node / 1024 / plan.clients
            elif "begin" in line:
                meter.start()
            elif "step" in line:
                wall, used = meter.read()
                line["wallSeconds"], line["cpuSeconds"] = wall, used
                result.steps.append(line)
                if echo:
                    print("  " + describe_step(line), flush=True)

        await driver.report(on_line)
        # The highest passing step, as this side recorded it (with its CPU time).
        result.best = next((step for step in reversed(result.steps) if step["passed"]), None)
    finally:
        await running.stop()
    return result


def describe_step(step: dict[str, Any]) -> str:
    verdict = "pass" if step["passed"] else "FAIL (" + ", ".join(step_faults(step)) + ")"
    # CPU time per message holds still when other work on the machine takes CPUs away.
    wall, messages = step["wallSeconds"], max(1, step["acked"])
    cpu = ", ".join(
        f"{name} {used / wall:.0%} ({used / messages * 1000:.2f} ms/message)"
        for name, used in step["cpuSeconds"].items()
    )
    return (
        f"{step['rate']}/s offered: {step['inPerS']:.0f} in, {step['outPerS']:.0f} out per s, "
        f"p50 {ms(step['p50Ms'])} p99 {ms(step['p99Ms'])} max {ms(step['maxMs'])}; "
        f"CPU {cpu}; {verdict}"
    )


def step_faults(step: dict[str, Any]) -> list[str]:
    """Why a step failed, in words."""
    counted = ("lost", "duplicates", "reordered", "refused", "unanswered")
    faults = [f"{step[k]} {k}" for k in counted if step[k]]
    if step["behind"]:
        faults.append("fell behind (a send unanswered for 5 s)")
    if step["stalled"]:
        faults.append("stalled")
    if step["p99Ms"] is not None and step["p99Ms"] > 1000:
        faults.append("p99 over 1 s")
    faults += step["failures"]
    return faults


def summary(result: Result) -> list[str]:
    """The highest passing rate beside Unit1's (and Unit2's) figures."""
    plan = result.plan
    where = "service here, host and worker in a child" if plan.split else "one Python process"
    head = (
        f"{plan.clients} clients in rooms of {plan.room_size}, {plan.hold_s:g} s a step ({where}; "
        f"load average {result.load}): "
    )
    best = result.best
    memory = (
        f"memory per connection: Python {result.python_kib_per_connection:.0f} KiB, "
        f"Node {result.node_kib_per_connection:.0f} KiB"
    )
    if best is None:
        return [head + "no step passed", memory]
    lines = [
        head + f"highest sustained {best['rate']}/s offered: {best['inPerS']:.0f} messages/s in, "
        f"{best['outPerS']:.0f} deliveries/s out, p50 {ms(best['p50Ms'])}, p99 {ms(best['p99Ms'])}",
        memory,
        ceiling(best),
    ]
    if plan.room_size == 10:
        for unit, (inbound, outbound) in (("Unit1", UNIT1_SMALL_GROUPS), ("Unit2", UNIT2_SMALL_GROUPS)):
            lines.append(
                f"vs {unit} small groups ({inbound} in, {outbound:,} out): "
                f"{best['inPerS'] / inbound:.2f}x in, {best['outPerS'] / outbound:.2f}x out"
            )
    else:
        lines.append(
            f"vs Unit1 small groups' 4,000 out: {best['outPerS'] / UNIT1_SMALL_GROUPS[1]:.2f}x out; "
            f"vs Unit1 echo's {UNIT1_ECHO}/s in: {best['inPerS'] / UNIT1_ECHO:.2f}x; "
            f"vs Unit1 send to user's {UNIT1_SEND_TO_USER}/s: {best['inPerS'] / UNIT1_SEND_TO_USER:.2f}x"
        )
    return lines


def ceiling(step: dict[str, Any]) -> str:
    """CPU time per message by process, and the rate the machine's CPUs could carry at that cost.

    The bound is the lower of: every CPU busy with the loop; the busiest process at one CPU.

    Unlike the rates, CPU time per message hardly moves when other work on a
    shared machine takes CPUs away; the ceiling assumes every CPU free and no
    queueing, so the real capacity is below it.
    """
    messages = max(1, step["acked"])
    per = {name: used / messages * 1000 for name, used in step["cpuSeconds"].items()}
    total = sum(per.values())
    parts = ", ".join(f"{name} {value:.2f}" for name, value in per.items())
    cpus = os.cpu_count() or 1
    # Each process runs one event loop: none goes past one CPU.
    most = min(cpus * 1000 / total, 1000 / max(per.values()))
    return (
        f"CPU per message: {parts} ms (total {total:.2f} ms): {cpus} free CPUs, one at most for each "
        f"process, would carry at most {most:.0f} messages/s at that cost"
    )


def ms(value: float | None) -> str:
    """Milliseconds as the tables print them (n/a when nothing was measured)."""
    return "n/a" if value is None else f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.capacity",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--rooms-of", type=int, nargs="+", default=[20, 10], help="room sizes (default 20 10)"
    )
    parser.add_argument("--rates", type=int, nargs="+", default=list(RATES), help="offered messages/s")
    parser.add_argument("--hold", type=float, default=15.0, help="seconds each step lasts (default 15)")
    parser.add_argument("--clients", type=int, default=200, help="connections (default 200)")
    parser.add_argument(
        "--one-process", action="store_true", help="the whole loop in this process (default: host apart)"
    )
    parser.add_argument("--keep-going", action="store_true", help="run every rate, even after a failure")
    parser.add_argument(
        "--history", action="store_true", help="chat history on, in an Azurite started for the run"
    )
    args = parser.parse_args()
    for size in args.rooms_of:
        plan = Plan(
            clients=args.clients,
            room_size=size,
            rates=tuple(args.rates),
            hold_s=args.hold,
            split=not args.one_process,
            stop_on_fail=not args.keep_going,
            history=args.history,
        )
        print(f"rooms of {size}:", flush=True)
        result = asyncio.run(measure(plan))
        for line in summary(result):
            print("  " + line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
