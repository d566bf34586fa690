"""``python -m benchmarks [--quick] [--out FILE]``: print the table and write it to a file."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import capacity, cold_start, growth, history, latency, per_event, soak, worker

ROOT = Path(__file__).resolve().parent.parent
# Issue 12's goals: an event costs no more than one JSON round trip of it (a
# broadcast, JSON inside JSON, 1.5 of them), and the message function handles
# at least half the events of a do-nothing async function.
GOALS = {"cold": 1.10, "event": 1.0, "broadcast": 1.5, "worker_async": 0.5, "growth": 2.0}


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="few repetitions: proves it runs, numbers mean little"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "benchmarks.md")
    args = parser.parse_args()
    q = args.quick
    cold = cold_start.measure(samples=3 if q else 21)
    events = per_event.measure(repeat=3 if q else 7, number=50 if q else 2000)
    through = worker.measure(invocations=20 if q else 300, rounds=2 if q else 5)
    grown = growth.measure(repeat=2 if q else 5, budget=20 if q else 2000)
    soaked = asyncio.run(soak.run(soak.Plan(clients=10, rooms=5, messages=500) if q else soak.Plan()))
    unloaded = asyncio.run(latency.with_and_without_history(hold_s=2.0 if q else 10.0, rounds=1 if q else 3))
    stored = history.measure(writes=60 if q else 1000, reads=20 if q else 500)
    table = "\n".join(
        [
            render(cold, events, through, grown, q),
            render_soak(soaked),
            render_latency(unloaded),
            render_history(stored),
        ]
    )
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table + "\n")
    print(f"\n(written to {args.out})")


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def render(cold: dict, events: list[dict], through: dict, grown: dict, quick: bool) -> str:
    machine = f"{platform.system()} {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
    mode = " (quick mode: numbers mean little)" if quick else ""
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    lines = [
        f"Benchmarks, {when}, Python {platform.python_version()}, {machine}{mode}",
        "",
        "| measure | app | baseline | ratio | goal | |",
        "|---|---|---|---|---|---|",
    ]
    ratio = cold["app_seconds"] / cold["baseline_seconds"]
    lines.append(
        f"| cold start: index the app vs import azure.functions (median of {cold['samples']} processes) "
        f"| {cold['app_seconds'] * 1e3:.1f} ms | {cold['baseline_seconds'] * 1e3:.1f} ms | {ratio:.2f}x "
        f"| <= {GOALS['cold']}x | {verdict(ratio <= GOALS['cold'])} |"
    )
    heavy = ", ".join(cold["heavy_modules"]) or "none"
    lines.append(
        f"| SDK, identity or handler modules loaded by indexing | {heavy} | | | none "
        f"| {verdict(not cold['heavy_modules'])} |"
    )
    lines.append(
        f"| first invocation: the message function's first event after indexing (handler imports included) "
        f"| {cold['first_invocation_seconds'] * 1e3:.1f} ms | | | (reported) | |"
    )
    for row in events:
        goal = GOALS["broadcast" if row["event"].startswith("broadcast") else "event"]
        lines.append(
            f"| per event: {row['event']} vs json.loads + json.dumps | {row['handler_us']:.1f} µs "
            f"| {row['baseline_us']:.1f} µs | {row['ratio']:.2f}x | <= {goal}x "
            f"| {verdict(row['ratio'] <= goal)} |"
        )
    ratio = through["message_per_s"] / through["noop_async_per_s"]
    lines.append(
        f"| worker: message vs a do-nothing `async def` trigger ({through['invocations']} each) "
        f"| {through['message_per_s']:.0f}/s | {through['noop_async_per_s']:.0f}/s | {ratio:.2f}x "
        f"| >= {GOALS['worker_async']}x | {verdict(ratio >= GOALS['worker_async'])} |"
    )
    ratio = through["message_per_s"] / through["noop_per_s"]
    lines.append(
        f"| worker: message vs a do-nothing `def` trigger (the usual form, with its thread hop) "
        f"| {through['message_per_s']:.0f}/s | {through['noop_per_s']:.0f}/s | {ratio:.2f}x "
        "| (reported) | |"
    )
    ratio = through["message_per_s"] / through["noop_async_out_per_s"]
    lines.append(
        "| worker: message vs an `async def` trigger that sets a constant output, returns a constant reply "
        f"| {through['message_per_s']:.0f}/s | {through['noop_async_out_per_s']:.0f}/s | {ratio:.2f}x "
        "| (reported) | |"
    )
    for key, unit in (("actions", "action"), ("bytes", "byte")):
        series = grown[key]
        marginal = ", ".join(_time(m) for m in series["marginal"])
        per_unit = ", ".join(_time(p) for p in series["per_unit"])
        spread = series["marginal_spread"]
        sizes = "/".join(map(str, series["sizes"]))
        lines.append(
            f"| growth per {unit}, sizes {sizes}: marginal {marginal}; plain {per_unit} | | "
            f"| {spread:.2f}x spread | <= {GOALS['growth']}x | {verdict(spread <= GOALS['growth'])} |"
        )
    mem = cold["app_rss_kib"] / cold["baseline_rss_kib"]
    lines.append(
        f"| memory: peak RSS after indexing vs azure.functions alone | {cold['app_rss_kib'] / 1024:.1f} MiB "
        f"| {cold['baseline_rss_kib'] / 1024:.1f} MiB | {mem:.2f}x | (reported) | |"
    )
    return "\n".join(lines)


def render_soak(report: dict) -> str:
    """The soak's figures (reported, no goal): throughput, latency, memory per connection."""
    memory = soak.kib(report["perConnectionKiB"])
    return "\n".join(
        [
            f"| soak through the local loop: {report['clients']} clients in {report['rooms']} rooms, "
            f"{report['sent']} messages | {report['sent'] / report['seconds']:.0f} messages/s, "
            f"{report['delivered'] / report['seconds']:.0f} deliveries/s | | | (reported) | |",
            f"| soak latency, send to delivery | p50 {report['p50Ms']} ms, p99 {report['p99Ms']} ms "
            "| | | (reported) | |",
            f"| soak memory per connection (service, host and app in one process) | {memory} | | "
            "| (reported) | |",
        ]
    )


def render_latency(pair: dict[str, Any]) -> str:
    """The loop's own latency, nothing queued, with history off and on, and the goal for the two."""
    rows = []
    for report in (pair["off"], pair["on"]):
        state = "history on (Azurite)" if report["history"] else "history off"
        faults = "" if report["passed"] else f" (faults: {', '.join(report['faults'])})"
        rows.append(
            f"| unloaded latency, send to delivery, {state}: one sender, one receiver, 20 messages/s, "
            f"{report['messages']} messages, median of {report['rounds']} runs{faults} "
            f"| p50 {capacity.ms(report['p50Ms'])}, p99 {capacity.ms(report['p99Ms'])} | | | (reported) | |"
        )
    ratio = "n/a" if pair["ratio"] is None else f"{pair['ratio']:.2f}x"
    rows.append(
        f"| unloaded latency p99, history on vs off | {capacity.ms(pair['on']['p99Ms'])} "
        f"| {capacity.ms(pair['off']['p99Ms'])} | {ratio} "
        f"| <= {latency.GOAL_RATIO}x and < {latency.GOAL_P99_MS:g} ms | {verdict(latency.meets_goal(pair))} |"
    )
    return "\n".join(rows)


def render_history(stored: dict[str, dict[str, float]]) -> str:
    """The store on Azurite, one call at a time (reported, no goal)."""
    put, page = stored["put"], stored["latest_50"]
    return "\n".join(
        [
            f"| history on Azurite: store one message | p50 {put['p50_ms']:.2f} ms, "
            f"p99 {put['p99_ms']:.2f} ms | | | (reported) | |",
            f"| history on Azurite: read a latest page of {history.PAGE} | p50 {page['p50_ms']:.2f} ms, "
            f"p99 {page['p99_ms']:.2f} ms | | | (reported) | |",
        ]
    )


def _time(seconds: float) -> str:
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.2f} µs"
    return f"{seconds * 1e9:.2f} ns"


if __name__ == "__main__":
    main()
