"""What ``scripts/run`` decides to start, before it starts anything."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tools.run import Plan, RunError, plan

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
    got = plan(settings(f"http://localhost:{port}"), func_installed=False, functions_port=free_port())
    assert got == Plan(f"http://localhost:{port}", start_service=True, use_func=False, start_azurite=False)


def test_a_web_pubsub_service_already_answering_is_used_as_it_is() -> None:
    with http_server(200) as port:
        got = plan(settings(f"http://127.0.0.1:{port}"), func_installed=False, functions_port=free_port())
    assert got.start_service is False


def test_a_port_taken_by_something_else_is_a_clear_error_naming_it() -> None:
    with http_server(404) as port, pytest.raises(RunError) as err:
        plan(settings(f"http://localhost:{port}"), func_installed=False, functions_port=free_port())
    assert f"port {port} (the Endpoint of WebPubSubConnectionString) is taken" in str(err.value)
    assert KEY not in str(err.value)


def test_a_taken_functions_port_is_a_clear_error() -> None:
    with http_server(404) as taken, pytest.raises(RunError) as err:
        plan(settings(f"http://localhost:{free_port()}"), func_installed=False, functions_port=taken)
    assert str(err.value).startswith(f"port {taken} is taken")


def test_an_azure_endpoint_starts_no_local_service() -> None:
    env = settings("https://example.webpubsub.azure.com")
    assert plan(env, func_installed=False, functions_port=free_port()).start_service is False
    identity = {"WebPubSubConnectionString__serviceUri": "https://example.webpubsub.azure.com"}
    assert plan(identity, func_installed=False, functions_port=free_port()).start_service is False


def test_core_tools_with_development_storage_gets_azurite_and_without_it_does_not() -> None:
    env = settings("https://example.webpubsub.azure.com", AzureWebJobsStorage="UseDevelopmentStorage=true")
    with_func = plan(env, func_installed=True, functions_port=free_port())
    assert (with_func.use_func, with_func.start_azurite) == (True, True)
    assert plan(env, func_installed=False, functions_port=free_port()).start_azurite is False
    real = settings(
        "https://example.webpubsub.azure.com", AzureWebJobsStorage="DefaultEndpointsProtocol=https"
    )
    assert plan(real, func_installed=True, functions_port=free_port()).start_azurite is False


def test_a_malformed_connection_string_is_an_error_naming_the_setting_not_its_value() -> None:
    with pytest.raises(RunError) as err:
        plan({"WebPubSubConnectionString": f"AccessKey={KEY}"}, func_installed=False)
    assert "WebPubSubConnectionString has no Endpoint" in str(err.value)
    assert KEY not in str(err.value)
