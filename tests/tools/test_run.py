"""What ``scripts/run`` decides to start, before it starts anything (chat history's Azurite included)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tools import azurite
from tools.run import (
    AZURITE_PORTS,
    AZURITE_TABLE_PORT,
    HISTORY_OFF,
    History,
    Plan,
    RunError,
    emulator_command,
    history_plan,
    plan,
    port_free,
)

KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings(endpoint: str, **extra: str) -> dict[str, str]:
    return {"WebPubSubConnectionString": f"Endpoint={endpoint};AccessKey={KEY};Version=1.0;", **extra}


@contextmanager
def http_server(health_status: int) -> Iterator[int]:
    """A loopback server whose /api/health answers ``health_status``."""

    class Handler(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:  # noqa: N802 (the stdlib's naming)
            self.send_response(health_status if self.path == "/api/health" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def test_a_local_endpoint_with_nothing_there_starts_the_local_service() -> None:
    port = free_port()
    got = plan(
        settings(f"http://localhost:{port}"),
        func_installed=False,
        node_installed=True,
        functions_port=free_port(),
    )
    assert got == Plan(f"http://localhost:{port}", start_service=True, use_func=False, start_azurite=False)


def test_a_web_pubsub_service_already_answering_is_used_as_it_is() -> None:
    with http_server(200) as port:
        got = plan(
            settings(f"http://127.0.0.1:{port}"),
            func_installed=False,
            node_installed=True,
            functions_port=free_port(),
        )
    assert got.start_service is False


def test_a_port_taken_by_something_else_is_a_clear_error_naming_it() -> None:
    with http_server(404) as port, pytest.raises(RunError) as err:
        plan(
            settings(f"http://localhost:{port}"),
            func_installed=False,
            node_installed=True,
            functions_port=free_port(),
        )
    assert f"port {port} (the Endpoint of WebPubSubConnectionString) is taken" in str(err.value)
    assert KEY not in str(err.value)


def test_a_taken_functions_port_is_a_clear_error() -> None:
    with http_server(404) as taken, pytest.raises(RunError) as err:
        plan(
            settings(f"http://localhost:{free_port()}"),
            func_installed=False,
            node_installed=True,
            functions_port=taken,
        )
    assert str(err.value).startswith(f"port {taken} is taken")


def test_an_azure_endpoint_starts_no_local_service() -> None:
    env = settings("https://example.webpubsub.azure.com")
    assert (
        plan(env, func_installed=False, node_installed=True, functions_port=free_port()).start_service
        is False
    )
    identity = {"WebPubSubConnectionString__serviceUri": "https://example.webpubsub.azure.com"}
    assert (
        plan(identity, func_installed=False, node_installed=True, functions_port=free_port()).start_service
        is False
    )


def test_core_tools_with_development_storage_gets_azurite_and_without_it_does_not() -> None:
    env = settings("https://example.webpubsub.azure.com", AzureWebJobsStorage="UseDevelopmentStorage=true")
    with_func = plan(env, func_installed=True, node_installed=True, functions_port=free_port())
    assert (with_func.use_func, with_func.start_azurite) == (True, True)
    assert (
        plan(env, func_installed=False, node_installed=True, functions_port=free_port()).start_azurite
        is False
    )
    real = settings(
        "https://example.webpubsub.azure.com", AzureWebJobsStorage="DefaultEndpointsProtocol=https"
    )
    assert (
        plan(real, func_installed=True, node_installed=True, functions_port=free_port()).start_azurite
        is False
    )


def test_a_malformed_connection_string_is_an_error_naming_the_setting_not_its_value() -> None:
    with pytest.raises(RunError) as err:
        plan({"WebPubSubConnectionString": f"AccessKey={KEY}"}, func_installed=False, node_installed=True)
    assert "WebPubSubConnectionString has no Endpoint" in str(err.value)
    assert KEY not in str(err.value)


def test_core_tools_with_development_storage_and_no_node_is_a_clear_error() -> None:
    env = settings("https://example.webpubsub.azure.com", AzureWebJobsStorage="UseDevelopmentStorage=true")
    if not all(port_free(p) for p in AZURITE_PORTS):
        pytest.skip("something on this machine serves Azurite's ports: run would use it")
    with pytest.raises(RunError) as err:
        plan(env, func_installed=True, node_installed=False, functions_port=free_port())
    assert str(err.value) == (
        "AzureWebJobsStorage is the development storage, which Core Tools reaches in Azurite, which "
        "needs Node.js: install Node.js 20 or later, or set AzureWebJobsStorage to a storage account"
    )


# Chat history: what run does for ChatStorage.

AZURE = "https://example.webpubsub.azure.com"
REMOTE_STORAGE = (
    f"DefaultEndpointsProtocol=https;AccountName=chatstore;AccountKey={KEY};EndpointSuffix=core.windows.net"
)


def history_of(node_installed: bool = True, **storage: str) -> History:
    env = settings(AZURE, **storage)
    return plan(env, func_installed=False, node_installed=node_installed, functions_port=free_port()).history


def test_without_chatstorage_run_does_nothing_about_history_with_or_without_node() -> None:
    assert history_of(node_installed=True) == History(note="", start_port=None, off=False)
    assert history_of(node_installed=False) == History()
    # Blank is not set: what run gives its children when history is off, read again.
    assert history_of(node_installed=False, ChatStorage=HISTORY_OFF) == History()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_local_chatstorage_with_nothing_on_its_port_starts_azurites_table_service(host: str) -> None:
    port = azurite.free_port()
    got = history_of(ChatStorage=azurite.connection_string(port, host))
    assert got == History(
        note=f"chat history: Azurite's table service at http://{host}:{port}/devstoreaccount1",
        start_port=port,
        off=False,
    )


def test_without_node_a_local_chatstorage_turns_history_off_and_says_why() -> None:
    got = history_of(node_installed=False, ChatStorage=azurite.connection_string(azurite.free_port()))
    assert got == History(
        note=(
            "chat history is off: ChatStorage names Azurite on this machine, which needs Node.js "
            "(not found): install Node.js 20 or later to keep history"
        ),
        start_port=None,
        off=True,
    )


def test_an_azurite_already_serving_the_port_is_used_with_or_without_node(azurite_tables) -> None:
    endpoint = f"http://127.0.0.1:{azurite_tables.port}/devstoreaccount1"
    for node in (True, False):
        got = history_of(node_installed=node, ChatStorage=azurite_tables.connection_string)
        assert got == History(note=f"chat history: using the Azurite table service already at {endpoint}")


def test_the_azurite_run_starts_for_core_tools_serves_history_on_its_table_port() -> None:
    env = {"ChatStorage": azurite.connection_string(AZURITE_TABLE_PORT)}
    got = history_plan(env, node_installed=True, emulator_serves_tables=True)
    assert got == History(
        note=f"chat history: Azurite (started for Core Tools too) at http://127.0.0.1:{AZURITE_TABLE_PORT}/"
        "devstoreaccount1"
    )
    # On another port it starts a table service of its own.
    other = azurite.free_port()
    env = {"ChatStorage": azurite.connection_string(other)}
    assert history_plan(env, node_installed=True, emulator_serves_tables=True).start_port == other


def test_a_chatstorage_port_taken_by_something_else_is_a_clear_error_naming_it() -> None:
    with http_server(404) as port, pytest.raises(RunError) as err:
        history_of(ChatStorage=azurite.connection_string(port))
    assert str(err.value) == (
        f"port {port} (the TableEndpoint of ChatStorage) is taken by something that is not Azurite's "
        "table service: stop it, change the port in ChatStorage, or remove ChatStorage to run without history"
    )
    assert azurite.ACCOUNT_KEY not in str(err.value)


def test_a_remote_chatstorage_starts_nothing_and_needs_no_node() -> None:
    expected = History(note="chat history: Table Storage at https://chatstore.table.core.windows.net")
    assert history_of(node_installed=False, ChatStorage=REMOTE_STORAGE) == expected
    identity = {
        "ChatStorage__tableServiceUri": "https://chatstore.table.core.windows.net",
        "ChatStorage__credential": "managedidentity",
        "ChatStorage__clientId": "00000000-0000-0000-0000-000000000001",
    }
    assert history_of(node_installed=False, **identity) == expected


def test_a_malformed_chatstorage_is_an_error_naming_the_setting_not_its_value() -> None:
    with pytest.raises(RunError) as err:
        history_of(ChatStorage=f"AccountName=x;AccountKey={KEY};TableEndpoint=ftp://127.0.0.1:1/x")
    assert str(err.value) == (
        "ChatStorage must hold an http(s) URL of the table service "
        "(in the environment or local.settings.json)"
    )
    assert KEY not in str(err.value)


def test_core_tools_azurite_is_the_pinned_package_with_its_data_in_the_given_folder(tmp_path) -> None:
    argv = emulator_command(tmp_path)
    assert Path(argv[0]) == azurite.HERE / "node_modules" / ".bin" / "azurite"
    assert Path(argv[0]).exists()
    assert argv[1:] == [
        "--location",
        str(tmp_path),
        "--silent",
        "--disableTelemetry",
        "--skipApiVersionCheck",
    ]
