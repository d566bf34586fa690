"""History, members, typing and deleting in Chromium, against the local loop with
history kept on Azurite (the ``host`` fixture)."""

from itertools import pairwise

from playwright.sync_api import Page, expect

from tests.browser.conftest import HISTORY_PAGE, RECORD_RECEIVED, join, send

# Records each typing event the page sends: [time (ms), room].
RECORD_TYPING = """
  window.typingSent = [];
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (frame) {
    const parsed = JSON.parse(frame);
    if (parsed.event === 'typing') window.typingSent.push([performance.now(), parsed.data.room]);
    return send.call(this, frame);
  };
"""
TYPING_EVERY_MS = 3000


def messages(page: Page):
    return page.locator("#messages li.msg")


def in_id_order(page: Page) -> list[str]:
    """The texts of the messages shown, sorted by message id: the order history
    serves them in. (Ids sort by the event's time; the local service's
    ``ce-time`` has whole seconds, so messages of one second sort by the
    hash part of their ids, not in the order they were sent.)"""
    shown = page.eval_on_selector_all(
        "#messages li.msg",
        "items => items.map((li) => [li.dataset.id, li.querySelector('.text').textContent])",
    )
    return [text for _, text in sorted(shown)]


def post(page: Page, text: str) -> None:
    """Send and wait until the message is back, so that messages are stored in order."""
    send(page, text)
    expect(messages(page).filter(has_text=text)).to_have_count(1)


def test_a_late_joiner_sees_the_rooms_recent_messages(open_chat):
    alice = open_chat("alice")
    join(alice, "late")
    for text in ("one", "two", "three"):
        post(alice, text)
    assert sorted(in_id_order(alice)) == ["one", "three", "two"]
    bob = open_chat("bob")
    join(bob, "late")
    expect(messages(bob).locator(".text")).to_have_text(in_id_order(alice))
    expect(messages(bob).locator(".author")).to_have_text(["alice"] * 3)
    # The history sits above bob's own arrival, which came after it.
    expect(bob.locator("#messages li").last).to_contain_text("bob joined")


def test_the_default_room_shows_its_history_and_members_after_connecting(open_chat):
    alice = open_chat("alice-lobby")
    post(alice, "said in the lobby before bob came")
    bob = open_chat("bob-lobby")
    expect(bob.locator("#room-title")).to_have_text("# lobby")
    expect(messages(bob).filter(has_text="said in the lobby before bob came")).to_have_count(1)
    expect(bob.locator("#members li", has_text="alice-lobby")).to_have_count(1)
    expect(bob.locator("#members li", has_text="bob-lobby")).to_have_count(1)
    expect(bob.locator("#error")).to_be_hidden()


def test_a_resent_message_replaces_the_one_with_its_id(open_chat, host):
    alice = open_chat("alice")
    join(alice, "resent")
    post(alice, "first words")
    shown = messages(alice).filter(has_text="first words")
    message_id = shown.get_attribute("data-id")
    assert message_id and len(message_id) == 24
    resent = {
        "type": "message",
        "id": message_id,
        "from": "alice",
        "room": "resent",
        "text": "first words, resent",
    }
    action = {
        "actionName": "sendToGroup",
        "group": "resent",
        "dataType": "json",
        "data": {**resent, "at": "2026-01-01T00:00:00Z"},
    }
    assert host.broadcast([action, action]) == 202
    expect(alice.locator(f'#messages li[data-id="{message_id}"] .text')).to_have_text("first words, resent")
    expect(messages(alice)).to_have_count(1)


def test_older_messages_load_page_by_page_until_there_are_none(open_chat):
    alice = open_chat("alice")
    join(alice, "paged")
    texts = [f"paged {n:02}" for n in range(1, 2 * HISTORY_PAGE + 3)]
    for text in texts:
        post(alice, text)
    stored = in_id_order(alice)
    assert sorted(stored) == texts
    bob = open_chat("bob")
    join(bob, "paged")
    older = bob.locator("#load-older")
    expect(messages(bob).locator(".text")).to_have_text(stored[-HISTORY_PAGE:])
    older.click()
    expect(messages(bob).locator(".text")).to_have_text(stored[-2 * HISTORY_PAGE :])
    expect(older).to_be_visible()
    older.click()
    expect(messages(bob).locator(".text")).to_have_text(stored)
    expect(older).to_be_hidden()


def test_the_members_list_follows_joins_and_leaves(open_chat):
    alice, bob = open_chat("alice"), open_chat("bob")
    join(alice, "crowd")
    expect(alice.locator("#members li")).to_have_text(["alice"])
    join(bob, "crowd")
    expect(alice.locator("#members li")).to_have_text(["alice", "bob"])
    expect(bob.locator("#members li")).to_have_text(["alice", "bob"])
    bob.click('#rooms li[data-room="crowd"] button.leave')
    expect(alice.locator("#members li")).to_have_text(["alice"])


def test_a_room_of_more_than_100_users_lists_100_and_says_and_more(open_chat, host):
    crowd = [f"crowd-{n:03}" for n in range(101)]
    disconnect = host.connect_users(crowd)
    try:
        # Sorted by user id, the server lists crowd-000 to crowd-099; the page adds its own user.
        page = open_chat("zz-viewer")
        expect(page.locator("#members li.more")).to_have_text("and more")
        listed = page.locator("#members li:not(.more)")
        expect(listed).to_have_count(101)
        assert listed.all_text_contents() == [*crowd[:100], "zz-viewer"]
    finally:
        disconnect()


def test_typing_shows_to_the_others_for_a_few_seconds_never_to_oneself(open_chat):
    alice, bob = open_chat("alice"), open_chat("bob")
    # alice in a second tab: the server sends her typing there, the page must not show it.
    other_tab = open_chat("alice", init_script=RECORD_RECEIVED)
    for page in (alice, bob, other_tab):
        join(page, "typing")
    alice.locator("#message-input").press_sequentially("hello")
    expect(bob.locator("#typing")).to_have_text("alice is typing…")
    other_tab.wait_for_function("window.received.some((m) => m.type === 'typing' && m.user === 'alice')")
    expect(other_tab.locator("#typing")).to_have_text("")
    expect(alice.locator("#typing")).to_have_text("")
    # It goes by itself a few seconds after the last typing message.
    expect(bob.locator("#typing")).to_have_text("", timeout=15_000)


def test_typing_is_sent_at_most_once_every_3_seconds_per_room(open_chat):
    page = open_chat("typist", init_script=RECORD_TYPING)
    join(page, "typing-a")
    start = page.evaluate("performance.now()")
    page.locator("#message-input").press_sequentially("a sentence typed at speed, one key at a time")
    end = page.evaluate("performance.now()")
    join(page, "typing-b")
    page.locator("#message-input").press_sequentially("!")
    sent = page.evaluate("window.typingSent")
    in_a = [at for at, room in sent if room == "typing-a"]
    assert 1 <= len(in_a) <= 1 + (end - start) // TYPING_EVERY_MS, sent
    assert all(later - earlier >= TYPING_EVERY_MS for earlier, later in pairwise(in_a)), sent
    # Another room has its own allowance.
    assert [room for _, room in sent if room == "typing-b"] == ["typing-b"]


def test_only_ones_own_messages_can_be_deleted_and_everyone_sees_them_go(open_chat, host):
    alice, bob = open_chat("alice"), open_chat("bob", init_script=RECORD_RECEIVED)
    join(alice, "deleting")
    join(bob, "deleting")
    post(alice, "oops, wrong room")
    post(bob, "hello alice")
    expect(messages(bob).filter(has_text="oops, wrong room")).to_have_count(1)
    expect(messages(alice).filter(has_text="hello alice")).to_have_count(1)
    for page, own, others in (
        (alice, "oops, wrong room", "hello alice"),
        (bob, "hello alice", "oops, wrong room"),
    ):
        expect(messages(page).filter(has_text=own).locator("button.delete")).to_have_text("Delete")
        expect(messages(page).filter(has_text=others).locator("button.delete")).to_have_count(0)
    message_id = messages(alice).filter(has_text="oops").get_attribute("data-id")
    messages(alice).filter(has_text="oops").locator("button.delete").click()
    for page in (alice, bob):
        gone = page.locator(f'#messages li[data-id="{message_id}"]')
        expect(gone.locator(".text")).to_have_text("message deleted")
        expect(gone.locator(".author")).to_have_text("alice")
        expect(gone.locator("button.delete")).to_have_count(0)
        expect(page.locator("#messages")).not_to_contain_text("oops, wrong room")
    # A late copy of the message (a resend) does not bring it back.
    copy = {
        "type": "message",
        "id": message_id,
        "from": "alice",
        "room": "deleting",
        "text": "oops, wrong room",
    }
    action = {"actionName": "sendToGroup", "group": "deleting", "dataType": "json", "data": copy}
    assert host.broadcast([action]) == 202
    bob.wait_for_function(
        "id => window.received.filter((m) => m.type === 'message' && m.id === id).length === 2",
        arg=message_id,
    )
    expect(bob.locator(f'#messages li[data-id="{message_id}"] .text')).to_have_text("message deleted")
    # History keeps the deletion: a newcomer sees it the same way.
    carol = open_chat("carol")
    join(carol, "deleting")
    expect(messages(carol)).to_have_count(2)
    expect(messages(carol).filter(has_text="hello alice")).to_have_count(1)
    expect(carol.locator(f'#messages li[data-id="{message_id}"].deleted')).to_have_count(1)
    expect(carol.locator("#error")).to_be_hidden()
