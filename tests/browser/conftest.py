"""Chromium (through Playwright) against the local loop, run in a background thread."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tools import loop

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
MAX_MESSAGE_LENGTH = 500
# Small pages, so that a test needs only a few messages to page through history.
HISTORY_PAGE = 5
NODE_DIR = Path(__file__).resolve().parent
AXE = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0 and 2.1, levels A and AA, and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
# An init script: every server message the page receives, in window.received
# (the page's own listener runs after this one, so when a test sees a message
# here the page has handled it too).
RECORD_RECEIVED = """
  window.received = [];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        const frame = JSON.parse(e.data);
        if (frame.type === 'message' && frame.data) window.received.push(frame.data);
      });
    }
  };
"""
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

    def connect_users(self, users: list[str]) -> Callable[[], None]:
        """Connect one plain WebSocket client per user (they land in the default
        room) on the loop's thread; returns what disconnects them all."""

        async def connect() -> tuple[aiohttp.ClientSession, list[aiohttp.ClientWebSocketResponse]]:
            # No pool limit: aiohttp's default of 100 connections would hold the 101st socket back.
            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
            sockets = []
            for user in users:
                headers = {"x-ms-client-principal-name": user}
                async with session.post(f"{self.url}/api/negotiate", headers=headers) as response:
                    info = await response.json()
                sockets.append(await session.ws_connect(info["url"], protocols=("json.webpubsub.azure.v1",)))
            return session, sockets

        session, sockets = self._run(connect())

        async def close() -> None:
            for socket in sockets:
                await socket.close()
            await session.close()

        return lambda: self._run(close())

    def broadcast(self, actions: list[dict]) -> int:
        request = urllib.request.Request(
            f"{self.url}/api/broadcast",
            data=json.dumps(actions).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status


def chat_env(env: pytest.MonkeyPatch, storage: str | None) -> None:
    """The app's settings for a browser test's loop: history kept in ``storage``
    (a ChatStorage connection string), or off when it is None."""
    for name in ("WebPubSubConnectionString", "ChatAllowAnonymous", "ChatStorage"):
        env.delenv(name, raising=False)
    env.setenv("WebPubSubHub", "chat")
    env.setenv("ChatMaxMessageLength", str(MAX_MESSAGE_LENGTH))
    env.setenv("ChatHistoryPage", str(HISTORY_PAGE))
    if storage is not None:
        env.setenv("ChatStorage", storage)


@pytest.fixture(scope="module")
def host(request: pytest.FixtureRequest) -> Iterator[Host]:
    """The loop with history on Azurite, unless the test module sets ``HISTORY = False``."""
    storage = None
    if getattr(request.module, "HISTORY", True):
        storage = request.getfixturevalue("azurite_tables").connection_string
    with pytest.MonkeyPatch.context() as env:
        chat_env(env, storage)
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


def sign_in(page: Page, url: str, name: str) -> Page:
    """Open the chat at ``url`` as ``name`` and wait until it is in the default room."""
    page.goto(f"{url}/api/chat")
    page.fill("#name-input", name)
    page.press("#name-input", "Enter")
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    expect(page.locator("#messages")).to_contain_text(f"{name} joined")
    return page


@pytest.fixture
def open_chat(browser: Browser, host: Host):
    contexts = []

    def open_chat(name: str, init_script: str | None = None, **context_options) -> Page:
        context = browser.new_context(**context_options)
        contexts.append(context)
        if init_script is not None:
            context.add_init_script(init_script)
        return sign_in(context.new_page(), host.url, name)

    yield open_chat
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core's browser script, installed from the pinned lock file (npm ci) when missing."""
    if not AXE.is_file():
        npm = shutil.which("npm")
        assert npm is not None, (
            "npm is not on PATH: the accessibility checks need axe-core (npm ci in tests/browser)"
        )
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, timeout=300)
    return AXE


def axe_violations(page: Page, script: Path) -> list[dict]:
    """What axe-core finds wrong with the page as it is now (the page's context
    must bypass its Content-Security-Policy, which forbids the injected script)."""
    page.add_script_tag(path=script)
    return page.evaluate(
        """async (tags) => {
          const result = await axe.run(document, { runOnly: { type: 'tag', values: tags } });
          return result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')),
          }));
        }""",
        AXE_TAGS,
    )


def send(page: Page, text: str) -> None:
    page.fill("#message-input", text)
    page.press("#message-input", "Enter")


def join(page: Page, room: str) -> None:
    page.fill("#room-input", room)
    page.press("#room-input", "Enter")
    expect(page.locator("#room-title")).to_have_text(f"# {room}")
