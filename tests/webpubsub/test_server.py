"""Where the service listens: every address of its host, and a clear error for a taken port."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from tests.webpubsub.conftest import KEY, run
from tools.webpubsub.config import Settings
from tools.webpubsub.server import start


def _ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_on_localhost_the_service_answers_on_127_0_0_1_and_on_ipv6_loopback_where_there_is_one():
    async def scenario():
        running = await start(Settings("http://localhost:8080", KEY, {}), "localhost", 0)
        try:
            port = running.url.rsplit(":", 1)[1]
            assert running.endpoint == f"http://localhost:{port}"
            hosts = ["127.0.0.1"] + (["[::1]"] if _ipv6() else [])
            async with aiohttp.ClientSession() as session:
                for host in hosts:
                    async with session.head(f"http://{host}:{port}/api/health") as response:
                        assert response.status == 200
        finally:
            await running.stop()

    run(scenario)


def test_a_taken_port_is_an_error_naming_it():
    async def scenario():
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            with pytest.raises(OSError) as err:
                await start(Settings("http://localhost:8080", KEY, {}), "127.0.0.1", port)
            assert "in use" in str(err.value)

    run(scenario)
