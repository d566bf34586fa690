"""Chromium (through Playwright) against the local loop, run in a background thread."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tools import loop

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
MAX_MESSAGE_LENGTH = 500
# What Chromium needs as root on a machine with no display or GPU (as CI runs).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Host:
    """The local loop on free ports, serving from its own event loop thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.running: loop.Loop = self._run(loop.start(ROOT))
        self.url = self.running.url

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def stop(self) -> None:
        self._run(self.running.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    def broadcast(self, actions: list[dict]) -> int:
        request = urllib.request.Request(
            f"{self.url}/api/broadcast",
            data=json.dumps(actions).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    with pytest.MonkeyPatch.context() as env:
        for name in ("WebPubSubConnectionString", "ChatAllowAnonymous"):
            env.delenv(name, raising=False)
        env.setenv("WebPubSubHub", "chat")
        env.setenv("ChatMaxMessageLength", str(MAX_MESSAGE_LENGTH))
        host = Host()
        yield host
        host.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # CHROMIUM (set by scripts/test) or Debian's chromium on PATH; else
    # Playwright's own browser. Module scope: Playwright's
    # sync API holds an event loop open on this thread while it runs, which
    # would stop later tests from starting their own.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM") or shutil.which("chromium"), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def open_chat(browser: Browser, host: Host):
    contexts = []

    def open_chat(name: str, **context_options) -> Page:
        context = browser.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{host.url}/api/chat")
        page.fill("#name-input", name)
        page.press("#name-input", "Enter")
        expect(page.locator("#status")).to_have_attribute("data-state", "connected")
        expect(page.locator("#messages")).to_contain_text(f"{name} joined")
        return page

    yield open_chat
    for context in contexts:
        context.close()


def send(page: Page, text: str) -> None:
    page.fill("#message-input", text)
    page.press("#message-input", "Enter")


def join(page: Page, room: str) -> None:
    page.fill("#room-input", room)
    page.press("#room-input", "Enter")
    expect(page.locator("#room-title")).to_have_text(f"# {room}")
