import json

import pytest

from chat import history
from chat.handlers import EventOutcome, choose_subprotocol, handle_event, handle_request, on_user_event
from chat.settings import Settings
from codec.actions import AddConnectionToGroup, RemoveConnectionFromGroup, SendToGroup
from codec.datatype import DataType
from codec.events import parse_event
from codec.replies import ConnectReply, ErrorCode, ErrorReply, UserEventReply
from tests import payloads as p
from tests.steps import finish

SETTINGS = Settings()
ID = history.message_id(p.EVENT_ID, p.NOW)
"""The id of a message posted by an event of the payloads (its ce-id, at NOW)."""


def run(payload, settings=SETTINGS):
    """The outcome with history off (a step completed with no store and an empty room)."""
    return finish(handle_request(p.as_request(payload), settings, p.NOW))


def sent(outcome):
    """The JSON messages an outcome sends, by group."""
    return [(a.group, json.loads(a.data)) for a in outcome.actions if isinstance(a, SendToGroup)]


def assert_user_error(outcome, fragment):
    """A malformed event from the service: rejected with userError, as before."""
    assert isinstance(outcome.reply, ErrorReply)
    assert outcome.reply.code is ErrorCode.USER_ERROR
    assert fragment in outcome.reply.message
    assert outcome.actions == ()


def refusal(event, code, message, **correlation):
    """The exact successful reply that tells a user why ``event`` was refused."""
    body = {"type": "error", "event": event, "code": code, "message": message, **correlation}
    return UserEventReply(data=json.dumps(body, separators=(",", ":")), data_type=DataType.JSON)


def assert_refused(outcome, event, code, message, **correlation):
    assert outcome.reply == refusal(event, code, message, **correlation)
    assert outcome.reply.to_binding() == {"data": outcome.reply.data, "dataType": "json"}
    assert outcome.actions == ()


# connect


def test_connect_accepts_a_user_into_the_default_room_with_the_json_subprotocol():
    outcome = run(p.connect())
    assert outcome.actions == ()
    assert outcome.reply == ConnectReply(
        user_id="alice", groups=("lobby",), subprotocol=p.SUBPROTOCOL, states={"rooms": ["lobby"]}
    )
    assert outcome.reply.to_binding() == {
        "userId": "alice",
        "groups": ["lobby"],
        "subprotocol": p.SUBPROTOCOL,
        "states": {"rooms": ["lobby"]},
    }


def test_connect_chooses_no_subprotocol_when_the_client_offered_none():
    reply = run(p.connect(subprotocols=[])).reply
    assert isinstance(reply, ConnectReply)
    assert reply.subprotocol is None
    assert "subprotocol" not in reply.to_binding()


def test_connect_uses_the_configured_default_room():
    reply = run(p.connect(), Settings(default_room="general")).reply
    assert reply.groups == ("general",)
    assert reply.states == {"rooms": ["general"]}


def test_connect_without_a_user_id_is_unauthorized_by_default():
    outcome = run(p.connect(user_id=None))
    assert outcome.reply.to_binding() == {
        "code": "unauthorized",
        "errorMessage": "sign in first: the connection has no user id",
    }


def test_connect_with_an_empty_user_id_is_unauthorized():
    payload = p.connect()
    payload["connectionContext"]["userId"] = ""
    assert run(payload).reply.code is ErrorCode.UNAUTHORIZED


def test_connect_without_a_user_id_gets_a_stable_guest_id_when_anonymous_users_are_allowed():
    settings = Settings(allow_anonymous=True)
    first = run(p.connect(user_id=None), settings).reply
    again = run(p.connect(user_id=None), settings).reply
    assert first.user_id == "guest-AbCdEfGh"
    assert again == first


def test_connect_ignores_unknown_fields_and_tolerates_missing_optional_ones():
    payload = p.connect(somethingNew={"x": 1})
    for key in ("claims", "query", "headers", "clientCertificates", "subprotocols"):
        del payload[key]
    reply = run(payload).reply
    assert reply.user_id == "alice" and reply.subprotocol is None


# connected / disconnected


def test_connected_announces_the_user_in_the_rooms_recorded_at_connect():
    outcome = run(p.connected(rooms=["lobby"]))
    assert outcome.reply is None
    assert sent(outcome) == [
        ("lobby", {"type": "presence", "user": "alice", "event": "joined", "room": "lobby", "at": p.NOW_ISO})
    ]
    assert outcome.actions[0].data_type is DataType.JSON


def test_connected_without_states_announces_in_the_default_room():
    assert [g for g, _ in sent(run(p.connected()))] == ["lobby"]


def test_disconnected_announces_the_departure_in_every_joined_room():
    outcome = run(p.disconnected(rooms=["lobby", "games"]))
    assert outcome.reply is None
    assert [(g, m["event"], m["user"]) for g, m in sent(outcome)] == [
        ("lobby", "left", "alice"),
        ("games", "left", "alice"),
    ]


def test_disconnected_without_a_reason_or_rooms_sends_nothing():
    assert run(p.disconnected(rooms=None, reason=None)).actions == ()


# message


def test_a_json_message_goes_to_its_room_and_the_sender_gets_an_ack():
    outcome = run(p.user_event("message", {"room": "games", "text": "hi all"}, rooms=["lobby", "games"]))
    assert sent(outcome) == [
        (
            "games",
            {
                "type": "message",
                "id": ID,
                "from": "alice",
                "room": "games",
                "text": "hi all",
                "at": p.NOW_ISO,
            },
        )
    ]
    assert outcome.reply == UserEventReply(
        data=json.dumps(
            {"type": "ack", "event": "message", "room": "games", "at": p.NOW_ISO, "messageId": ID},
            separators=(",", ":"),
        ),
        data_type=DataType.JSON,
    )
    assert outcome.reply.to_binding()["dataType"] == "json"
    assert "states" not in outcome.reply.to_binding()


def test_a_message_is_sent_to_its_room_as_json_data():
    outcome = run(p.user_event("message", {"text": "hi"}))
    (action,) = outcome.actions
    assert action == SendToGroup(
        group="lobby",
        data=f'{{"type":"message","id":"{ID}","from":"alice","room":"lobby","text":"hi","at":"{p.NOW_ISO}"}}',
        data_type=DataType.JSON,
    )


def test_a_guests_message_is_from_its_guest_id():
    payload = p.user_event("message", {"text": "hi"}, user_id=None)
    assert sent(run(payload, Settings(allow_anonymous=True)))[0][1]["from"] == "guest-AbCdEfGh"


def test_timestamps_are_utc_whatever_the_time_zone_of_the_clock_and_the_machine(monkeypatch):
    import time
    from datetime import datetime, timedelta, timezone

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        tokyo = datetime(2026, 11, 27, 21, 30, 15, 999999, tzinfo=timezone(timedelta(hours=9)))
        # Without a ce-time the handling time stands in for the event's.
        payload = p.user_event("message", {"text": "x"}, event_time=None)
        outcome = handle_request(p.as_request(payload), SETTINGS, tokyo)
        assert json.loads(outcome.reply.data)["at"] == "2026-11-27T12:30:15.999Z"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_plain_text_message_goes_to_the_default_room():
    outcome = run(p.user_event("message", "hello <b>there</b>", data_type="Text"))
    assert sent(outcome) == [
        (
            "lobby",
            {
                "type": "message",
                "id": ID,
                "from": "alice",
                "room": "lobby",
                "text": "hello <b>there</b>",
                "at": p.NOW_ISO,
            },
        )
    ]


def test_a_json_message_without_a_room_goes_to_the_default_room():
    assert sent(run(p.user_event("message", {"text": "x"})))[0][0] == "lobby"


def test_a_message_to_a_room_not_joined_is_refused_with_a_reason_the_sender_reads():
    outcome = run(p.user_event("message", {"room": "games", "text": "x"}))
    assert_refused(outcome, "message", "not_joined", "join room 'games' before posting to it")


def test_a_message_is_refused_when_the_states_record_no_rooms():
    payload = p.user_event("message", {"text": "x"})
    payload["connectionContext"]["states"] = {}
    assert_refused(run(payload), "message", "not_joined", "join room 'lobby' before posting to it")


ROOM_RULE = "room must be 1 to 64 letters, digits, '-' or '_'"


@pytest.mark.parametrize(
    "data, code, message",
    [
        ({"room": "lobby"}, "invalid_text", "text must be a non-empty string"),
        ({"text": ""}, "invalid_text", "text must be a non-empty string"),
        ({"text": "   \n"}, "invalid_text", "text must be a non-empty string"),
        ({"text": 42}, "invalid_text", "text must be a non-empty string"),
        ({"text": "x", "room": "bad room!"}, "invalid_room", ROOM_RULE),
        ({"text": "x", "room": None}, "invalid_room", ROOM_RULE),
        ({"text": "x", "room": "r" * 65}, "invalid_room", ROOM_RULE),
        ([1, 2], "invalid_data", "data must be a JSON object"),
        ("{not json", "invalid_data", "data is not valid JSON"),
        ("[NaN]", "invalid_data", "data is not valid JSON"),
        ('{"text": "x", "n": Infinity}', "invalid_data", "data is not valid JSON"),
        ('{"text": "x", "n": 1e400}', "invalid_data", "data is not valid JSON"),
    ],
)
def test_a_bad_message_is_refused_naming_the_problem_and_sends_nothing(data, code, message):
    assert_refused(run(p.user_event("message", data)), "message", code, message)


def test_a_message_at_the_length_limit_is_accepted_and_one_over_is_refused():
    settings = Settings(max_message_length=10)
    assert sent(run(p.user_event("message", {"text": "x" * 10}), settings))
    outcome = run(p.user_event("message", {"text": "x" * 11}), settings)
    assert_refused(outcome, "message", "text_too_long", "text is longer than 10 characters")


def test_binary_data_is_refused_with_a_clear_reason():
    outcome = run(p.user_event("message", "AAEC", data_type="Binary"))
    assert_refused(
        outcome, "message", "unsupported_data_type", "binary data is not supported: send text or JSON"
    )


def test_an_unknown_user_event_is_refused_naming_the_events_there_are():
    outcome = run(p.user_event("shout", {"room": "lobby"}))
    assert_refused(
        outcome,
        "shout",
        "unknown_event",
        "unknown event: send one of message, join, leave, history, delete, typing",
    )


def test_an_unknown_event_name_is_echoed_at_most_64_characters_long():
    outcome = run(p.user_event("t" * 65, {}))
    assert json.loads(outcome.reply.data)["event"] == "t" * 64


@pytest.mark.parametrize("event_id", ["a", "m-1", "x" * 64, 0, 7, 2**53 - 1, -(2**53 - 1)])
def test_an_id_is_echoed_in_the_ack_and_in_a_refusal(event_id):
    ack = run(p.user_event("message", {"text": "hi", "id": event_id})).reply
    assert json.loads(ack.data) == {
        "type": "ack",
        "event": "message",
        "room": "lobby",
        "at": p.NOW_ISO,
        "messageId": ID,
        "id": event_id,
    }
    outcome = run(p.user_event("join", {"room": "", "id": event_id}))
    assert_refused(outcome, "join", "invalid_room", ROOM_RULE, id=event_id)


@pytest.mark.parametrize(
    "name, data, rooms, settings, code",
    [
        ("message", {"text": "x"}, None, SETTINGS, "ack"),
        ("message", {"text": " "}, None, SETTINGS, "invalid_text"),
        ("message", {"text": "xx"}, None, Settings(max_message_length=1), "text_too_long"),
        ("message", {"room": "games", "text": "x"}, None, SETTINGS, "not_joined"),
        ("join", {"room": "games"}, None, SETTINGS, "ack"),
        ("join", {"room": "lobby"}, None, SETTINGS, "ack"),  # a repeated join
        ("join", {"room": "r0"}, [f"r{i}" for i in range(1, 21)], SETTINGS, "too_many_rooms"),
        ("join", {}, None, SETTINGS, "invalid_room"),
        ("leave", {"room": "lobby"}, None, SETTINGS, "ack"),
        ("leave", {"room": "games"}, None, SETTINGS, "ack"),  # a room not joined
        ("leave", {}, None, SETTINGS, "invalid_room"),
    ],
)
def test_every_ack_and_refusal_echoes_the_events_id(name, data, rooms, settings, code):
    reply = run(p.user_event(name, {**data, "id": "m-7"}, rooms=rooms), settings).reply
    body = json.loads(reply.data)
    assert (body["type"] if code == "ack" else body["code"], body["event"], body["id"]) == (code, name, "m-7")


def test_join_and_leave_name_themselves_when_refusing_a_plain_text_room():
    for name in ("join", "leave"):
        outcome = run(p.user_event(name, "bad room!", data_type="Text"))
        assert_refused(outcome, name, "invalid_room", ROOM_RULE)


@pytest.mark.parametrize("event_id", ["", "x" * 65, 2**53, -(2**53), 1.5, True, None, [], {}])
def test_an_id_that_is_not_a_short_string_or_a_safe_integer_is_refused(event_id):
    outcome = run(p.user_event("message", {"text": "hi", "id": event_id}))
    assert_refused(
        outcome, "message", "invalid_id", "id must be a string of 1 to 64 characters or a whole number"
    )


def test_event_names_and_data_types_are_matched_case_insensitively():
    payload = p.user_event("Message", {"text": "hi"}, data_type="JSON")
    assert sent(run(payload))


# join / leave


def test_join_adds_the_connection_to_the_room_records_it_and_announces_it():
    outcome = run(p.user_event("join", {"room": "games"}))
    assert outcome.actions[0] == AddConnectionToGroup(connection_id="AbCdEfGh123-conn", group="games")
    assert sent(outcome) == [
        ("games", {"type": "presence", "user": "alice", "event": "joined", "room": "games", "at": p.NOW_ISO})
    ]
    assert outcome.reply.states == {"rooms": ["lobby", "games"]}
    assert json.loads(outcome.reply.data) == {
        "type": "ack",
        "event": "join",
        "room": "games",
        "rooms": ["lobby", "games"],
        "history": None,  # history is off
        "more": False,
        "members": [{"user": "alice", "connections": 1}],  # the joiner, about to be added
        "truncated": False,
    }


def test_join_takes_the_room_name_as_plain_text():
    assert run(p.user_event("join", "games", data_type="Text")).reply.states == {"rooms": ["lobby", "games"]}


def test_a_repeated_join_changes_no_state_announces_nothing_and_adds_the_connection_again():
    outcome = run(p.user_event("join", {"room": "games"}, rooms=["lobby", "games"]))
    # The connection may have been removed from the group (through
    # /api/broadcast): the idempotent add lets it back in.
    assert outcome.actions == (AddConnectionToGroup(connection_id="AbCdEfGh123-conn", group="games"),)
    assert outcome.reply == UserEventReply(
        data='{"type":"ack","event":"join","room":"games","rooms":["lobby","games"],'
        '"history":null,"more":false,"members":[{"user":"alice","connections":1}],"truncated":false}',
        data_type=DataType.JSON,
    )


def test_join_is_accepted_up_to_the_room_limit_and_refused_past_it():
    rooms = [f"room{i}" for i in range(19)]
    assert (
        run(p.user_event("join", {"room": "twentieth"}, rooms=rooms)).reply.states["rooms"][-1] == "twentieth"
    )
    outcome = run(p.user_event("join", {"room": "one-more"}, rooms=[*rooms, "twentieth"]))
    assert_refused(
        outcome, "join", "too_many_rooms", "a connection can be in at most 20 rooms: leave one first"
    )


def test_leave_removes_the_connection_records_it_and_announces_it():
    outcome = run(p.user_event("leave", {"room": "lobby"}, rooms=["lobby", "games"]))
    assert outcome.actions[0] == RemoveConnectionFromGroup(connection_id="AbCdEfGh123-conn", group="lobby")
    assert [(g, m["event"]) for g, m in sent(outcome)] == [("lobby", "left")]
    assert outcome.reply == UserEventReply(
        data='{"type":"ack","event":"leave","room":"lobby","rooms":["games"]}',
        data_type=DataType.JSON,
        states={"rooms": ["games"]},
    )


@pytest.mark.parametrize("room, left", [("a", ["b", "c"]), ("b", ["a", "c"]), ("c", ["a", "b"])])
def test_leave_keeps_the_other_rooms_in_their_order(room, left):
    outcome = run(p.user_event("leave", {"room": room}, rooms=["a", "b", "c"]))
    assert outcome.reply.states == {"rooms": left}


def test_leaving_the_last_room_records_an_empty_list():
    assert run(p.user_event("leave", {"room": "lobby"})).reply.to_binding()["states"] == {"rooms": []}


def test_a_repeated_leave_changes_nothing_sends_nothing_and_acks_with_the_rooms():
    outcome = run(p.user_event("leave", {"room": "games"}))
    assert outcome.actions == ()
    assert outcome.reply == UserEventReply(
        data='{"type":"ack","event":"leave","room":"games","rooms":["lobby"]}', data_type=DataType.JSON
    )


@pytest.mark.parametrize("data", [{}, {"room": ""}, {"room": "a/b"}, {"room": 7}, {"room": "é"}])
def test_join_and_leave_refuse_a_bad_room(data):
    for name in ("join", "leave"):
        assert_refused(run(p.user_event(name, data)), name, "invalid_room", ROOM_RULE)


def test_a_room_name_of_64_characters_is_a_room_and_65_is_not():
    assert run(p.user_event("join", {"room": "r" * 64})).reply.states == {"rooms": ["lobby", "r" * 64]}
    assert_refused(run(p.user_event("join", {"room": "r" * 65})), "join", "invalid_room", ROOM_RULE)


@pytest.mark.parametrize(
    "offered, chosen",
    [
        (["json.webpubsub.azure.v1", "json.reliable.webpubsub.azure.v1"], "json.reliable.webpubsub.azure.v1"),
        (["json.reliable.webpubsub.azure.v1"], "json.reliable.webpubsub.azure.v1"),
        (["protobuf.webpubsub.azure.v1", "json.webpubsub.azure.v1"], "json.webpubsub.azure.v1"),
        (["protobuf.webpubsub.azure.v1"], None),
        ([], None),
    ],
)
def test_connect_picks_the_reliable_json_subprotocol_first_then_the_plain_one(offered, chosen):
    assert choose_subprotocol(tuple(offered)) == chosen
    assert run(p.connect(subprotocols=offered)).reply.subprotocol == chosen


# states as the wire may carry them


def test_rooms_recorded_as_a_json_encoded_string_are_read_too():
    payload = p.user_event("message", {"room": "games", "text": "x"})
    payload["connectionContext"]["states"] = {"rooms": '["lobby","games"]'}
    assert sent(run(payload))[0][0] == "games"


@pytest.mark.parametrize("recorded", [{"lobby": True}, 5, "lobby", '{"lobby": 1}', "[not json"])
def test_rooms_recorded_as_anything_but_a_list_count_as_none(recorded):
    payload = p.user_event("message", {"text": "x"})
    payload["connectionContext"]["states"] = {"rooms": recorded}
    assert_refused(run(payload), "message", "not_joined", "join room 'lobby' before posting to it")
    assert sent(run(p.disconnected(rooms=recorded))) == []


FORGED = [f"r{i}" for i in range(20_000)]


@pytest.mark.parametrize("payload", [p.connected(rooms=FORGED), p.disconnected(rooms=FORGED)])
def test_a_forged_state_of_20000_rooms_announces_in_the_first_20_only(payload):
    assert [g for g, _ in sent(run(payload))] == FORGED[:20]


def test_a_forged_state_of_20000_rooms_counts_as_its_first_20():
    assert sent(run(p.user_event("message", {"room": "r19", "text": "x"}, rooms=FORGED)))[0][0] == "r19"
    assert_refused(
        run(p.user_event("message", {"room": "r20", "text": "x"}, rooms=FORGED)),
        "message",
        "not_joined",
        "join room 'r20' before posting to it",
    )
    assert_refused(
        run(p.user_event("join", {"room": "r19999"}, rooms=FORGED)),
        "join",
        "too_many_rooms",
        "a connection can be in at most 20 rooms: leave one first",
    )
    left = run(p.user_event("leave", {"room": "r0"}, rooms=FORGED))
    assert left.reply.states == {"rooms": FORGED[1:20]}
    assert [g for g, _ in sent(left)] == ["r0"]


def test_invalid_entries_in_the_recorded_rooms_are_ignored():
    payload = p.disconnected(rooms=["lobby", "bad room", 3, "lobby"])
    assert [g for g, _ in sent(run(payload))] == ["lobby"]


# malformed envelopes


@pytest.mark.parametrize(
    "request_value, fragment",
    [
        ("not json", "not valid JSON"),
        ("[]", "request must be an object"),
        ("{}", "request.connectionContext must be an object"),
        (json.dumps({"connectionContext": {"eventType": "Other"}}), "eventType must be System or User"),
        (
            json.dumps({"connectionContext": {**p.context(), "connectionId": ""}}),
            "connectionId must be a non-empty string",
        ),
        (json.dumps({"connectionContext": p.context("System", "restart")}), "unknown system event 'restart'"),
        (json.dumps({"connectionContext": p.context("User", "message"), "data": 5}), "data must be a string"),
        (
            json.dumps({"connectionContext": p.context("User", "message"), "dataType": "Xml"}),
            "dataType must be",
        ),
        (json.dumps({**p.connect(), "subprotocols": "json"}), "subprotocols must be an array of strings"),
    ],
)
def test_a_malformed_event_gets_a_user_error_and_sends_nothing(request_value, fragment):
    outcome = handle_request(request_value, SETTINGS, p.NOW)
    assert_user_error(outcome, fragment)


def test_every_refusal_and_rejection_sends_no_action():
    refused = [
        p.user_event("message", {"room": "nowhere", "text": "x"}),
        p.user_event("join", {"room": "!"}),
    ]
    for payload in refused:
        outcome = run(payload)
        assert json.loads(outcome.reply.data)["type"] == "error" and outcome.actions == ()
    outcome = run(p.connect(user_id=None))
    assert isinstance(outcome.reply, ErrorReply) and outcome.actions == ()


@pytest.mark.parametrize(
    "microsecond, written",
    [(0, "00.000Z"), (1, "00.000Z"), (999, "00.000Z"), (1000, "00.001Z"), (999999, "00.999Z")],
)
def test_timestamps_keep_milliseconds_whole_even_on_the_second(microsecond, written):
    from datetime import datetime, timezone

    now = datetime(2026, 11, 27, 12, 30, 0, microsecond, tzinfo=timezone.utc)
    for payload in (
        p.user_event("message", {"text": "x"}, event_time=None),  # the clock's time
        p.user_event("message", {"text": "x"}, event_time=now.isoformat()),  # the event's
    ):
        outcome = handle_request(p.as_request(payload), SETTINGS, now)
        assert json.loads(outcome.reply.data)["at"] == "2026-11-27T12:30:" + written


def test_handling_an_event_without_saying_whether_history_is_on_treats_it_as_off():
    event = parse_event(p.as_request(p.user_event("message", {"text": "hi"})))
    for outcome in (handle_event(event, SETTINGS, p.NOW), on_user_event(event, SETTINGS, p.NOW)):
        assert isinstance(outcome, EventOutcome)  # final: no step to store it
        assert json.loads(outcome.reply.data)["messageId"] == ID
