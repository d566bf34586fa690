"""History comes from the server: after the loop is restarted on the same
Azurite data, a new browser (nothing in its storage) sees the same messages."""

import pytest
from playwright.sync_api import Browser, expect

import function_app
from tests.browser.conftest import Host, chat_env, join, send, sign_in


def test_history_survives_a_restart_of_the_loop(browser: Browser, azurite_tables):
    before = run_and_chat(browser, azurite_tables.connection_string, "alice", say_something)
    assert before == ["kept across the restart"]
    after = run_and_chat(browser, azurite_tables.connection_string, "bob", lambda page: None)
    assert after == ["kept across the restart"]


def say_something(page):
    send(page, "kept across the restart")
    expect(page.locator("#messages li.msg", has_text="kept across the restart")).to_have_count(1)


def run_and_chat(browser: Browser, storage: str, name, act) -> list[str]:
    """Start the loop on ``storage``, let ``name`` (in a new browser context)
    act in the room "restart", and stop the loop; returns the message texts
    the page showed."""
    with pytest.MonkeyPatch.context() as env:
        chat_env(env, storage)
        # What a new process would do: read the settings and build the store afresh.
        function_app.root.reset()
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
