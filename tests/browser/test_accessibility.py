"""axe-core (WCAG 2.0 and 2.1 A and AA, and best practice) on the sign-in and chat views."""

from playwright.sync_api import expect

from tests.browser.conftest import HISTORY_PAGE, MAX_MESSAGE_LENGTH, axe_violations, join, send


def test_the_sign_in_view_has_no_accessibility_violations(browser, host, axe_script):
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{host.url}/api/chat")
    expect(page.locator("#name-form")).to_be_visible()
    assert axe_violations(page, axe_script) == []
    context.close()


def test_the_chat_view_has_no_accessibility_violations(open_chat, axe_script):
    writer = open_chat("writer-a11y")
    join(writer, "a11y")
    for n in range(HISTORY_PAGE + 1):
        send(writer, f"earlier {n}")
        expect(writer.locator("#messages li.msg", has_text=f"earlier {n}")).to_have_count(1)
    # Everything the chat view can show at once: history with older pages to
    # load, the members, someone typing, one's own message with its Delete
    # button, presence, and an error.
    reader = open_chat("reader-a11y", bypass_csp=True)
    join(reader, "a11y")
    expect(reader.locator("#load-older")).to_be_visible()
    send(reader, "my own words")
    expect(reader.locator("#messages li.msg.mine button.delete")).to_have_count(1)
    # Someone who has not typed in the last 3 s (the writer has: its typing would wait).
    typist = open_chat("typist-a11y")
    join(typist, "a11y")
    expect(reader.locator("#members li")).to_have_text(["reader-a11y", "typist-a11y", "writer-a11y"])
    typist.locator("#message-input").press_sequentially("typing")
    expect(reader.locator("#typing")).to_have_text("typist-a11y is typing…")
    send(reader, "x" * (MAX_MESSAGE_LENGTH + 1))
    expect(reader.locator("#error")).to_be_visible()
    assert axe_violations(reader, axe_script) == []
