"""What every ``HistoryStore`` does, run on the in-memory fake and on Table Storage (real Azurite).

The same tests on both keep the fake honest: what the handlers' unit tests
see from the fake is what Table Storage does.
"""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from adapters.tables import TableHistoryStore
from chat import history
from chat.history import StoredMessage
from tests.fake_history import FakeHistory

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def message(n: int, room: str = "lobby", sender: str = "alice", text: str | None = None) -> StoredMessage:
    """Message ``n``, posted ``n`` seconds after T0."""
    return history.new_message(f"ce-{room}-{n}", T0 + timedelta(seconds=n), room, sender, text or f"text {n}")


@pytest.fixture(params=["fake", "azurite"])
def run(request):
    """Run ``scenario(store)`` to completion on a fresh store (on Azurite: a fresh table)."""

    def make():
        if request.param == "fake":
            return FakeHistory()
        service = request.getfixturevalue("azurite_tables")
        table = f"Test{uuid.uuid4().hex[:16]}"
        return TableHistoryStore("ChatStorage", {"ChatStorage": service.connection_string}, table=table)

    def run(scenario):
        async def whole():
            store = make()
            try:
                return await scenario(store)
            finally:
                await store.close()

        return asyncio.run(whole())

    return run


def ids(page):
    return [m.id for m in page.messages]


def test_a_stored_message_is_read_back_as_it_was(run):
    async def scenario(store):
        stored = message(1, sender="bob", text='héllo \U0001f600 "quoted" <b>')
        await store.put_message(stored)
        return await store.get("lobby", stored.id)

    assert run(scenario) == message(1, sender="bob", text='héllo \U0001f600 "quoted" <b>')


def test_a_retried_put_stores_the_message_once(run):
    async def scenario(store):
        await store.put_message(message(1))
        await store.put_message(message(1))
        await store.put_message(message(2))
        return await store.latest("lobby", 10)

    page = run(scenario)
    assert ids(page) == [message(1).id, message(2).id]
    assert not page.more


def test_a_retry_after_a_deletion_keeps_the_deletion(run):
    async def scenario(store):
        await store.put_message(message(1))
        assert await store.mark_deleted("lobby", message(1).id) is True
        await store.put_message(message(1))
        return await store.get("lobby", message(1).id)

    assert run(scenario) == message(1).as_deleted()


def test_the_latest_page_is_the_newest_oldest_first_with_more(run):
    async def scenario(store):
        for n in (3, 1, 5, 2, 4):  # stored in any order
            await store.put_message(message(n))
        return await store.latest("lobby", 3), await store.latest("lobby", 5), await store.latest("lobby", 6)

    three, five, six = run(scenario)
    assert ids(three) == [message(n).id for n in (3, 4, 5)]
    assert three.more
    assert ids(five) == [message(n).id for n in (1, 2, 3, 4, 5)]
    assert not five.more
    assert ids(six) == ids(five)
    assert not six.more


def test_before_pages_back_to_the_oldest(run):
    async def scenario(store):
        for n in range(1, 8):
            await store.put_message(message(n))
        first = await store.latest("lobby", 3)
        second = await store.latest("lobby", 3, before=first.messages[0].id)
        third = await store.latest("lobby", 3, before=second.messages[0].id)
        past_the_oldest = await store.latest("lobby", 3, before=message(1).id)
        return first, second, third, past_the_oldest

    first, second, third, past = run(scenario)
    assert ids(first) == [message(n).id for n in (5, 6, 7)]
    assert ids(second) == [message(n).id for n in (2, 3, 4)]
    assert second.more
    assert ids(third) == [message(1).id]
    assert not third.more
    assert ids(past) == []
    assert not past.more


def test_messages_older_than_the_cutoff_are_never_served(run):
    async def scenario(store):
        for n in range(1, 6):
            await store.put_message(message(n))
        cutoff = T0 + timedelta(seconds=3)  # message 3 is exactly at the cutoff: kept
        return (
            await store.latest("lobby", 10, not_before=cutoff),
            await store.latest("lobby", 2, not_before=cutoff),
            await store.latest("lobby", 10, before=message(4).id, not_before=cutoff),
        )

    kept, two, before_four = run(scenario)
    assert ids(kept) == [message(n).id for n in (3, 4, 5)]
    assert not kept.more
    assert ids(two) == [message(4).id, message(5).id]
    assert two.more
    assert ids(before_four) == [message(3).id]
    assert not before_four.more  # 1 and 2 exist but are past the retention


def test_rooms_do_not_see_each_others_messages(run):
    async def scenario(store):
        await store.put_message(message(1, room="a"))
        await store.put_message(message(2, room="b"))
        return (
            await store.latest("a", 10),
            await store.latest("c", 10),
            await store.get("b", message(1, room="a").id),
            await store.mark_deleted("b", message(1, room="a").id),
            await store.get("a", message(1, room="a").id),
        )

    a, c, cross_get, cross_delete, untouched = run(scenario)
    assert ids(a) == [message(1, room="a").id]
    assert ids(c) == []
    assert not c.more
    assert cross_get is None
    assert cross_delete is False
    assert untouched == message(1, room="a")


def test_mark_deleted_removes_the_text_and_an_unknown_id_is_not_created(run):
    async def scenario(store):
        await store.put_message(message(1))
        await store.put_message(message(2))
        deleted = await store.mark_deleted("lobby", message(1).id)
        unknown = await store.mark_deleted("lobby", message(9).id)
        return deleted, unknown, await store.latest("lobby", 10), await store.get("lobby", message(9).id)

    deleted, unknown, page, ghost = run(scenario)
    assert deleted is True
    assert unknown is False
    assert ghost is None
    assert page.wire() == [
        {
            "type": "message",
            "id": message(1).id,
            "from": "alice",
            "room": "lobby",
            "deleted": True,
            "at": "2025-03-01T12:00:01.000Z",
        },
        message(2).wire(),
    ]


def test_get_of_an_unknown_id_is_none(run):
    async def scenario(store):
        await store.put_message(message(1))
        return await store.get("lobby", message(2).id)

    assert run(scenario) is None


def test_delete_older_than_deletes_every_rooms_older_messages_and_counts_them(run):
    async def scenario(store):
        for n in range(1, 131):  # more than one transaction of 100 in the same room
            await store.put_message(message(n, room="busy"))
        for n in (1, 200):
            await store.put_message(message(n, room="quiet"))
        count = await store.delete_older_than(T0 + timedelta(seconds=121))
        again = await store.delete_older_than(T0 + timedelta(seconds=121))
        return count, again, await store.latest("busy", 100), await store.latest("quiet", 100)

    count, again, busy, quiet = run(scenario)
    assert count == 121  # busy 1..120, quiet 1
    assert again == 0
    assert ids(busy) == [message(n, room="busy").id for n in range(121, 131)]
    assert ids(quiet) == [message(200, room="quiet").id]


def test_a_page_never_holds_more_than_256_kib(run):
    async def scenario(store):
        for n in range(1, 11):
            await store.put_message(message(n, text="x" * 30_000))
        return await store.latest("lobby", 10)

    page = run(scenario)
    assert ids(page) == [message(n).id for n in range(3, 11)]
    assert page.more
