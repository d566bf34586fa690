"""``scripts/run``'s program with chat history: Azurite's table service started, kept across a
restart and stopped by Ctrl+C; history off without Node; a remote ChatStorage passed on as it is.

Core Tools is the fake ``func`` of ``test_run_children``, which records the
``ChatStorage`` the host was given.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from adapters.tables import TableHistoryStore
from chat.history import StoredMessage, message_id
from tests.tools.test_run import REMOTE_STORAGE, free_port
from tests.tools.test_run_children import bin_with, fake_func, func_saw, run_env, run_tool
from tests.tools.test_run_command import launch_run, wait_for_line
from tools import azurite
from tools.run import HISTORY_OFF, port_free

OFF_LINE = (
    "chat history is off: ChatStorage names Azurite on this machine, which needs Node.js "
    "(not found): install Node.js 20 or later to keep history\n"
)


def test_without_node_run_says_history_is_off_once_and_the_host_gets_a_blank_chatstorage(tmp_path):
    table_port = azurite.free_port()
    # PATH holds the fake func only: no node.
    done, _ = run_tool(
        tmp_path,
        func=fake_func("serve"),
        ChatStorage=azurite.connection_string(table_port),
        PATH=str(tmp_path / "bin"),
    )
    assert done.stdout.count("chat history") == 1 and OFF_LINE in done.stdout
    assert func_saw(tmp_path)["ChatStorage"] == HISTORY_OFF
    assert "Azurite" not in done.stdout.replace(OFF_LINE, "")
    assert port_free(table_port)
    assert (done.returncode, done.stderr) == (1, "scripts/run: Core Tools exited with status 4\n")


def test_a_remote_chatstorage_reaches_the_host_as_it_is_and_starts_no_azurite(tmp_path):
    done, _ = run_tool(tmp_path, func=fake_func("serve"), ChatStorage=REMOTE_STORAGE)
    assert "chat history: Table Storage at https://chatstore.table.core.windows.net\n" in done.stdout
    assert func_saw(tmp_path)["ChatStorage"] == REMOTE_STORAGE
    assert "Azurite" not in done.stdout


def start_run(tmp_path: Path, table_port: int, folder: Path) -> tuple[subprocess.Popen[str], list[str]]:
    """``python -m tools.run`` with a local ChatStorage on ``table_port``, up and serving the chat."""
    env = run_env(
        tmp_path, bin_with(tmp_path, fake_func("stay")), ChatStorage=azurite.connection_string(table_port)
    )
    proc = launch_run(["--port", str(free_port()), "--azurite-folder", str(folder)], env)
    try:
        return proc, wait_for_line(proc, "The chat is at", 180)
    except BaseException:
        stop(proc)
        raise


def ctrl_c(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGINT)
    return proc.wait(timeout=60)


def stop(proc: subprocess.Popen[str]) -> None:
    """Ctrl+C, so that run stops the children in their own sessions; killed if it hangs."""
    if proc.poll() is None:
        try:
            ctrl_c(proc)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


async def write_then_read(connection_string: str, message: StoredMessage | None, room: str) -> list[str]:
    """Store ``message`` (when given) through the app's store, then the room's latest texts."""
    store = TableHistoryStore("ChatStorage", {"ChatStorage": connection_string})
    try:
        if message is not None:
            await store.put_message(message)
        page = await store.latest(room, 10)
        return [m.text for m in page.messages]
    finally:
        await store.close()


def test_run_starts_azurite_for_a_local_chatstorage_keeps_history_across_a_restart_and_ctrl_c_stops_it(
    tmp_path,
):
    table_port = azurite.free_port()
    folder = tmp_path / "azurite-data"
    connection = azurite.connection_string(table_port)
    said = StoredMessage(
        id=message_id("event-1", datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)),
        room="lobby",
        sender="alice",
        text="still here after a restart",
    )
    proc, printed = start_run(tmp_path, table_port, folder)
    try:
        text = "".join(printed)
        assert (
            f"chat history: Azurite's table service at http://127.0.0.1:{table_port}/devstoreaccount1\n"
            in (text)
        )
        assert f"starting Azurite's table service: {azurite.command(table_port, folder)[0]} " in text
        assert azurite.answers(table_port)
        assert func_saw(tmp_path)["ChatStorage"] == connection  # the host reaches it
        assert asyncio.run(write_then_read(connection, said, "lobby")) == [said.text]
        assert ctrl_c(proc) == 0
        assert not azurite.answers(table_port) and port_free(table_port)
        assert (folder / "__azurite_db_table__.json").exists()

        proc, _ = start_run(tmp_path, table_port, folder)
        assert asyncio.run(write_then_read(connection, None, "lobby")) == [said.text]
        assert ctrl_c(proc) == 0
        assert port_free(table_port)
    finally:
        stop(proc)
