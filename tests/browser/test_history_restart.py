"""History comes from the server: after the loop and Azurite are restarted on
the same data, a new browser (nothing in its storage) sees the same messages."""

import pytest
from playwright.sync_api import Browser, expect

import function_app
from tests.browser.conftest import Host, chat_env, join, send, sign_in
from tools import azurite


def test_history_survives_a_restart_of_the_loop_and_azurite(browser: Browser, tmp_path):
    data = tmp_path / "azurite"
    before = run_and_chat(browser, data, "alice", lambda page: say(page, "kept across the restart"))
    assert before == ["kept across the restart"]
    after = run_and_chat(browser, data, "bob", lambda page: None)
    assert after == ["kept across the restart"]


def say(page, text):
    send(page, text)
    expect(page.locator("#messages li.msg", has_text=text)).to_have_count(1)


def run_and_chat(browser: Browser, data, name, act) -> list[str]:
    """Start Azurite on ``data`` and the loop, let ``name`` act in the room
    "restart", and stop everything; returns the message texts the page showed."""
    storage = azurite.launch(azurite.free_port(), data)
    try:
        with pytest.MonkeyPatch.context() as env:
            chat_env(env, storage.connection_string)
            function_app.root.reset()  # a new process would read the settings afresh
            host = Host()
            context = browser.new_context()
            try:
                page = sign_in(context.new_page(), host.url, name)
                join(page, "restart")
                act(page)
                expect(page.locator("#messages li.msg")).not_to_have_count(0)
                return page.locator("#messages li.msg .text").all_text_contents()
            finally:
                context.close()
                host.stop()
    finally:
        storage.stop()
