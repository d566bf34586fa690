"""The history events end to end through the core and the shell, with the in-memory store and service."""

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from msgspec import UNSET

from chat import history
from chat.handlers import EventOutcome, handle_request
from chat.history_events import (
    MAX_MEMBERS,
    ROSTER_CONNECTIONS,
    HistoryReads,
    JoinReads,
    StoreMessage,
    event_time,
    members,
)
from chat.history_store import HistoryUnavailable
from chat.messages import Member
from chat.settings import MAX_ROOMS_PER_CONNECTION, Settings
from chat.shell import purge_expired
from codec.actions import AddConnectionToGroup, SendToGroup
from codec.datatype import DataType
from codec.replies import UserEventReply
from routes.gateway import GatewayError
from tests import payloads as p
from tests.fake_gateway import FakeGateway
from tests.fake_history import FakeHistory
from tests.steps import finish

SETTINGS = Settings()
ID = history.message_id(p.EVENT_ID, p.NOW)
CONN = "AbCdEfGh123-conn"


def handle(payload, store=None, gateway=None, settings=SETTINGS, now=p.NOW, roster_timeout=2.0):
    step = handle_request(p.as_request(payload), settings, now, history=store is not None)
    return finish(step, store, gateway, roster_timeout)


def body(outcome):
    return json.loads(outcome.reply.data)


def sent(outcome):
    return [(a.group, json.loads(a.data), a.excluded) for a in outcome.actions if isinstance(a, SendToGroup)]


def refused(outcome, event, code, message, **more):
    assert outcome.actions == ()
    assert body(outcome) == {"type": "error", "event": event, "code": code, "message": message, **more}
    return True


def stored(text, at, sender="alice", room="lobby", ce_id=None):
    return history.new_message(ce_id or f"ce-{text}", at, room, sender, text)


def fill(store, *messages):
    for message in messages:
        asyncio.run(store.put_message(message))


# message


def test_a_message_with_history_on_is_stored_then_sent_with_its_id_in_the_ack_and_the_message():
    store = FakeHistory()
    step = handle_request(
        p.as_request(p.user_event("message", {"text": "hi"})), SETTINGS, p.NOW, history=True
    )
    assert isinstance(step, StoreMessage) and store.calls == []  # the core did no I/O
    outcome = finish(step, store)
    assert store.messages("lobby") == [history.StoredMessage(ID, "lobby", "alice", "hi")]
    assert body(outcome) == {
        "type": "ack",
        "event": "message",
        "room": "lobby",
        "at": p.NOW_ISO,
        "messageId": ID,
    }
    assert sent(outcome) == [
        (
            "lobby",
            {"type": "message", "id": ID, "from": "alice", "room": "lobby", "text": "hi", "at": p.NOW_ISO},
            (),
        )
    ]
    # What is sent is exactly what history will show.
    assert sent(outcome)[0][1] == store.messages("lobby")[0].wire()


def test_a_retried_message_event_is_stored_once_and_resent_with_the_same_id():
    store = FakeHistory()
    first = handle(p.user_event("message", {"text": "hi"}), store)
    again = handle(p.user_event("message", {"text": "hi"}), store, now=p.NOW + timedelta(seconds=9))
    assert first == again
    assert [m.id for m in store.messages("lobby")] == [ID]


def test_a_failed_write_refuses_the_message_and_sends_nothing():
    store = FakeHistory(failure=HistoryUnavailable("Table Storage could not be reached"))
    outcome = handle(p.user_event("message", {"text": "hi", "id": 4}), store)
    assert refused(
        outcome, "message", "history_unavailable", "history is unavailable right now: try again", id=4
    )


def test_with_history_off_a_message_is_final_at_once_and_carries_its_id():
    outcome = handle_request(p.as_request(p.user_event("message", {"text": "hi"})), SETTINGS, p.NOW)
    assert isinstance(outcome, EventOutcome)
    assert body(outcome)["messageId"] == ID and sent(outcome)[0][1]["id"] == ID


def test_a_text_longer_than_a_row_holds_is_refused_when_history_is_on():
    settings = Settings(max_message_length=100_000)
    fits = "x" * history.MAX_STORED_TEXT
    assert (
        body(handle(p.user_event("message", {"text": fits}), FakeHistory(), settings=settings))["type"]
        == "ack"
    )
    outcome = handle(p.user_event("message", {"text": fits + "x"}), FakeHistory(), settings=settings)
    assert refused(outcome, "message", "text_too_long", "text is too long to keep in history")
    # Off, nothing is kept: the setting alone limits it.
    assert body(handle(p.user_event("message", {"text": fits + "x"}), settings=settings))["type"] == "ack"


@pytest.mark.parametrize(
    "header, expected",
    [
        ("2026-11-27T12:30:15Z", datetime(2026, 11, 27, 12, 30, 15, tzinfo=UTC)),
        ("2026-11-27T12:30:15.2504567Z", datetime(2026, 11, 27, 12, 30, 15, 250456, tzinfo=UTC)),
        ("2026-11-27T13:30:15.25+01:00", datetime(2026, 11, 27, 12, 30, 15, 250000, tzinfo=UTC)),
        ("2026-11-27T12:30:15.25z", datetime(2026, 11, 27, 12, 30, 15, 250000, tzinfo=UTC)),
        ("2026-11-27T07:30:15.123456789-05:00", datetime(2026, 11, 27, 12, 30, 15, 123456, tzinfo=UTC)),
        ("2026-11-27T12:30:15", None),  # no zone: ambiguous
        ("2026-13-27T12:30:15Z", None),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_the_event_time_is_read_from_ce_time_in_rfc_3339(header, expected):
    assert event_time(header) == expected


def test_the_id_comes_from_ce_id_and_ce_time_not_from_the_handling_clock():
    later = p.NOW + timedelta(minutes=5)
    outcome = handle(p.user_event("message", {"text": "x"}, event_time="2026-11-27T12:00:00.5Z"), now=later)
    expected = history.message_id(p.EVENT_ID, datetime(2026, 11, 27, 12, 0, 0, 500000, tzinfo=UTC))
    assert body(outcome)["messageId"] == expected
    assert body(outcome)["at"] == "2026-11-27T12:00:00.500Z"


def test_without_ce_time_or_ce_id_the_handling_time_and_the_connection_stand_in():
    no_time = handle(p.user_event("message", {"text": "x"}, event_time="garbage"))
    assert body(no_time)["messageId"] == history.message_id(p.EVENT_ID, p.NOW)
    no_id = handle(p.user_event("message", {"text": "x"}, event_id=None))
    assert body(no_id)["messageId"] == history.message_id(f"{CONN}@{p.NOW.isoformat()}", p.NOW)
    far = handle(p.user_event("message", {"text": "x"}, event_time="1969-12-31T23:59:59Z"))
    assert body(far)["messageId"] == ID  # before the ids' range: the handling time


# join


def test_a_join_answers_with_the_latest_page_oldest_first_and_the_roster():
    store = FakeHistory()
    fill(store, *(stored(f"m{i}", p.NOW - timedelta(minutes=10 - i), room="games") for i in range(3)))
    gateway = FakeGateway(rooms={"games": [("c1", "bob"), ("c2", "bob"), ("c3", "carol")]})
    outcome = handle(p.user_event("join", {"room": "games", "id": "j"}), store, gateway)
    ack = body(outcome)
    assert [m["text"] for m in ack["history"]] == ["m0", "m1", "m2"]
    assert ack["history"][0] == store.messages("games")[0].wire()
    assert ack["more"] is False and ack["truncated"] is False
    assert ack["members"] == [
        {"user": "alice", "connections": 1},
        {"user": "bob", "connections": 2},
        {"user": "carol", "connections": 1},
    ]
    assert ack["rooms"] == ["lobby", "games"] and ack["id"] == "j"
    assert outcome.reply.states == {"rooms": ["lobby", "games"]}
    assert outcome.actions[0] == AddConnectionToGroup(connection_id=CONN, group="games")
    assert sent(outcome)[0][1]["type"] == "presence"
    assert gateway.calls == [("room_connections", "chat", "games", str(ROSTER_CONNECTIONS + 1))]


def test_a_join_page_holds_the_configured_number_and_says_older_ones_exist():
    store = FakeHistory()
    fill(store, *(stored(f"m{i}", p.NOW - timedelta(minutes=10 - i), room="games") for i in range(4)))
    outcome = handle(p.user_event("join", {"room": "games"}), store, settings=Settings(history_page=3))
    ack = body(outcome)
    assert [m["text"] for m in ack["history"]] == ["m1", "m2", "m3"] and ack["more"] is True


def test_a_join_never_serves_messages_past_the_retention():
    store = FakeHistory()
    old = stored("old", p.NOW - timedelta(days=30, milliseconds=1), room="games")
    kept = stored("kept", p.NOW - timedelta(days=30), room="games")
    fill(store, old, kept)
    ack = body(handle(p.user_event("join", {"room": "games"}), store))
    assert [m["text"] for m in ack["history"]] == ["kept"] and ack["more"] is False
    ack = body(handle(p.user_event("join", {"room": "games"}), store, settings=Settings(history_days=0)))
    assert [m["text"] for m in ack["history"]] == ["old", "kept"]


def test_a_repeated_join_re_adds_the_connection_and_answers_history_without_presence_or_states():
    store = FakeHistory()
    fill(store, stored("hello", p.NOW, room="games"))
    outcome = handle(p.user_event("join", {"room": "games"}, rooms=["lobby", "games"]), store)
    assert outcome.actions == (AddConnectionToGroup(connection_id=CONN, group="games"),)
    assert outcome.reply.states == {}
    assert [m["text"] for m in body(outcome)["history"]] == ["hello"]


def test_a_join_succeeds_with_null_history_when_the_store_fails_and_null_members_when_the_service_does():
    store = FakeHistory(failure=HistoryUnavailable("down"))
    gateway = FakeGateway(failure=GatewayError(503, "Web PubSub answered 503"))
    outcome = handle(p.user_event("join", {"room": "games"}), store, gateway)
    ack = body(outcome)
    assert (ack["history"], ack["more"], ack["members"], ack["truncated"]) == (None, False, None, False)
    assert outcome.reply.states == {"rooms": ["lobby", "games"]} and len(outcome.actions) == 2


@pytest.mark.parametrize("failure", [RuntimeError("anything"), ValueError("WebPubSubConnectionString")])
def test_any_roster_failure_is_null_members(failure):
    ack = body(handle(p.user_event("join", {"room": "games"}), gateway=FakeGateway(failure=failure)))
    assert ack["members"] is None


def test_a_slow_roster_is_given_up_after_the_timeout_and_the_join_still_answers():
    class Slow(FakeGateway):
        def room_connections(self, hub, room, limit):
            time.sleep(0.5)
            return [("c9", "zed")]

    ack = body(handle(p.user_event("join", {"room": "games"}), gateway=Slow(), roster_timeout=0.05))
    assert ack["members"] is None and ack["rooms"] == ["lobby", "games"]
    ack = body(handle(p.user_event("join", {"room": "games"}), gateway=Slow(), roster_timeout=2.0))
    assert ack["members"] == [{"user": "alice", "connections": 1}, {"user": "zed", "connections": 1}]


def test_the_roster_lists_at_most_100_users_sorted_and_says_when_it_was_cut():
    connections = [(f"c{i}", f"u{i:03d}") for i in range(MAX_MEMBERS)]
    listed, truncated = members(connections)
    assert len(listed) == MAX_MEMBERS and not truncated
    assert listed[0] == Member("u000", 1) and listed[-1] == Member("u099", 1)
    listed, truncated = members([*connections, ("c100", "u100")])
    assert len(listed) == MAX_MEMBERS and truncated and listed[-1] == Member("u099", 1)
    # More connections than are read: cut, even with few users.
    many = [(f"c{i}", "bob") for i in range(ROSTER_CONNECTIONS + 1)]
    assert members(many) == ([Member("bob", ROSTER_CONNECTIONS)], True)
    assert members(many[:-1]) == ([Member("bob", ROSTER_CONNECTIONS)], False)


def test_the_roster_counts_each_connection_once_names_guests_and_counts_the_joiner():
    listed, _ = members([("c1", None), ("c1", None), ("c2", "bob")], joining=("c2", "bob"))
    assert listed == [Member("bob", 1), Member("guest-c1", 1)]
    listed, _ = members([("c2", "bob")], joining=("c3", "bob"))
    assert listed == [Member("bob", 2)]
    assert members(None) == (None, False)


# history


def history_event(data, store=None, gateway=None, rooms=None, **kw):
    return handle(p.user_event("history", data, rooms=rooms), store, gateway, **kw)


def test_the_first_history_page_carries_the_roster_and_later_pages_do_not():
    store = FakeHistory()
    fill(store, *(stored(f"m{i}", p.NOW - timedelta(minutes=10 - i)) for i in range(5)))
    gateway = FakeGateway(rooms={"lobby": [("AbCdEfGh123-conn", "alice"), ("c2", "bob")]})
    first = body(history_event({"room": "lobby", "limit": 2, "id": 1}, store, gateway))
    assert first == {
        "type": "history",
        "room": "lobby",
        "messages": [m.wire() for m in store.messages("lobby")[3:]],
        "more": True,
        "members": [{"user": "alice", "connections": 1}, {"user": "bob", "connections": 1}],
        "truncated": False,
        "id": 1,
    }
    older = body(
        history_event({"room": "lobby", "limit": 2, "before": first["messages"][0]["id"]}, store, gateway)
    )
    assert older == {"type": "history", "room": "lobby", "messages": first_two(store), "more": True}
    oldest = body(history_event({"room": "lobby", "before": older["messages"][0]["id"]}, store, gateway))
    assert [m["text"] for m in oldest["messages"]] == ["m0"] and oldest["more"] is False
    assert len(gateway.calls) == 1  # only the first page asked for the roster


def first_two(store):
    return [m.wire() for m in store.messages("lobby")[1:3]]


def test_history_uses_the_configured_page_without_a_limit_and_skips_expired_messages():
    store = FakeHistory()
    fill(
        store,
        stored("old", p.NOW - timedelta(days=3)),
        *(stored(f"m{i}", p.NOW - timedelta(seconds=9 - i)) for i in range(3)),
    )
    reply = body(history_event({"room": "lobby"}, store, settings=Settings(history_page=2, history_days=1)))
    assert [m["text"] for m in reply["messages"]] == ["m1", "m2"] and reply["more"] is True
    reply = body(
        history_event(
            {"room": "lobby", "before": reply["messages"][0]["id"]}, store, settings=Settings(history_days=1)
        )
    )
    assert [m["text"] for m in reply["messages"]] == ["m0"] and reply["more"] is False


@pytest.mark.parametrize("limit", [0, 101, -1, "5", 2.0, True, None, [1]])
def test_a_limit_outside_1_to_100_or_not_a_whole_number_is_refused(limit):
    outcome = history_event({"room": "lobby", "limit": limit, "id": "h"}, FakeHistory())
    assert refused(outcome, "history", "invalid_limit", "limit must be a whole number from 1 to 100", id="h")


@pytest.mark.parametrize("limit", [1, 100])
def test_limits_1_and_100_are_accepted(limit):
    assert body(history_event({"room": "lobby", "limit": limit}, FakeHistory()))["type"] == "history"


@pytest.mark.parametrize("before", ["nope", "A" * 24, "0" * 23, 5, None])
def test_a_cursor_that_is_not_a_message_id_is_refused(before):
    store = FakeHistory()
    outcome = history_event({"room": "lobby", "before": before}, store)
    assert refused(outcome, "history", "invalid_cursor", "before must be the id of a message in room 'lobby'")
    assert store.calls == []


def test_a_cursor_of_another_room_or_of_no_message_is_refused():
    store = FakeHistory()
    elsewhere = stored("x", p.NOW, room="games")
    fill(store, elsewhere)
    outcome = history_event({"room": "lobby", "before": elsewhere.id}, store)
    assert refused(outcome, "history", "invalid_cursor", "before must be the id of a message in room 'lobby'")


def test_history_of_a_room_not_joined_is_refused_before_anything_is_read():
    store = FakeHistory()
    outcome = history_event({"room": "games"}, store)
    assert refused(outcome, "history", "not_joined", "join room 'games' before reading its history")
    assert store.calls == []


def test_history_without_a_room_is_refused():
    outcome = history_event({}, FakeHistory())
    assert refused(outcome, "history", "invalid_room", "room must be 1 to 64 letters, digits, '-' or '_'")


def test_history_is_refused_when_off_and_when_the_store_fails():
    assert refused(
        history_event({"room": "lobby"}),
        "history",
        "history_off",
        "history is off: this chat keeps no messages",
    )
    store = FakeHistory(failure=HistoryUnavailable("down"))
    outcome = history_event({"room": "lobby", "id": 2}, store)
    assert refused(
        outcome, "history", "history_unavailable", "history is unavailable right now: try again", id=2
    )


def test_a_history_step_names_what_to_read():
    step = handle_request(
        p.as_request(p.user_event("history", {"room": "lobby", "limit": 7})), SETTINGS, p.NOW, history=True
    )
    assert step == HistoryReads("lobby", None, 7, p.NOW - timedelta(days=30), True, UNSET)


# delete


def delete_event(data, store=None, user_id="alice"):
    return handle(p.user_event("delete", data, user_id=user_id), store)


def test_the_author_deletes_a_message_the_room_is_told_and_history_keeps_a_tombstone():
    store = FakeHistory()
    message = stored("oops", p.NOW)
    fill(store, message)
    outcome = delete_event({"room": "lobby", "messageId": message.id, "id": 9}, store)
    assert body(outcome) == {
        "type": "ack",
        "event": "delete",
        "room": "lobby",
        "messageId": message.id,
        "id": 9,
    }
    assert sent(outcome) == [("lobby", {"type": "deleted", "room": "lobby", "messageId": message.id}, ())]
    assert store.messages("lobby")[0].wire() == {
        "type": "message",
        "id": message.id,
        "from": "alice",
        "room": "lobby",
        "deleted": True,
        "at": history.timestamp(message.at),
    }
    again = delete_event({"room": "lobby", "messageId": message.id, "id": 9}, store)
    assert again == outcome  # a retried delete: acknowledged and announced again
    assert [c[0] for c in store.calls].count("mark_deleted") == 1


def test_only_the_author_may_delete():
    store = FakeHistory()
    message = stored("mine", p.NOW, sender="bob")
    fill(store, message)
    outcome = delete_event({"room": "lobby", "messageId": message.id}, store)
    assert refused(outcome, "delete", "not_yours", "only its author may delete a message")
    assert not store.messages("lobby")[0].deleted


def test_deleting_an_unknown_message_is_not_found():
    missing = history.message_id("nothing", p.NOW)
    outcome = delete_event({"room": "lobby", "messageId": missing}, FakeHistory())
    assert refused(outcome, "delete", "not_found", f"room 'lobby' holds no message {missing}")


def test_a_message_gone_between_the_read_and_the_deletion_is_not_found():
    class Racing(FakeHistory):
        async def mark_deleted(self, room, message_id):
            return False

    store = Racing()
    message = stored("x", p.NOW)
    fill(store, message)
    outcome = delete_event({"room": "lobby", "messageId": message.id}, store)
    assert refused(outcome, "delete", "not_found", f"room 'lobby' holds no message {message.id}")


@pytest.mark.parametrize("message_id", [None, 3, "x", "F" * 24])
def test_a_malformed_message_id_is_refused(message_id):
    data = {"room": "lobby"} if message_id is None else {"room": "lobby", "messageId": message_id}
    outcome = delete_event(data, FakeHistory())
    assert refused(
        outcome, "delete", "invalid_data", "messageId must be a message id (24 lowercase hex digits)"
    )


def test_delete_is_refused_when_off_and_when_the_store_fails():
    data = {"room": "lobby", "messageId": ID}
    assert refused(delete_event(data), "delete", "history_off", "history is off: this chat keeps no messages")
    outcome = delete_event(data, FakeHistory(failure=HistoryUnavailable("down")))
    assert refused(outcome, "delete", "history_unavailable", "history is unavailable right now: try again")


# typing


def typing_event(states=None, now=p.NOW, rooms=None, room="lobby"):
    payload = p.user_event("typing", {"room": room, "id": "t"}, rooms=rooms, states=states)
    return handle(payload, now=now)


NOW_MS = history.milliseconds(p.NOW)


def test_typing_is_forwarded_to_the_room_except_the_sender_and_recorded():
    outcome = typing_event()
    assert outcome.reply == UserEventReply(
        '{"type":"ack","event":"typing","room":"lobby","forwarded":true,"id":"t"}',
        DataType.JSON,
        {"typing": {"lobby": NOW_MS}},
    )
    assert sent(outcome) == [("lobby", {"type": "typing", "user": "alice", "room": "lobby"}, (CONN,))]


@pytest.mark.parametrize("elapsed_ms, forwarded", [(0, False), (2999, False), (3000, True), (-1, True)])
def test_typing_is_forwarded_at_most_once_every_3_seconds_per_room(elapsed_ms, forwarded):
    outcome = typing_event(states={"typing": {"lobby": NOW_MS - elapsed_ms}})
    assert body(outcome)["forwarded"] is forwarded
    assert bool(outcome.actions) is forwarded
    if not forwarded:
        assert outcome.reply.states == {}


def test_the_typing_state_keeps_only_joined_rooms_recent_times():
    states = {
        "typing": {"games": NOW_MS - 100, "old": NOW_MS - 100, "lobby": NOW_MS - 5000, "x": NOW_MS - 9000}
    }
    outcome = typing_event(states=states, rooms=["lobby", "games", "x"])
    assert outcome.reply.states == {"typing": {"games": NOW_MS - 100, "lobby": NOW_MS}}
    # A JSON-encoded state is read too; a forged one is ignored.
    assert body(typing_event(states={"typing": json.dumps({"lobby": NOW_MS})}))["forwarded"] is False
    assert body(typing_event(states={"typing": "{not json"}))["forwarded"] is True
    assert body(typing_event(states={"typing": {"lobby": "soon"}}))["forwarded"] is True


def test_typing_in_a_room_not_joined_is_refused():
    outcome = typing_event(room="games")
    assert refused(outcome, "typing", "not_joined", "join room 'games' before typing in it", id="t")


# retention


def test_purging_deletes_only_messages_older_than_the_retention():
    store = FakeHistory()
    fill(store, stored("old", p.NOW - timedelta(days=2)), stored("new", p.NOW - timedelta(hours=23)))
    assert asyncio.run(purge_expired(store, p.NOW, 1)) == 1
    assert [m.text for m in store.messages("lobby")] == ["new"]
    assert store.calls[-1] == ("delete_older_than", p.NOW - timedelta(days=1))


def test_purging_with_0_days_keeps_everything_and_asks_nothing():
    store = FakeHistory()
    fill(store, stored("old", p.NOW - timedelta(days=3000)))
    store.calls.clear()
    assert asyncio.run(purge_expired(store, p.NOW, 0)) == 0
    assert store.calls == [] and len(store.messages("lobby")) == 1


def test_join_reads_are_a_step_the_core_returns_without_io():
    step = handle_request(
        p.as_request(p.user_event("join", {"room": "games"})), SETTINGS, p.NOW, history=True
    )
    assert isinstance(step, JoinReads) and step.history and step.limit == 50


# what every answer carries


MANY_ROOMS = [f"r{i}" for i in range(25)]
"""More rooms than a connection may record: the handlers read only the first 20."""


@pytest.mark.parametrize("name", ["history", "typing"])
def test_a_room_past_the_first_20_recorded_counts_as_not_joined(name):
    last_read = MANY_ROOMS[MAX_ROOMS_PER_CONNECTION - 1]
    past = MANY_ROOMS[MAX_ROOMS_PER_CONNECTION]
    reading = {"history": "reading its history", "typing": "typing in it"}[name]
    outcome = handle(p.user_event(name, {"room": past}, rooms=MANY_ROOMS), FakeHistory())
    assert refused(outcome, name, "not_joined", f"join room {past!r} before {reading}")
    outcome = handle(p.user_event(name, {"room": last_read}, rooms=MANY_ROOMS), FakeHistory())
    assert body(outcome)["type"] != "error"


def test_every_history_and_delete_refusal_carries_the_events_id():
    store = FakeHistory()
    mine = stored("mine", p.NOW)
    theirs = stored("theirs", p.NOW, sender="bob", ce_id="ce-bob")
    elsewhere = stored("x", p.NOW, room="games", ce_id="ce-games")
    fill(store, mine, theirs, elsewhere)
    missing = history.message_id("nothing", p.NOW)
    cursor_rule = "before must be the id of a message in room 'lobby'"
    cases = [
        (p.user_event("history", {"room": "games", "id": 7}), store, "not_joined"),
        (p.user_event("history", {"room": "lobby", "before": "nope", "id": 7}), store, "invalid_cursor"),
        (
            p.user_event("history", {"room": "lobby", "before": elsewhere.id, "id": 7}),
            store,
            "invalid_cursor",
        ),
        (p.user_event("history", {"room": "lobby", "id": 7}), None, "history_off"),
        (p.user_event("delete", {"room": "lobby", "messageId": "x", "id": 7}), store, "invalid_data"),
        (p.user_event("delete", {"room": "lobby", "messageId": ID, "id": 7}), None, "history_off"),
        (p.user_event("delete", {"room": "lobby", "messageId": theirs.id, "id": 7}), store, "not_yours"),
        (p.user_event("delete", {"room": "lobby", "messageId": missing, "id": 7}), store, "not_found"),
    ]
    for payload, where, code in cases:
        answer = body(handle(payload, where))
        assert (answer["code"], answer["id"]) == (code, 7)
    assert body(handle(cases[1][0], store))["message"] == cursor_rule
    assert body(handle(cases[2][0], store))["message"] == cursor_rule


def test_a_message_too_long_to_keep_is_refused_with_its_id():
    settings = Settings(max_message_length=100_000)
    text = "x" * (history.MAX_STORED_TEXT + 1)
    outcome = handle(p.user_event("message", {"text": text, "id": "m"}), FakeHistory(), settings=settings)
    assert refused(outcome, "message", "text_too_long", "text is too long to keep in history", id="m")


def test_a_typing_notice_held_back_is_acknowledged_in_full_and_changes_no_state():
    outcome = typing_event(states={"typing": {"lobby": NOW_MS - 1}})
    assert outcome == EventOutcome(
        UserEventReply(
            '{"type":"ack","event":"typing","room":"lobby","forwarded":false,"id":"t"}', DataType.JSON
        )
    )


def test_the_history_reply_and_what_typing_and_delete_send_are_json():
    store = FakeHistory()
    message = stored("oops", p.NOW)
    fill(store, message)
    reply = history_event({"room": "lobby"}, store).reply
    assert reply.data_type is DataType.JSON
    (typing_send,) = typing_event().actions
    assert typing_send.data_type is DataType.JSON
    (delete_send,) = delete_event({"room": "lobby", "messageId": message.id}, store).actions
    assert delete_send.data_type is DataType.JSON


def test_a_join_counts_the_joiner_once_when_the_roster_already_lists_its_connection():
    gateway = FakeGateway(rooms={"games": [(CONN, "alice"), ("c2", "bob")]})
    ack = body(handle(p.user_event("join", {"room": "games"}), FakeHistory(), gateway))
    assert ack["members"] == [{"user": "alice", "connections": 1}, {"user": "bob", "connections": 1}]


def test_a_slow_roster_on_a_first_history_page_is_given_up_after_the_timeout():
    class Slow(FakeGateway):
        def room_connections(self, hub, room, limit):
            time.sleep(0.5)
            return [("c9", "zed")]

    reply = body(history_event({"room": "lobby"}, FakeHistory(), Slow(), roster_timeout=0.05))
    assert (reply["messages"], reply["members"], reply["truncated"]) == ([], None, False)


def test_history_and_delete_read_their_fields_the_same_with_a_field_the_chat_does_not_know():
    store = FakeHistory()
    fill(store, *(stored(f"m{i}", p.NOW - timedelta(minutes=10 - i)) for i in range(4)))
    newest = store.messages("lobby")[-1].id
    plain = {"room": "lobby", "limit": 2, "before": newest}
    assert history_event({**plain, "client": "web"}, store) == history_event(plain, store)
    reply = body(history_event({**plain, "client": "web"}, store))
    assert [m["text"] for m in reply["messages"]] == ["m1", "m2"] and reply["more"] is True
    # Neither limit nor before: the configured page, from the newest.
    reply = body(history_event({"room": "lobby", "client": "web"}, store, settings=Settings(history_page=3)))
    assert [m["text"] for m in reply["messages"]] == ["m1", "m2", "m3"]
    outcome = delete_event({"room": "lobby", "messageId": newest, "client": "web"}, store)
    assert body(outcome) == {"type": "ack", "event": "delete", "room": "lobby", "messageId": newest}
    assert store.messages("lobby")[-1].deleted
