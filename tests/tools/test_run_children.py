"""``scripts/run``'s program when a child crashes or never starts, and its Core Tools branch.

Core Tools is a fake ``func`` that this test writes on ``PATH``: it records
its arguments and the ``ChatStorage`` it was given, then crashes, serves the
chat page once and exits, serves it until stopped, or cannot be executed at
all, as the test asks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.tools.test_run import KEY, free_port

ROOT = Path(__file__).resolve().parents[2]
AZURE_ENDPOINT = "https://example.webpubsub.azure.com"

FAKE_FUNC = """#!{python}
import json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

with open(os.environ["FAKE_FUNC_ARGS"], "w") as f:
    json.dump({{"argv": sys.argv[1:], "ChatStorage": os.environ.get("ChatStorage")}}, f)
if {mode!r} == "crash":
    print("fake func: the host failed to start", file=sys.stderr)
    sys.exit(3)


class Page(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/api/chat" else 404)
        self.end_headers()
        self.server.served = self.path == "/api/chat"

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", int(sys.argv[sys.argv.index("--port") + 1])), Page)
if {mode!r} == "stay":
    server.serve_forever()  # until scripts/run stops it
server.served = False
while not server.served:
    server.handle_request()
sys.exit(4)  # the host dies once the page was seen
"""


def bin_with(tmp_path: Path, func: str | None) -> Path:
    """A folder for PATH holding ``func`` (a script), or nothing when None."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if func is not None:
        script = bin_dir / "func"
        script.write_text(func)
        script.chmod(0o755)
    return bin_dir


def run_env(tmp_path: Path, bin_dir: Path, endpoint: str = AZURE_ENDPOINT, **extra: str) -> dict[str, str]:
    """The environment of a run: ``bin_dir`` first on PATH, no history unless ``extra`` sets ChatStorage."""
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "WebPubSubConnectionString": f"Endpoint={endpoint};AccessKey={KEY};Version=1.0;",
        "WebPubSubHub": "chat",
        # Not the development storage: no Azurite, whatever local.settings.json says.
        "AzureWebJobsStorage": "DefaultEndpointsProtocol=https;AccountName=none",
        # Set and empty: the example's ChatStorage is not filled in (history not configured).
        "ChatStorage": "",
        "FAKE_FUNC_ARGS": str(tmp_path / "func-args.json"),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def func_saw(tmp_path: Path) -> dict[str, Any]:
    """What the fake Core Tools recorded: its arguments and its ChatStorage."""
    found = json.loads((tmp_path / "func-args.json").read_text())
    assert isinstance(found, dict)
    return found


def run_tool(tmp_path: Path, *, func: str | None, endpoint: str = AZURE_ENDPOINT, **extra: str):
    """Run ``python -m tools.run`` with ``func`` (a script, or None) first on PATH; bounded."""
    env = run_env(tmp_path, bin_with(tmp_path, func), endpoint, **extra)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.run", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        # Ctrl+C, so that run stops the children it started in their own sessions.
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
        raise AssertionError(f"run did not stop by itself; printed:\n{stdout}{stderr}") from None
    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    return done, port


def fake_func(mode: str) -> str:
    return FAKE_FUNC.format(python=sys.executable, mode=mode)


def test_with_core_tools_run_starts_func_on_the_port_and_stops_when_it_exits(tmp_path):
    done, port = run_tool(tmp_path, func=fake_func("serve"))
    assert func_saw(tmp_path) == {"argv": ["start", "--port", str(port)], "ChatStorage": ""}
    assert f"using the Web PubSub service at {AZURE_ENDPOINT}\n" in done.stdout
    assert "chat history" not in done.stdout  # ChatStorage not set: nothing about it
    assert f"starting Core Tools: func start --port {port}\n" in done.stdout
    assert f"The chat is at http://localhost:{port}/api/chat" in done.stdout
    assert "stand-in" not in done.stdout
    assert (done.returncode, done.stderr) == (1, "scripts/run: Core Tools exited with status 4\n")


def test_core_tools_crashing_while_starting_is_reported_with_its_status(tmp_path):
    done, _ = run_tool(tmp_path, func=fake_func("crash"))
    assert done.returncode == 1
    assert done.stderr == (
        "fake func: the host failed to start\n"
        "scripts/run: Core Tools exited with status 3 while starting (see its output above)\n"
    )
    assert "The chat is at" not in done.stdout


def test_core_tools_that_cannot_be_executed_is_a_clear_error_not_a_traceback(tmp_path):
    done, _ = run_tool(tmp_path, func="#!/nonexistent/interpreter\n")
    assert done.returncode == 1
    assert done.stderr == (
        "scripts/run: Core Tools could not start (func: No such file or directory): "
        "is it installed properly?\n"
    )


# Loaded by every Python child through PYTHONPATH: the local service dies at startup.
CRASHING_SERVICE = """import os, sys
if "tools.webpubsub" in sys.orig_argv:
    print("the service crashed", file=sys.stderr, flush=True)
    os._exit(5)
"""


def test_the_local_service_crashing_while_starting_stops_run_before_the_host_starts(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(CRASHING_SERVICE)
    done, _ = run_tool(tmp_path, func=None, endpoint=f"http://localhost:{free_port()}", PYTHONPATH=str(site))
    assert done.returncode == 1
    assert done.stderr == (
        "the service crashed\n"
        "scripts/run: the local Web PubSub service exited with status 5 while starting "
        "(see its output above)\n"
    )
    assert "starting the local Web PubSub service: " in done.stdout
    assert "Functions host" not in done.stdout
