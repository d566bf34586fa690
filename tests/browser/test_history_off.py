"""The browser client against the local loop without ChatStorage: history off,
the page works as it did before history, and says nothing about it."""

from playwright.sync_api import expect

from tests.browser.conftest import RECORD_RECEIVED, join, send

HISTORY = False  # the module's loop runs without ChatStorage (see the host fixture)


def test_without_history_the_chat_works_and_shows_no_error(open_chat):
    alice = open_chat("alice", init_script=RECORD_RECEIVED)
    # The default room's history request was refused as off: nothing is shown for it.
    alice.wait_for_function("window.received.some((m) => m.type === 'error' && m.code === 'history_off')")
    expect(alice.locator("#error")).to_be_hidden()
    bob = open_chat("bob")
    join(alice, "quiet")
    join(bob, "quiet")
    send(alice, "said while nothing is kept")
    for page in (alice, bob):
        expect(page.locator("#messages li.msg", has_text="said while nothing is kept")).to_have_count(1)
        expect(page.locator("#messages button.delete")).to_have_count(0)
        expect(page.locator("#load-older")).to_be_hidden()
        expect(page.locator("#error")).to_be_hidden()
    # The roster does not need history.
    expect(bob.locator("#members li")).to_have_text(["alice", "bob"])
    carol = open_chat("carol")
    join(carol, "quiet")
    expect(carol.locator("#members li")).to_have_text(["alice", "bob", "carol"])
    expect(carol.locator("#messages li.msg")).to_have_count(0)
    expect(carol.locator("#error")).to_be_hidden()
