"""The shell alone: what ``complete`` does with a step when the store is missing or not asked for."""

import asyncio
import json

from chat import history
from chat.history_events import DeleteReads, HistoryReads, JoinReads
from chat.messages import Ack
from chat.shell import complete
from tests import payloads as p
from tests.fake_history import FakeHistory

UNAVAILABLE = "history is unavailable right now: try again"


def no_roster(room, limit):
    return []


def answer(step, store):
    outcome = asyncio.run(complete(step, store, no_roster))
    return outcome.reply.data


def refusal(event, event_id):
    return (
        f'{{"type":"error","event":"{event}","code":"history_unavailable","message":"{UNAVAILABLE}",'
        f'"id":{event_id}}}'
    )


def test_a_history_or_delete_step_without_a_store_is_refused_as_unavailable_with_its_id():
    # The handlers refuse history_off first; the shell still answers plainly.
    reads = HistoryReads("lobby", None, 5, None, True, 3)
    assert answer(reads, None) == refusal("history", 3)
    deletion = DeleteReads("lobby", history.message_id("ce", p.NOW), "alice", 4)
    assert answer(deletion, None) == refusal("delete", 4)


def test_a_join_step_that_asks_for_no_history_reads_none_even_with_a_store():
    store = FakeHistory()
    asyncio.run(store.put_message(history.new_message("ce", p.NOW, "lobby", "alice", "hi")))
    store.calls.clear()
    ack = Ack(event="join", room="lobby", rooms=["lobby"])
    step = JoinReads(ack, None, (), "conn", "alice", False, 50, None)
    reply = json.loads(answer(step, store))
    assert (reply["history"], reply["more"], reply["members"]) == (
        None,
        False,
        [{"user": "alice", "connections": 1}],
    )
    assert store.calls == []
