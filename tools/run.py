"""``python -m tools.run`` (what ``scripts/run`` starts): the whole app on this machine.

1. The Web PubSub service named by ``WebPubSubConnectionString``: this repo's
   local service (``tools.webpubsub``) is started when the connection string
   points at this machine and no Web PubSub service answers there yet.
2. Chat history's Table Storage named by ``ChatStorage``: Azurite's table
   service (``tools.azurite``, pinned in npm's files there) is started when
   the connection string's ``TableEndpoint`` is on this machine and nothing
   serves that port yet, with its data in ``.azurite/`` so that a restart
   keeps the history. Without Node.js history is off: the children get a
   blank ``ChatStorage``.
3. The Functions host: ``func start`` when Core Tools is installed (with
   Azurite when the host's storage is the development storage), else this
   repo's Functions host stand-in (``tools.localhost``).

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
from adapters.storage_access import table_access
from chat.settings import SettingsError
from composition import HISTORY_CONNECTION, history_configured
from tools import azurite, local_settings
from tools.webpubsub import config

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS_PORT = 7071
AZURITE_PORTS = (10000, 10001, 10002)
AZURITE_TABLE_PORT = AZURITE_PORTS[2]
LOOPBACK = ("localhost", "127.0.0.1", "::1")
# The hosts scripts/run starts Azurite on: IPv4 loopback, which "localhost" reaches too.
AZURITE_HOSTS = ("localhost", "127.0.0.1")
START_TIMEOUT_SECONDS = 60
# What the children get as ChatStorage when history is off. Not removed, nor
# empty: Core Tools copies a local.settings.json value into its environment
# wherever the environment's is empty (Azure/azure-functions-core-tools,
# src/Cli/func/Actions/HostActions/StartHostAction.cs, UpdateEnvironmentVariables)
# and the stand-in fills in missing ones (tools.local_settings.apply). A blank
# stays, and the app reads it as unset (composition.history_configured).
HISTORY_OFF = " "


class RunError(Exception):
    """Something stops the app from starting; the message says what to do."""


@dataclass(frozen=True)
class History:
    """What ``scripts/run`` does for chat history (the ``ChatStorage`` setting)."""

    note: str = ""
    """The line said at start; empty when ``ChatStorage`` is not set (nothing changes)."""
    start_port: int | None = None
    """Start Azurite's table service on this port (of 127.0.0.1)."""
    off: bool = False
    """Turn history off for the children (``ChatStorage`` blanked)."""


@dataclass(frozen=True)
class Plan:
    """What ``scripts/run`` starts."""

    service_endpoint: str
    start_service: bool
    use_func: bool
    start_azurite: bool
    """Start Azurite (blob, queue and table) for Core Tools' development storage."""
    history: History = History()


def web_pubsub_answers(endpoint: str, timeout: float = 2.0) -> bool:
    """Whether a Web PubSub service answers its health check at ``endpoint``."""
    request = urllib.request.Request(endpoint.rstrip("/") + "/api/health", method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether nothing listens on ``host:port`` (IPv4)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def plan(
    env: Mapping[str, str],
    func_installed: bool,
    functions_port: int = FUNCTIONS_PORT,
    *,
    node_installed: bool,
) -> Plan:
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
    if start_azurite and not node_installed:
        raise RunError(
            "AzureWebJobsStorage is the development storage, which Core Tools reaches in Azurite, which "
            "needs Node.js: install Node.js 20 or later, or set AzureWebJobsStorage to a storage account"
        )
    history = history_plan(env, node_installed, emulator_serves_tables=start_azurite)
    return Plan(endpoint, start_service, func_installed, start_azurite, history)


def history_plan(env: Mapping[str, str], node_installed: bool, emulator_serves_tables: bool) -> History:
    """What to do for ``ChatStorage``; raises RunError when it is malformed or its port is taken.

    ``emulator_serves_tables``: the Azurite started for Core Tools serves
    tables on their usual port, so a ``ChatStorage`` there needs no other.
    """
    if not history_configured(env):
        return History()
    try:
        endpoint = table_access(env, HISTORY_CONNECTION).endpoint
    except SettingsError as err:
        raise RunError(f"{err} (in the environment or local.settings.json)") from None
    url = urlsplit(endpoint)
    if (url.hostname or "").lower() not in AZURITE_HOSTS:
        return History(note=f"chat history: Table Storage at {endpoint}")
    port = url.port or 80
    if emulator_serves_tables and port == AZURITE_TABLE_PORT:
        return History(note=f"chat history: Azurite (started for Core Tools too) at {endpoint}")
    if azurite.answers(port):
        return History(note=f"chat history: using the Azurite table service already at {endpoint}")
    if not node_installed:
        return History(
            note=(
                f"chat history is off: {HISTORY_CONNECTION} names Azurite on this machine, which needs "
                "Node.js (not found): install Node.js 20 or later to keep history"
            ),
            off=True,
        )
    if not port_free(port):
        raise RunError(
            f"port {port} (the TableEndpoint of {HISTORY_CONNECTION}) is taken by something that is not "
            f"Azurite's table service: stop it, change the port in {HISTORY_CONNECTION}, or remove "
            f"{HISTORY_CONNECTION} to run without history"
        )
    return History(note=f"chat history: Azurite's table service at {endpoint}", start_port=port)


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
        self.children: list[tuple[str, subprocess.Popen[bytes], signal.Signals]] = []

    def start(
        self, name: str, command: list[str], stop_signal: signal.Signals = signal.SIGTERM
    ) -> subprocess.Popen[bytes]:
        """Start ``command``; ``stop`` sends its group ``stop_signal``, the one it shuts down cleanly on."""
        print(f"starting {name}: {' '.join(command)}", flush=True)
        try:
            child = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
        except OSError as err:
            # Found on PATH but not runnable (a broken install, a bad interpreter line).
            raise RunError(
                f"{name} could not start ({command[0]}: {err.strerror or err}): is it installed properly?"
            ) from None
        self.children.append((name, child, stop_signal))
        return child

    def exited(self) -> tuple[str, int] | None:
        for name, child, _ in self.children:
            if child.poll() is not None:
                return name, child.returncode
        return None

    def stop(self) -> None:
        for _, child, stop_signal in reversed(self.children):
            if child.poll() is None:
                os.killpg(child.pid, stop_signal)
        for _, child, _ in reversed(self.children):
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait(timeout=5)


def emulator_command(folder: Path) -> list[str]:
    """Azurite's blob, queue and table services on their usual ports (Core Tools' storage), pinned."""
    emulator = azurite.installed_executable().with_name("azurite")
    return [
        str(emulator),
        "--location",
        str(folder),
        "--silent",
        "--disableTelemetry",
        "--skipApiVersionCheck",
    ]


def installing_azurite() -> bool:
    """Whether the first use of Azurite will install it (``npm ci``: a while, once)."""
    return not (azurite.HERE / "node_modules").is_dir()


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
    parser.add_argument(
        "--azurite-folder",
        type=Path,
        default=azurite.DATA_FOLDER,
        help="where Azurite keeps its data, the chat history among it (default .azurite)",
    )
    args = parser.parse_args(argv)
    port, folder = args.port, args.azurite_folder.resolve()
    try:
        local_settings.apply(ROOT)
        steps = plan(
            os.environ,
            shutil.which("func") is not None,
            port,
            node_installed=shutil.which("node") is not None,
        )
    except (local_settings.LocalSettingsError, RunError) as err:
        print(f"scripts/run: {err}", file=sys.stderr)
        return 2
    if steps.history.off:
        os.environ[HISTORY_CONNECTION] = HISTORY_OFF
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
        if steps.history.note:
            print(steps.history.note, flush=True)
        if steps.start_azurite:
            start_azurite(processes, "Azurite", emulator_command, folder, AZURITE_TABLE_PORT)
        if steps.history.start_port is not None:
            table_port = steps.history.start_port
            start_azurite(
                processes,
                "Azurite's table service",
                lambda data: azurite.command(table_port, data),
                folder,
                table_port,
            )
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


def start_azurite(
    processes: Processes, name: str, command: Callable[[Path], list[str]], folder: Path, table_port: int
) -> None:
    """Start an Azurite with its data in ``folder`` and wait until its table service answers."""
    if installing_azurite():
        print(
            f"installing Azurite (npm ci in {azurite.HERE.relative_to(ROOT)}, the first time only)",
            flush=True,
        )
    try:
        argv = command(folder)
    except azurite.AzuriteError as err:
        raise RunError(str(err)) from None
    folder.mkdir(parents=True, exist_ok=True)
    # Azurite's table service writes its data to disk every 5 s, and on SIGINT
    # before it exits; on SIGTERM it dies at once and loses the last seconds
    # (node_modules/azurite/dist/src/table/main.js listens for SIGINT only).
    processes.start(name, argv, stop_signal=signal.SIGINT)
    wait_until(lambda: azurite.answers(table_port), processes, name)


if __name__ == "__main__":
    sys.exit(main())
