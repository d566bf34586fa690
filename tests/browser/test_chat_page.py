"""The browser client in Chromium, against the whole app on the local loop."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, MAX_MESSAGE_LENGTH, join, send

# Generous: 3,000 deliveries through the local loop on a shared machine.
MESSAGES_WAIT_MS = 180_000
MARKUP = (
    '<img src=x onerror="window.__injected = true"><b>bold</b> & <script>window.__injected = true</script>'
)


def message(page, text):
    return page.locator("#messages li.msg", has_text=text)


def test_two_pages_chat_in_a_room(open_chat):
    alice, bob = open_chat("alice"), open_chat("bob")
    join(alice, "games")
    join(bob, "games")
    send(alice, "anyone for chess?")
    got = message(bob, "anyone for chess?")
    expect(got.locator(".author")).to_have_text("alice")
    expect(got.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT.*Z$"))
    send(bob, "me!")
    expect(message(alice, "me!").locator(".author")).to_have_text("bob")
    expect(alice.locator("#message-input")).to_have_value("")
    ARTIFACTS.mkdir(exist_ok=True)
    alice.screenshot(path=ARTIFACTS / "chat.png")
    assert (ARTIFACTS / "chat.png").stat().st_size > 10_000


def test_presence_appears_when_someone_joins_and_leaves_a_room(open_chat):
    alice, bob = open_chat("alice"), open_chat("bob")
    join(alice, "presence-room")
    join(bob, "presence-room")
    expect(alice.locator("#messages li.presence", has_text="bob joined")).to_have_count(1)
    bob.click('#rooms li[data-room="presence-room"] button.leave')
    expect(alice.locator("#messages li.presence", has_text="bob left")).to_have_count(1)
    expect(bob.locator('#rooms li[data-room="presence-room"]')).to_have_count(0)


def test_markup_in_a_message_renders_as_text(open_chat):
    alice, bob = open_chat("alice"), open_chat("bob")
    send(alice, MARKUP)
    text = message(bob, "bold").locator(".text")
    expect(text).to_have_text(MARKUP)
    assert bob.locator("#messages img, #messages b, #messages script").count() == 0
    assert bob.evaluate("window.__injected") is None


def test_a_rejected_message_shows_an_error_and_keeps_the_text(open_chat):
    alice = open_chat("alice")
    too_long = "x" * (MAX_MESSAGE_LENGTH + 1)
    send(alice, too_long)
    expect(alice.locator("#error-text")).to_have_text(
        f"Your message was not delivered: text is longer than {MAX_MESSAGE_LENGTH} characters."
    )
    expect(alice.locator("#message-input")).to_have_value(too_long)
    expect(message(alice, "xxxx")).to_have_count(0)


def test_a_refused_name_shows_the_servers_error_and_asks_again(browser, host):
    context = browser.new_context()
    # A saved name the server refuses (the form itself stops at 256 characters).
    context.add_init_script("localStorage.setItem('chat.displayName', 'n'.repeat(300))")
    page = context.new_page()
    page.goto(f"{host.url}/api/chat")
    expect(page.locator("#error-text")).to_contain_text(
        "Connection refused: the x-ms-client-principal-name header"
    )
    expect(page.locator("#name-form")).to_be_visible()
    context.close()


def test_a_refused_websocket_shows_its_error(browser, host):
    context = browser.new_context()
    page = context.new_page()

    def spoil_token(route):
        response = route.fetch()
        info = response.json()
        info["url"] = info["baseUrl"] + "?access_token=not-a-valid-token"
        route.fulfill(response=response, json=info)

    page.route("**/api/negotiate", spoil_token)
    page.goto(f"{host.url}/api/chat")
    page.fill("#name-input", "eve")
    page.press("#name-input", "Enter")
    expect(page.locator("#error-text")).to_have_text("The chat service refused the connection.")
    expect(page.locator("#status")).to_have_attribute("data-state", "reconnecting")
    context.close()


def test_a_dropped_socket_reconnects_with_a_fresh_negotiate_and_messages_flow_again(open_chat, host):
    alice, bob = open_chat("alice"), open_chat("bob")
    join(alice, "after-drop")
    join(bob, "after-drop")
    negotiations = []
    alice.on("request", lambda r: negotiations.append(r.url) if r.url.endswith("/api/negotiate") else None)
    assert host.broadcast([{"actionName": "closeAllConnections", "reason": "maintenance"}]) == 202
    expect(alice.locator("#messages")).to_contain_text("Disconnected: maintenance")
    for page in (alice, bob):
        expect(page.locator("#messages")).to_contain_text("Reconnected.")
        expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    assert negotiations, "the page reconnected without a fresh negotiate"
    send(alice, "still here after the drop")
    expect(message(bob, "still here after the drop")).to_have_count(1)


def test_the_page_fits_a_phone_screen(open_chat):
    page = open_chat("pat", viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    for room in ("mobile", "a-rather-long-room-name", "and-another-one"):
        join(page, room)
    send(page, "typed on a phone, long enough to need wrapping on a narrow screen " * 3)
    expect(message(page, "typed on a phone")).to_be_visible()
    assert page.evaluate("window.scrollX") == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for selector in ("#message-input", "#send-form button", "#status", "#room-input"):
        box = page.locator(selector).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375, selector


def test_thousands_of_messages_are_appended_without_re_rendering(open_chat, host):
    page = open_chat("reader")
    join(page, "busy")
    first = page.locator("#messages li").first.element_handle()
    batch = [
        {
            "actionName": "sendToGroup",
            "group": "busy",
            "dataType": "json",
            "data": {
                "type": "message",
                "from": "bot",
                "room": "busy",
                "text": f"line {i}",
                "at": "2026-01-01T00:00:00Z",
            },
        }
        for i in range(1000)
    ]
    for start in range(0, 3000, 1000):
        for i, action in enumerate(batch):
            action["data"]["text"] = f"line {start + i}"
        assert host.broadcast(batch) == 202
    # Wait for the last message to arrive, however long the loaded machine
    # takes, rather than for Playwright's default 5 s.
    page.wait_for_function(
        "n => document.querySelectorAll('#messages li.msg').length >= n", arg=3000, timeout=MESSAGES_WAIT_MS
    )
    assert page.locator("#messages li.msg").count() == 3000
    expect(message(page, "line 2999")).to_have_count(1)
    assert first.evaluate("node => node.isConnected"), "an old message node was replaced"
    send(page, "still responsive")
    expect(message(page, "still responsive")).to_have_count(1)


def test_the_open_room_is_marked_current_and_the_messages_are_a_log(open_chat):
    page = open_chat("ada")
    join(page, "marked")
    expect(page.locator('#rooms li[data-room="marked"] button.open')).to_have_attribute(
        "aria-current", "true"
    )
    expect(page.locator("#rooms button[aria-current]")).to_have_count(1)
    # The log role is on the list's wrapper: on the <ol> it made its items invalid list items.
    expect(page.locator("#log")).to_have_attribute("role", "log")
    expect(page.locator("#log #messages")).not_to_have_attribute("role", re.compile("."))
    page.click('#rooms li[data-room="lobby"] button.open')
    expect(page.locator('#rooms li[data-room="lobby"] button.open')).to_have_attribute("aria-current", "true")
    expect(page.locator("#rooms button[aria-current]")).to_have_count(1)


def test_keyboard_focus_stays_put_when_the_room_list_updates(open_chat):
    reader, writer = open_chat("reader2"), open_chat("writer2")
    join(reader, "elsewhere")
    join(writer, "elsewhere")
    reader.click('#rooms li[data-room="lobby"] button.open')
    reader.focus('#rooms li[data-room="elsewhere"] button.leave')
    send(writer, "an unread message")
    # The unread badge re-renders the room list; focus must not fall back to the page.
    expect(reader.locator('#rooms li[data-room="elsewhere"] .unread')).to_have_text("1")
    assert reader.evaluate("document.activeElement.getAttribute('aria-label')") == "Leave elsewhere"
