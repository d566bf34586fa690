"""The hooks' real HTTP transport (``urllib_exchange`` and ``urllib_send``)
against a loopback server: statuses, JSON or not, headers, redirects
returned rather than followed, and no answer at all."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any

import pytest

from tests.infra.hook_fakes import hook_module

SECRET = "lOoPbAcK-kEy=="


class Handler(BaseHTTPRequestHandler):
    """Answers by path; records what it was sent."""

    seen: list[tuple[str, str, dict[str, str], bytes]] = []

    def _answer(self, status: int, body: bytes, **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        Handler.seen.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        path = self.path.split("?")[0]
        if path == "/json":
            self._answer(200, json.dumps({"ok": True, "n": 1}).encode(), Content_Type="application/json")
        elif path == "/refused":
            self._answer(
                409, json.dumps({"error": {"code": "Conflict"}}).encode(), Content_Type="application/json"
            )
        elif path == "/text":
            self._answer(500, b"<html>Internal error</html>", Content_Type="text/html")
        elif path == "/empty":
            self._answer(204, b"")
        elif path == "/validate":
            origin = self.headers.get("WebHook-Request-Origin", "")
            self.send_response(200)
            self.send_header("WebHook-Allowed-Origin", origin)
            for value in ("a", "b"):
                self.send_header("X-Twice", value)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/redirect":
            self._answer(302, b"", Location="/.auth/login/aad")
        else:
            self._answer(404, b"")

    do_GET = do_POST = do_PUT = do_OPTIONS = _handle

    def log_message(self, *_: Any) -> None:  # keep the test output clean
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Handler.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture
def rest(hook: ModuleType) -> ModuleType:
    return hook_module(hook, "azure_rest")


def test_a_200_json_answer_is_parsed_and_the_request_goes_out_as_given(rest: ModuleType, server: str) -> None:
    status, body = rest.urllib_send("PUT", f"{server}/json?api-version=1", {"X-Test": "yes"}, b'{"a": 1}')
    assert (status, body) == (200, {"ok": True, "n": 1})
    ((method, path, headers, sent),) = Handler.seen
    assert (method, path, headers["x-test"], sent) == ("PUT", "/json?api-version=1", "yes", b'{"a": 1}')


def test_a_4xx_answer_is_returned_with_its_json_body(rest: ModuleType, server: str) -> None:
    assert rest.urllib_send("GET", f"{server}/refused", {}, None) == (409, {"error": {"code": "Conflict"}})


def test_a_body_that_is_not_json_gives_none_and_keeps_the_status(rest: ModuleType, server: str) -> None:
    assert rest.urllib_send("GET", f"{server}/text", {}, None) == (500, None)
    reply = rest.urllib_exchange("GET", f"{server}/text", {}, None)
    assert (reply.status, reply.body, reply.json()) == (500, b"<html>Internal error</html>", None)
    assert reply.header("Content-Type") == "text/html"


def test_an_empty_body_gives_none(rest: ModuleType, server: str) -> None:
    assert rest.urllib_send("POST", f"{server}/empty", {}, b"") == (204, None)


def test_an_options_answer_carries_its_headers_by_any_case(rest: ModuleType, server: str) -> None:
    origin = "wps-abc.webpubsub.azure.com"
    reply = rest.urllib_exchange("OPTIONS", f"{server}/validate", {"WebHook-Request-Origin": origin}, None)
    assert reply.status == 200
    assert reply.header("WebHook-Allowed-Origin") == origin
    assert reply.header("webhook-allowed-origin") == origin
    assert reply.header("X-Missing") == ""
    assert reply.header("X-Twice") == "a, b"
    assert Handler.seen[0][0] == "OPTIONS"


def test_a_redirect_is_returned_not_followed(rest: ModuleType, server: str) -> None:
    reply = rest.urllib_exchange("GET", f"{server}/redirect", {}, None)
    assert (reply.status, reply.header("Location")) == (302, "/.auth/login/aad")
    assert [seen[1] for seen in Handler.seen] == ["/redirect"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_no_answer_is_a_hook_error_naming_the_host_and_hiding_the_key(rest: ModuleType) -> None:
    port = _closed_port()
    url = f"http://127.0.0.1:{port}/api/presence?code={SECRET}"
    with pytest.raises(rest.HookError) as raised:
        rest.urllib_exchange("GET", url, {}, None, timeout=5)
    message = str(raised.value)
    assert message.startswith(f"GET 127.0.0.1:{port}: no answer (")
    assert SECRET not in message
    with pytest.raises(rest.HookError):
        rest.urllib_send("GET", url, {}, None)
