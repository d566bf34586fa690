"""Indexing the app (what the worker does at start) loads no SDK, no identity library
and none of the handlers: those load when a function first runs."""

import json
import os
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
    unwanted = (
        "azure.messaging",
        "azure.identity",
        "azure.core",
        "azure.data",
        "chat",
        "codec",
        "routes",
        "adapters",
    )
    prefixes = tuple(f"{name}." for name in unwanted)
    # The event names (a module of two tuples, no imports) name the trigger functions.
    allowed = {"chat", "chat.event_names"}
    assert [m for m in loaded if (m in unwanted or m.startswith(prefixes)) and m not in allowed] == []


MESSAGE_PROBE = """
import asyncio, json, sys
sys.path.insert(0, ".")
from tests import payloads as p
from tests.payloads import FakeOut
import function_app
(message,) = [f for f in function_app.app.get_functions() if f.get_function_name() == "message"]
request = p.as_request(p.user_event("message", {"text": "hi"}))
reply = asyncio.run(message.get_user_function()(request=request, actions=FakeOut()))
assert json.loads(reply["data"])["type"] == "ack", reply
print(json.dumps(sorted(sys.modules)))
"""


def test_the_message_path_loads_neither_the_sdk_nor_its_adapter():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Chat", "WebPubSub"))}
    out = subprocess.run(
        [sys.executable, "-c", MESSAGE_PROBE], cwd=ROOT, capture_output=True, text=True, check=True, env=env
    )
    loaded = json.loads(out.stdout)
    assert "chat.handlers" in loaded  # the probe really handled a message
    unwanted = ("azure.messaging", "azure.identity", "azure.core", "adapters", "routes")
    prefixes = tuple(f"{name}." for name in unwanted)
    assert [m for m in loaded if m in unwanted or m.startswith(prefixes)] == []
