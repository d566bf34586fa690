"""Indexing the app (what the worker does at start) loads no SDK, no identity library
and none of the handlers: those load when a function first runs."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, sys
import function_app
function_app.app.get_functions()
print(json.dumps(sorted(sys.modules)))
"""


def test_indexing_loads_neither_the_sdk_nor_the_handlers():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    assert "azure.functions" in loaded  # the probe really indexed the app
    unwanted = ("azure.messaging", "azure.identity", "azure.core", "chat", "codec", "routes", "adapters")
    prefixes = tuple(f"{name}." for name in unwanted)
    assert [m for m in loaded if m in unwanted or m.startswith(prefixes)] == []
