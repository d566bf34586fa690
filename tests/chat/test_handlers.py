import json

import pytest

from chat.actions import AddConnectionToGroup, RemoveConnectionFromGroup, SendToGroup
from chat.datatype import DataType
from chat.handlers import handle_request
from chat.replies import ConnectReply, ErrorCode, ErrorReply, UserEventReply
from chat.settings import Settings
from tests import payloads as p

SETTINGS = Settings()


def run(payload, settings=SETTINGS):
    return handle_request(p.as_request(payload), settings, p.NOW)


def sent(outcome):
    """The JSON messages an outcome sends, by group."""
    return [(a.group, json.loads(a.data)) for a in outcome.actions if isinstance(a, SendToGroup)]


def assert_user_error(outcome, fragment):
    assert isinstance(outcome.reply, ErrorReply)
    assert outcome.reply.code is ErrorCode.USER_ERROR
    assert fragment in outcome.reply.message
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
        ("games", {"type": "message", "from": "alice", "room": "games", "text": "hi all", "at": p.NOW_ISO})
    ]
    assert outcome.reply == UserEventReply(
        data=json.dumps(
            {"type": "ack", "event": "message", "room": "games", "at": p.NOW_ISO}, separators=(",", ":")
        ),
        data_type=DataType.JSON,
    )
    assert outcome.reply.to_binding()["dataType"] == "json"
    assert "states" not in outcome.reply.to_binding()


def test_a_plain_text_message_goes_to_the_default_room():
    outcome = run(p.user_event("message", "hello <b>there</b>", data_type="Text"))
    assert sent(outcome) == [
        (
            "lobby",
            {
                "type": "message",
                "from": "alice",
                "room": "lobby",
                "text": "hello <b>there</b>",
                "at": p.NOW_ISO,
            },
        )
    ]


def test_a_json_message_without_a_room_goes_to_the_default_room():
    assert sent(run(p.user_event("message", {"text": "x"})))[0][0] == "lobby"


def test_a_message_to_a_room_not_joined_is_rejected():
    assert_user_error(run(p.user_event("message", {"room": "games", "text": "x"})), "join room 'games'")


def test_a_message_is_rejected_when_the_states_record_no_rooms():
    payload = p.user_event("message", {"text": "x"})
    payload["connectionContext"]["states"] = {}
    assert_user_error(run(payload), "join room 'lobby'")


@pytest.mark.parametrize(
    "data, fragment",
    [
        ({"room": "lobby"}, "text must be a non-empty string"),
        ({"text": ""}, "text must be a non-empty string"),
        ({"text": "   \n"}, "text must be a non-empty string"),
        ({"text": 42}, "text must be a non-empty string"),
        ({"text": "x", "room": "bad room!"}, "room must be 1 to 64"),
        ({"text": "x", "room": None}, "room must be 1 to 64"),
        ({"text": "x", "room": "r" * 65}, "room must be 1 to 64"),
        ([1, 2], "data must be a JSON object"),
        ("{not json", "data is not valid JSON"),
    ],
)
def test_a_bad_message_gets_a_user_error_naming_the_problem_and_sends_nothing(data, fragment):
    assert_user_error(run(p.user_event("message", data)), fragment)


def test_a_message_at_the_length_limit_is_accepted_and_one_over_is_rejected():
    settings = Settings(max_message_length=10)
    assert sent(run(p.user_event("message", {"text": "x" * 10}), settings))
    assert_user_error(run(p.user_event("message", {"text": "x" * 11}), settings), "longer than 10 characters")


def test_binary_data_is_rejected_with_a_clear_user_error():
    assert_user_error(
        run(p.user_event("message", "AAEC", data_type="Binary")), "binary messages are not supported"
    )


def test_an_unknown_user_event_is_rejected():
    assert_user_error(run(p.user_event("typing", {"room": "lobby"})), "unknown event 'typing'")


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
    }


def test_join_takes_the_room_name_as_plain_text():
    assert run(p.user_event("join", "games", data_type="Text")).reply.states == {"rooms": ["lobby", "games"]}


def test_a_repeated_join_changes_nothing_and_sends_nothing():
    outcome = run(p.user_event("join", {"room": "games"}, rooms=["lobby", "games"]))
    assert outcome.actions == ()
    assert isinstance(outcome.reply, UserEventReply) and outcome.reply.states == {}


def test_join_is_refused_past_the_room_limit():
    rooms = [f"room{i}" for i in range(20)]
    assert_user_error(run(p.user_event("join", {"room": "one-more"}, rooms=rooms)), "at most 20 rooms")


def test_leave_removes_the_connection_records_it_and_announces_it():
    outcome = run(p.user_event("leave", {"room": "lobby"}, rooms=["lobby", "games"]))
    assert outcome.actions[0] == RemoveConnectionFromGroup(connection_id="AbCdEfGh123-conn", group="lobby")
    assert [(g, m["event"]) for g, m in sent(outcome)] == [("lobby", "left")]
    assert outcome.reply.states == {"rooms": ["games"]}


def test_leaving_the_last_room_records_an_empty_list():
    assert run(p.user_event("leave", {"room": "lobby"})).reply.to_binding()["states"] == {"rooms": []}


def test_a_repeated_leave_changes_nothing_and_sends_nothing():
    outcome = run(p.user_event("leave", {"room": "games"}))
    assert outcome.actions == () and outcome.reply.states == {}


@pytest.mark.parametrize("data", [{}, {"room": ""}, {"room": "a/b"}, {"room": 7}, {"room": "é"}])
def test_join_and_leave_reject_a_bad_room(data):
    for name in ("join", "leave"):
        assert_user_error(run(p.user_event(name, data)), "room must be 1 to 64")


# states as the wire may carry them


def test_rooms_recorded_as_a_json_encoded_string_are_read_too():
    payload = p.user_event("message", {"room": "games", "text": "x"})
    payload["connectionContext"]["states"] = {"rooms": '["lobby","games"]'}
    assert sent(run(payload))[0][0] == "games"


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


def test_every_rejection_sends_no_action():
    rejected = [
        p.user_event("message", {"room": "nowhere", "text": "x"}),
        p.user_event("join", {"room": "!"}),
        p.connect(user_id=None),
    ]
    for payload in rejected:
        outcome = run(payload)
        assert isinstance(outcome.reply, ErrorReply) and outcome.actions == ()
