"""Cold start: indexing the app as the worker does, against importing azure.functions alone.

Each sample is a fresh interpreter; the two kinds alternate so that drift on
the machine hits both alike.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What indexing must not load: the SDK, azure-identity, and the handlers
# themselves (they load when a function first runs).
HEAVY = ("azure.messaging", "azure.identity", "azure.core", "chat", "codec", "routes", "adapters")

_PROBE = """
import json, resource, sys, time
start = time.perf_counter()
{body}
elapsed = time.perf_counter() - start
heavy = sorted({{".".join(m.split(".")[:2]) for m in sys.modules
    if m in {heavy!r} or m.startswith(tuple(h + "." for h in {heavy!r}))}})
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": elapsed, "rss_kib": rss, "heavy": heavy}}))
"""
BASELINE = "import azure.functions"
APP = "import function_app\nfunction_app.app.get_functions()"


def probe(body: str) -> dict:
    code = _PROBE.format(body=body, heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def measure(samples: int) -> dict:
    app, base = [], []
    for _ in range(samples):
        base.append(probe(BASELINE))
        app.append(probe(APP))
    return {
        "app_seconds": statistics.median(s["seconds"] for s in app),
        "baseline_seconds": statistics.median(s["seconds"] for s in base),
        "app_rss_kib": statistics.median(s["rss_kib"] for s in app),
        "baseline_rss_kib": statistics.median(s["rss_kib"] for s in base),
        "heavy_modules": sorted({m for s in app for m in s["heavy"]}),
        "samples": samples,
    }
