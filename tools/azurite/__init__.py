"""Azurite's table service on this machine: where chat history lives locally.

Azurite is Microsoft's Azure Storage emulator, an npm package pinned in this
folder's ``package.json`` and ``package-lock.json`` (3.35.0: the newest whose
``engines`` accept Node 20). It is installed here with ``npm ci`` the first
time it is needed. Only the table service runs (``azurite-table``), on the
loopback interface, keeping its data in the folder it is given.

    running = await start(10002, Path(".azurite"))   # or launch(...) from sync code
    running.connection_string                          # for the ChatStorage setting
    running.stop()

``answers(port)`` tells whether an Azurite table service already serves a
port (``scripts/run`` then uses it rather than starting another);
``command(port, folder)`` is the command line, for callers that run their own
processes. A development tool: never deployed (``.funcignore`` leaves
``tools`` out).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from adapters.storage_access import DEVELOPMENT_ACCOUNT as ACCOUNT
from adapters.storage_access import DEVELOPMENT_KEY as ACCOUNT_KEY

HERE = Path(__file__).resolve().parent
DEFAULT_PORT = 10002
DATA_FOLDER = HERE.parents[1] / ".azurite"
"""Where ``scripts/run`` keeps local data (git-ignored; the Functions host's Azurite uses it too)."""
START_TIMEOUT_SECONDS = 60.0
LOG_NAME = "azurite-table.log"


class AzuriteError(Exception):
    """Azurite cannot be installed or started; the message says why and what to do."""


def connection_string(port: int = DEFAULT_PORT, host: str = "127.0.0.1") -> str:
    """The connection string of the development account on Azurite's table service at ``port``."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
        f"TableEndpoint=http://{host}:{port}/{ACCOUNT};"
    )


def answers(port: int, host: str = "127.0.0.1", timeout: float = 1.0) -> bool:
    """Whether an Azurite table service answers at ``host:port``.

    Any answer will do (an unsigned request is refused with 403), as long as
    it names Azurite's table service in its ``Server`` header.
    """
    request = urllib.request.Request(f"http://{host}:{port}/{ACCOUNT}/Tables", method="GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            server = response.headers.get("Server", "")
    except urllib.error.HTTPError as err:
        server = err.headers.get("Server", "")
    except (urllib.error.URLError, OSError, ValueError):
        return False
    return str(server).startswith("Azurite-Table")


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (for tests: another process could take it before Azurite)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def installed_executable() -> Path:
    """The pinned ``azurite-table``, installed with ``npm ci`` when missing.

    Raises AzuriteError when Node.js or npm is missing or the install fails:
    without Node there is no local table service, so chat history is off.
    """
    executable = HERE / "node_modules" / ".bin" / "azurite-table"
    if shutil.which("node") is None:
        raise AzuriteError(
            "Node.js is not installed, so Azurite (the local Table Storage) cannot run and chat "
            "history is off: install Node.js 20 or later to keep history on this machine"
        )
    if executable.exists():
        return executable
    npm = shutil.which("npm")
    if npm is None:
        raise AzuriteError("Node.js is installed but npm is not: install npm to install Azurite")
    try:
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, timeout=600, capture_output=True
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
        raise AzuriteError(f"npm ci in {HERE} failed ({err}): run it there to see why") from None
    if not executable.exists():
        raise AzuriteError(f"npm ci in {HERE} did not install azurite-table")
    return executable


def command(port: int, folder: Path, host: str = "127.0.0.1") -> list[str]:
    """The command line that serves Azurite's table service at ``host:port`` with its data in ``folder``.

    Installs Azurite first if needed (see ``installed_executable``).
    """
    return [
        str(installed_executable()),
        "--tableHost",
        host,
        "--tablePort",
        str(port),
        "--location",
        str(folder),
        "--silent",  # no access log: one line per request would drown the chat's output
        "--disableTelemetry",
        # A newer client SDK may send an API version this Azurite does not know yet.
        "--skipApiVersionCheck",
    ]


@dataclass
class Running:
    """A table service this module started: stop it with ``stop()``."""

    process: subprocess.Popen[bytes]
    port: int
    folder: Path
    host: str = "127.0.0.1"

    @property
    def connection_string(self) -> str:
        """The development account's connection string for this service."""
        return connection_string(self.port, self.host)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the service (it writes its data to its folder first); idempotent."""
        if self.process.poll() is None:
            # SIGINT: the table service saves its data on SIGINT only; SIGTERM
            # kills it at once, losing what it took in its last 5 s
            # (node_modules/azurite/dist/src/table/main.js).
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def launch(
    port: int, folder: Path, host: str = "127.0.0.1", timeout: float = START_TIMEOUT_SECONDS
) -> Running:
    """Start the table service and wait until it answers; raises AzuriteError when it does not.

    Its output goes to ``azurite-table.log`` in ``folder``, which is created
    if missing. The process runs in its own session, so that Ctrl+C in a
    terminal reaches only the caller, who stops it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    argv = command(port, folder, host)
    log_path = folder / LOG_NAME
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    running = Running(process, port, folder, host)
    deadline = time.monotonic() + timeout
    while not answers(port, host):
        if process.poll() is not None:
            raise AzuriteError(
                f"Azurite's table service exited with status {process.returncode} while starting on "
                f"port {port}: {_tail(log_path)}"
            )
        if time.monotonic() > deadline:
            running.stop()
            raise AzuriteError(f"Azurite's table service did not answer on port {port} within {timeout:g} s")
        time.sleep(0.1)
    return running


async def start(
    port: int, folder: Path, host: str = "127.0.0.1", timeout: float = START_TIMEOUT_SECONDS
) -> Running:
    """``launch`` for async callers: waits in a thread, not on the event loop."""
    return await asyncio.to_thread(launch, port, folder, host, timeout)


def _tail(path: Path, lines: int = 5) -> str:
    text = path.read_text(errors="replace").strip().splitlines()
    return " | ".join(text[-lines:]) or "no output"
