"""The chat app plus two do-nothing functions, for the worker benchmark.

The worker indexes this file as it would the real ``function_app.py``; the
real app is loaded under another module name so that the two do not clash.
"""

import importlib.util
import sys
from pathlib import Path

import azure.functions as func

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
_spec = importlib.util.spec_from_file_location("chat_function_app", ROOT / "function_app.py")
assert _spec is not None and _spec.loader is not None
_chat = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_chat)

app = _chat.create_app()
noop_bp = func.Blueprint()


@noop_bp.function_name("noop")
@noop_bp.generic_trigger(
    arg_name="request", type="webPubSubTrigger", hub="%WebPubSubHub%", event_type="user", event_name="noop"
)
def noop(request: str) -> None:
    return None


@noop_bp.function_name("noop_async")
@noop_bp.generic_trigger(
    arg_name="request",
    type="webPubSubTrigger",
    hub="%WebPubSubHub%",
    event_type="user",
    event_name="noop_async",
)
async def noop_async(request: str) -> None:
    return None


@noop_bp.function_name("noop_async_out")
@noop_bp.generic_trigger(
    arg_name="request",
    type="webPubSubTrigger",
    hub="%WebPubSubHub%",
    event_type="user",
    event_name="noop_async_out",
)
@noop_bp.generic_output_binding(arg_name="actions", type="webPubSub", hub="%WebPubSubHub%")
async def noop_async_out(request: str, actions: func.Out[str]) -> dict:
    # What the message function hands the worker, without computing it: the
    # worker's own cost of an output binding and a returned reply.
    actions.set(ACTIONS)
    return dict(REPLY)


ACTIONS = '[{"actionName":"sendToGroup","group":"lobby","data":"{}","dataType":"json","excluded":[]}]'
REPLY = {"data": '{"type":"ack"}', "dataType": "json"}
app.register_functions(noop_bp)
del _chat  # the worker looks for exactly one app at the top level
