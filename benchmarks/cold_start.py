"""Cold start: indexing the app as the worker does, against importing azure.functions alone.

Each sample is a fresh interpreter; the two kinds alternate so that drift on
the machine hits both alike. The app is indexed with chat history configured
(``ChatStorage`` naming a local Azurite, as the example settings do): indexing
must read no setting and load no Table SDK either way.

``python -m benchmarks.cold_start [--samples N]`` prints the ratio alone.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from composition import HISTORY_CONNECTION
from tools import azurite

ROOT = Path(__file__).resolve().parent.parent
# What indexing must not load: the SDKs (Web PubSub's, Tables'), azure-identity,
# and the handlers themselves (they load when a function first runs).
HEAVY = (
    "azure.messaging",
    "azure.data",
    "azure.identity",
    "azure.core",
    "chat",
    "codec",
    "routes",
    "adapters",
)
# The event names (two tuples, no imports; in the chat package) name the trigger functions at indexing.
ALLOWED = ("chat", "chat.event_names")
# History on for indexing; nothing connects to it there. (No Azurite needs to run.)
HISTORY_ON = {**os.environ, HISTORY_CONNECTION: azurite.connection_string()}

_PROBE = """
import json, resource, sys, time
start = time.perf_counter()
{body}
elapsed = time.perf_counter() - start
heavy = sorted({{".".join(m.split(".")[:2]) for m in sys.modules
    if (m in {heavy!r} or m.startswith(tuple(h + "." for h in {heavy!r}))) and m not in {allowed!r}}})
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": elapsed, "rss_kib": rss, "heavy": heavy}}))
"""
BASELINE = "import azure.functions"
APP = "import function_app\nfunction_app.app.get_functions()"


# The first invocation after indexing: the message function imports its
# handler path and handles one event (a coroutine driven without a loop, so
# that no event loop start-up is counted; history off, as a write needs a loop).
FIRST = """
import json, os, time
os.environ.setdefault("WebPubSubHub", "chat")
import function_app
(message,) = [f for f in function_app.app.get_functions() if f.get_function_name() == "message"]
context = {"eventType": "User", "eventName": "message", "hub": "chat", "connectionId": "AbCdEfGh",
           "userId": "alice", "states": {"rooms": ["lobby"]}}
data = json.dumps({"room": "lobby", "text": "hello there"})
raw = json.dumps({"connectionContext": context, "data": data, "dataType": "Json"})
class Out:
    def set(self, value): self.value = value
start = time.perf_counter()
try:
    message.get_user_function()(raw, Out()).send(None)
except StopIteration as done:
    assert done.value["dataType"] == "json", done.value
print(json.dumps(time.perf_counter() - start))
"""


def first_invocation() -> float:
    """Seconds from a function's call to its answer, the first time in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", FIRST],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, HISTORY_CONNECTION: ""},
    )
    return float(json.loads(out.stdout))


def probe(body: str) -> dict:
    code = _PROBE.format(body=body, heavy=HEAVY, allowed=ALLOWED)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, env=HISTORY_ON
    )
    return json.loads(out.stdout)


def measure(samples: int) -> dict:
    app, base, first = [], [], []
    for _ in range(samples):
        base.append(probe(BASELINE))
        app.append(probe(APP))
        first.append(first_invocation())
    return {
        "app_seconds": statistics.median(s["seconds"] for s in app),
        "baseline_seconds": statistics.median(s["seconds"] for s in base),
        "app_rss_kib": statistics.median(s["rss_kib"] for s in app),
        "baseline_rss_kib": statistics.median(s["rss_kib"] for s in base),
        "heavy_modules": sorted({m for s in app for m in s["heavy"]}),
        "first_invocation_seconds": statistics.median(first),
        "samples": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cold_start", description=__doc__)
    parser.add_argument("--samples", type=int, default=21, help="processes of each kind (default 21)")
    cold = measure(parser.parse_args().samples)
    app, base = cold["app_seconds"] * 1e3, cold["baseline_seconds"] * 1e3
    print(
        f"cold start (history configured), median of {cold['samples']}: index the app {app:.1f} ms "
        f"vs import azure.functions {base:.1f} ms, {app / base:.2f}x (goal <= 1.10x); "
        f"loaded by indexing: {', '.join(cold['heavy_modules']) or 'none'}"
    )


if __name__ == "__main__":
    main()
