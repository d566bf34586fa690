"""``python -m tools.run`` (what ``scripts/run`` starts): the whole app on this machine.

1. The Web PubSub service named by ``WebPubSubConnectionString``: this repo's
   local service (``tools.webpubsub``) is started when the connection string
   points at this machine and no Web PubSub service answers there yet.
2. The Functions host: ``func start`` when Core Tools is installed (with
   Azurite from npm when the host's storage is the development storage),
   else this repo's Functions host stand-in (``tools.localhost``).

Everything reads the same ``local.settings.json``. Ctrl+C stops what it started.
A development tool: never deployed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from adapters.service_access import service_access
from chat.settings import SettingsError
from tools import local_settings
from tools.webpubsub import config

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS_PORT = 7071
AZURITE_PORTS = (10000, 10001, 10002)
LOOPBACK = ("localhost", "127.0.0.1", "::1")
START_TIMEOUT_SECONDS = 60


class RunError(Exception):
    """Something stops the app from starting; the message says what to do."""


@dataclass(frozen=True)
class Plan:
    """What ``scripts/run`` starts."""

    service_endpoint: str
    start_service: bool
    use_func: bool
    start_azurite: bool


def web_pubsub_answers(endpoint: str, timeout: float = 2.0) -> bool:
    """Whether a Web PubSub service answers its health check at ``endpoint``."""
    request = urllib.request.Request(endpoint.rstrip("/") + "/api/health", method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def plan(env: Mapping[str, str], func_installed: bool, functions_port: int = FUNCTIONS_PORT) -> Plan:
    """Decide what to start; raises RunError when a port is taken by something else."""
    try:
        endpoint = service_access(env, "WebPubSubConnectionString").endpoint
    except SettingsError as err:
        raise RunError(f"{err} (in the environment or local.settings.json)") from None
    url = urlsplit(endpoint)
    local = (url.hostname or "").lower() in LOOPBACK
    start_service = local and not web_pubsub_answers(endpoint)
    if start_service and not port_free(url.port or 80):
        raise RunError(
            f"port {url.port} (the Endpoint of WebPubSubConnectionString) is taken by something that is "
            "not a Web PubSub service: stop it, or change the Endpoint's port in local.settings.json"
        )
    if not port_free(functions_port):
        raise RunError(
            f"port {functions_port} is taken: stop whatever uses it (another func start?) and retry"
        )
    storage = env.get("AzureWebJobsStorage", "")
    start_azurite = (
        func_installed
        and storage.replace(" ", "").lower() == "usedevelopmentstorage=true"
        and all(port_free(p) for p in AZURITE_PORTS)
    )
    return Plan(endpoint, start_service, func_installed, start_azurite)


def handler_options(env: Mapping[str, str], port: int) -> list[str]:
    """The local service's event handler for a Functions host on another port than 7071."""
    if port == FUNCTIONS_PORT:
        return []  # the service's default (or the user's own handler settings)
    hub = env.get("WebPubSubHub", "").strip() or config.DEFAULT_HUB
    url = f"http://localhost:{port}/runtime/webhooks/webpubsub"
    system = ",".join(config.DEFAULT_SYSTEM_EVENTS)
    return ["--event-handler", f"{hub}={url} system={system} user={config.DEFAULT_USER_EVENTS}"]


class Processes:
    """Child processes, each in its own session so that Ctrl+C reaches only us; stopped in reverse."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        print(f"starting {name}: {' '.join(command)}", flush=True)
        try:
            child = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
        except OSError as err:
            # Found on PATH but not runnable (a broken install, a bad interpreter line).
            raise RunError(
                f"{name} could not start ({command[0]}: {err.strerror or err}): is it installed properly?"
            ) from None
        self.children.append((name, child))
        return child

    def exited(self) -> tuple[str, int] | None:
        for name, child in self.children:
            if child.poll() is not None:
                return name, child.returncode
        return None

    def stop(self) -> None:
        for _, child in reversed(self.children):
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for _, child in reversed(self.children):
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait(timeout=5)


def wait_until(ready: Callable[[], bool], processes: Processes, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if ready():
            return
        ended = processes.exited()
        if ended:
            raise RunError(f"{ended[0]} exited with status {ended[1]} while starting (see its output above)")
        time.sleep(0.2)
    raise RunError(f"{what} did not start within {START_TIMEOUT_SECONDS} s")


def page_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/run", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument(
        "--port", type=int, default=FUNCTIONS_PORT, help="the Functions host's port (default 7071)"
    )
    port = parser.parse_args(argv).port
    try:
        local_settings.apply(ROOT)
        steps = plan(os.environ, shutil.which("func") is not None, port)
    except (local_settings.LocalSettingsError, RunError) as err:
        print(f"scripts/run: {err}", file=sys.stderr)
        return 2
    processes = Processes()
    stopping = False

    def on_signal(signum: int, _: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        if steps.start_service:
            service = [sys.executable, "-m", "tools.webpubsub", *handler_options(os.environ, port)]
            processes.start("the local Web PubSub service", service)
            wait_until(
                lambda: web_pubsub_answers(steps.service_endpoint), processes, "The local Web PubSub service"
            )
        else:
            print(f"using the Web PubSub service at {steps.service_endpoint}", flush=True)
        if steps.start_azurite:
            processes.start("Azurite", ["npx", "--yes", "azurite", "--silent", "--location", ".azurite"])
        if steps.use_func:
            processes.start("Core Tools", ["func", "start", "--port", str(port)])
        else:
            host = [sys.executable, "-m", "tools.localhost", "--port", str(port)]
            processes.start("the Functions host stand-in (Core Tools is not installed)", host)
        chat = f"http://localhost:{port}/api/chat"
        wait_until(lambda: page_answers(chat), processes, "The Functions host")
        print(f"\nThe chat is at {chat} (open it in two windows); Ctrl+C stops everything.\n", flush=True)
        while not stopping:
            ended = processes.exited()
            if ended:
                raise RunError(f"{ended[0]} exited with status {ended[1]}")
            time.sleep(0.2)
        return 0
    except RunError as err:
        print(f"scripts/run: {err}", file=sys.stderr)
        return 1
    finally:
        processes.stop()


if __name__ == "__main__":
    sys.exit(main())
