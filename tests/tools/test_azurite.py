"""tools.azurite: Azurite's table service started, recognised and stopped, and clear errors."""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools import azurite

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def plain_http_server() -> Iterator[int]:
    """An HTTP server that is not Azurite, on a free port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_answers_only_for_azurites_table_service(azurite_tables, plain_http_server: int) -> None:
    assert azurite.answers(azurite_tables.port)
    assert not azurite.answers(plain_http_server)
    assert not azurite.answers(azurite.free_port())


def test_start_serves_the_port_with_the_data_in_the_folder_and_stop_frees_it(tmp_path: Path) -> None:
    port = azurite.free_port()
    running = asyncio.run(azurite.start(port, tmp_path / "data"))
    try:
        assert azurite.answers(port)
        assert running.connection_string == azurite.connection_string(port)
        assert (tmp_path / "data" / azurite.LOG_NAME).exists()
    finally:
        running.stop()
    running.stop()  # a second stop is harmless
    assert running.process.returncode is not None
    assert not azurite.answers(port)
    assert "__azurite_db_table__.json" in os.listdir(tmp_path / "data")


def test_a_port_taken_by_something_else_fails_with_azurites_own_words(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(azurite.AzuriteError) as caught:
            azurite.launch(port, tmp_path)
    assert str(caught.value).startswith(
        f"Azurite's table service exited with status 1 while starting on port {port}: "
    )
    assert "EADDRINUSE" in str(caught.value)


def test_the_connection_string_names_the_table_endpoint_only() -> None:
    assert azurite.connection_string(12345) == (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        f"AccountKey={azurite.ACCOUNT_KEY};TableEndpoint=http://127.0.0.1:12345/devstoreaccount1;"
    )


def test_the_example_settings_point_chatstorage_at_azurites_usual_port() -> None:
    example = json.loads((ROOT / "local.settings.json.example").read_text())
    assert example["Values"]["ChatStorage"] == azurite.connection_string(azurite.DEFAULT_PORT)


def test_the_local_data_folder_is_git_ignored() -> None:
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert f"{azurite.DATA_FOLDER.relative_to(ROOT)}/" in ignored


def test_the_command_runs_the_pinned_table_service_quietly_on_the_given_port_and_folder(
    tmp_path: Path,
) -> None:
    argv = azurite.command(10999, tmp_path)
    assert argv[0] == str(azurite.HERE / "node_modules" / ".bin" / "azurite-table")
    assert argv[1:] == [
        "--tableHost", "127.0.0.1", "--tablePort", "10999", "--location", str(tmp_path),
        "--silent", "--disableTelemetry", "--skipApiVersionCheck",
    ]  # fmt: skip


PROBE = """
from tools import azurite
try:
    azurite.installed_executable()
except azurite.AzuriteError as err:
    print(err)
"""


def test_without_node_it_says_history_is_off(tmp_path: Path) -> None:
    # An empty PATH: node cannot be found.
    argv = [sys.executable, "-c", PROBE]
    out = subprocess.run(
        argv, cwd=ROOT, env={"PATH": str(tmp_path)}, capture_output=True, text=True, check=True
    )
    assert shutil.which("node", path=str(tmp_path)) is None
    assert out.stdout.strip() == (
        "Node.js is not installed, so Azurite (the local Table Storage) cannot run and chat "
        "history is off: install Node.js 20 or later to keep history on this machine"
    )


def test_a_row_written_just_before_stop_is_there_after_a_start_on_the_same_folder(tmp_path: Path) -> None:
    from adapters.tables import TableHistoryStore
    from chat.history import StoredMessage

    message = StoredMessage(id="0" * 23 + "1", room="lobby", sender="alice", text="kept")
    port = azurite.free_port()
    env = {"ChatStorage": azurite.connection_string(port)}

    async def put() -> None:
        store = TableHistoryStore("ChatStorage", env)
        try:
            await store.put_message(message)
        finally:
            await store.close()

    async def read() -> tuple[StoredMessage, ...]:
        store = TableHistoryStore("ChatStorage", env)
        try:
            return (await store.latest("lobby", 5)).messages
        finally:
            await store.close()

    running = azurite.launch(port, tmp_path)
    try:
        asyncio.run(put())  # well within Azurite's 5 s between saves
    finally:
        running.stop()
    running = azurite.launch(port, tmp_path)
    try:
        assert asyncio.run(read()) == (message,)
    finally:
        running.stop()
