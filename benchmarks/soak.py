"""The soak: the whole local loop under many clients, with Microsoft's Node client SDK.

``python -m benchmarks.soak`` (``scripts/soak``) runs two phases through the
local service, the host stand-in and the app in the real worker: a steady one,
and one in which reliable clients' sockets are cut mid-stream. Each prints what
it measured and whether every delivery rule held; the command fails if one did
not. ``scripts/bench`` runs the steady phase for its figures. A phase has no
time budget: it ends when every acknowledged message has reached every member
of its room, or when nothing has progressed for ``Plan.stall_s`` (a fault).
``python -m benchmarks.capacity`` finds the highest rate the loop sustains.

With ``--history`` each phase keeps chat history in an Azurite of its own
(``benchmarks.storage``), and at its end the history table must hold exactly
the messages the app acknowledged to their senders, none twice
(``benchmarks.history_check``).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import history_check, storage
from benchmarks.node_driver import ROOT, Driver
from tools import loop
from tools.webpubsub.session import Limits

RELIABLE = "json.reliable.webpubsub.azure.v1"


@dataclass(frozen=True)
class Plan:
    clients: int = 200
    rooms: int = 10
    messages: int = 20_000
    cuts: int = 0
    # No progress (ack, delivery or failed send) for this long ends the phase as stalled.
    stall_s: float = 30.0
    # The local service's reliable-protocol bounds (None: its defaults).
    limits: Limits | None = None
    # Chat history on a fresh Azurite, checked against the acknowledgements afterwards.
    history: bool = False


def rsskib() -> int:
    """This process's resident set size now (Linux), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@dataclass
class Observed:
    """What the service side saw during a phase."""

    cuts: int = 0
    per_connection_kib: float | None = None


async def run(plan: Plan) -> dict[str, Any]:
    """One phase; returns the clients' report plus the cuts made and the memory per connection.

    With ``plan.history`` the report's ``history`` is ``history_check.compare``'s
    answer (the ids lists are left out of the rest of the report).
    """
    async with storage.chat_storage(plan.history) as setting:
        with storage.in_process_app(setting):
            report = await _run(plan)
        if not plan.history:
            return report
        stored = await history_check.stored_rows(setting)
    acknowledged, delivered = report.pop("acknowledgedIds"), report.pop("deliveredIds")
    return {**report, "history": history_check.compare(acknowledged, stored, delivered)}


async def _run(plan: Plan) -> dict[str, Any]:
    running = await loop.start(ROOT, limits=plan.limits)
    observed = Observed()
    try:
        spec = {
            "host": running.url,
            "clients": plan.clients,
            "rooms": plan.rooms,
            "messages": plan.messages,
            "stallMs": int(plan.stall_s * 1000),
            "ids": plan.history,
        }
        driver = Driver("soak.mjs", spec, silence_s=plan.stall_s + 30)
        await driver.start()
        watch = asyncio.create_task(_watch(running, plan, rsskib(), observed))
        try:
            report = await driver.report()
        finally:
            watch.cancel()
    finally:
        await running.stop()
        await storage.close_app_store()
    return {**report, "cuts": observed.cuts, "perConnectionKiB": observed.per_connection_kib}


async def _watch(running: loop.Loop, plan: Plan, baseline_kib: int, observed: Observed) -> None:
    """Sample memory once every client is connected; then cut reliable sockets while messages flow."""
    rng = random.Random(plan.clients)
    connected_at: float | None = None
    now = asyncio.get_running_loop().time
    while True:
        await asyncio.sleep(0.05)
        conns = running.service.service.all_connections()
        if connected_at is None and len(conns) >= plan.clients:
            connected_at = now()
            observed.per_connection_kib = (rsskib() - baseline_kib) / plan.clients
        # Cuts start once the clients have joined their rooms and are sending.
        if connected_at is None or now() - connected_at < 1.0 or observed.cuts >= plan.cuts:
            continue
        reliable = [c for c in conns if c.protocol == RELIABLE]
        if reliable:
            victim = rng.choice(reliable)
            if running.service.cut(victim.hub, victim.id):
                observed.cuts += 1
        await asyncio.sleep(0.2)


def faults(report: dict[str, Any], cuts: bool) -> list[str]:
    """The delivery rules a phase broke, in words; empty when all held."""
    broken = []
    if report["stalled"]:
        broken.append(
            f"stalled: nothing progressed for {report['stallSeconds']:g} s with {report['unsettled']} "
            "sends unanswered"
        )
    if report["lost"]:
        broken.append(f"{report['lost']} lost, for example " + "; ".join(report["lostSamples"]))
    broken += [f"{report[k]} {k}" for k in ("reordered", "gaps") if report[k]]
    sent_twice = report["duplicates"]
    # A client's resend after a cut reaches the app under a new ack id (the
    # SDKs' behaviour), so the app may send that message twice: at most once
    # per cut to each member of the room. Without cuts nothing may arrive twice.
    room_size = -(-report["clients"] // report["rooms"])
    if sent_twice and (not cuts or sent_twice > report["cuts"] * room_size):
        broken.append(f"{sent_twice} duplicates")
    if report["sent"] + report["unacknowledged"] < report["messages"]:
        broken.append(f"only {report['sent']} of {report['messages']} messages sent")
    # Without cuts every send is acknowledged; with them the SDK may give up on
    # a send while its connection recovers (its retries are bounded).
    if report["unacknowledged"] and not cuts:
        broken.append(f"{report['unacknowledged']} sends not acknowledged: {report['failures']}")
    if report["refused"]:
        broken.append(f"{report['refused']} refused by the app: " + "; ".join(report["refusalSamples"]))
    if report["unreplied"]:
        broken.append(f"{report['unreplied']} acknowledged sends without the app's reply")
    if "history" in report:
        check = report["history"]
        broken += [f"history: {fault}" for fault in check["faults"]]
        # Without cuts nothing is resent, so no text may be stored twice.
        if check["storedAgain"] and not cuts:
            broken.append(f"history: {check['storedAgain']} messages stored twice")
    return broken


def describe(name: str, report: dict[str, Any]) -> str:
    rate = report["delivered"] / report["seconds"] if report["seconds"] else 0.0
    return (
        f"{name}: {report['clients']} clients in {report['rooms']} rooms, {report['sent']} messages sent "
        f"and acknowledged, {report['delivered']} deliveries in {report['seconds']:.1f} s "
        f"({report['sent'] / report['seconds']:.0f} messages/s in, {rate:.0f} deliveries/s out), "
        f"latency p50 {report['p50Ms']} ms p99 {report['p99Ms']} ms, {report['cuts']} sockets cut, "
        f"{report['lost']} lost, {report['duplicates']} duplicates, {report['reordered']} reordered, "
        f"{report['gaps']} sequence gaps, {report['unacknowledged']} sends the SDK gave up on, "
        f"{report['refused']} refused by the app; "
        f"memory per connection {kib(report['perConnectionKiB'])}"
    )


def kib(value: float | None) -> str:
    return "not sampled" if value is None else f"{value:.0f} KiB"


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/soak", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full soak (default 1)")
    parser.add_argument(
        "--history", action="store_true", help="chat history on (an Azurite per phase), then checked"
    )
    args = parser.parse_args()
    clients = max(2, round(200 * args.scale))
    messages = max(clients, round(20_000 * args.scale))
    failed = False
    for name, cuts in (("steady", 0), ("sockets cut", max(1, round(50 * args.scale)))):
        plan = Plan(clients=clients, rooms=10, messages=messages, cuts=cuts, history=args.history)
        report = asyncio.run(run(plan))
        print(describe(name, report), flush=True)
        if "history" in report:
            print("  " + history_check.describe(report["history"]), flush=True)
        for fault in faults(report, cuts > 0):
            print(f"  FAILED: {fault}", flush=True)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
