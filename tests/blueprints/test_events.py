"""Call the trigger functions as the worker does: a JSON string in, a dict back."""

import json

import pytest

from chat.settings import SettingsError
from tests import payloads as p
from tests.conftest import user_functions
from tests.payloads import FakeOut


@pytest.fixture(autouse=True)
def clean_settings(monkeypatch):
    for name in ("ChatAllowAnonymous", "ChatDefaultRoom", "ChatMaxMessageLength"):
        monkeypatch.delenv(name, raising=False)


def test_connect_returns_the_accept_reply_as_a_dict(functions):
    reply = functions["connect"](request=p.as_request(p.connect()))
    assert reply == {
        "userId": "alice",
        "groups": ["lobby"],
        "subprotocol": p.SUBPROTOCOL,
        "states": {"rooms": ["lobby"]},
    }


def test_connect_follows_the_anonymous_setting(functions, monkeypatch):
    assert functions["connect"](request=p.as_request(p.connect(user_id=None)))["code"] == "unauthorized"
    monkeypatch.setenv("ChatAllowAnonymous", "true")
    functions = user_functions()  # what a restart after a settings change does
    assert functions["connect"](request=p.as_request(p.connect(user_id=None)))["userId"] == "guest-AbCdEfGh"


def test_settings_are_read_once_per_process(functions, monkeypatch):
    functions["connect"](request=p.as_request(p.connect()))
    monkeypatch.setenv("ChatAllowAnonymous", "true")
    assert functions["connect"](request=p.as_request(p.connect(user_id=None)))["code"] == "unauthorized"


def test_a_malformed_setting_is_not_kept(functions, monkeypatch):
    monkeypatch.setenv("ChatAllowAnonymous", "perhaps")
    with pytest.raises(SettingsError):
        functions["connect"](request=p.as_request(p.connect()))
    monkeypatch.setenv("ChatAllowAnonymous", "true")
    assert functions["connect"](request=p.as_request(p.connect(user_id=None)))["userId"].startswith("guest-")


def test_connected_sets_presence_actions_and_returns_nothing(functions):
    out = FakeOut()
    assert functions["connected"](request=p.as_request(p.connected(rooms=["lobby"])), actions=out) is None
    (action,) = out.actions()
    assert (
        action["actionName"] == "sendToGroup" and action["group"] == "lobby" and action["dataType"] == "json"
    )
    assert json.loads(action["data"])["event"] == "joined"


def test_disconnected_sets_one_action_per_room(functions):
    out = FakeOut()
    functions["disconnected"](request=p.as_request(p.disconnected(rooms=["lobby", "games"])), actions=out)
    assert [a["group"] for a in out.actions()] == ["lobby", "games"]


def test_message_sends_to_the_room_and_replies_with_an_ack(functions):
    out = FakeOut()
    reply = functions["message"](request=p.as_request(p.user_event("message", {"text": "hi"})), actions=out)
    assert reply["dataType"] == "json" and json.loads(reply["data"])["type"] == "ack"
    (action,) = out.actions()
    message = json.loads(action["data"])
    assert (message["type"], message["from"], message["room"], message["text"]) == (
        "message",
        "alice",
        "lobby",
        "hi",
    )
    assert message["at"].endswith("Z")


def test_join_replies_with_states_and_sets_two_actions(functions):
    out = FakeOut()
    reply = functions["join"](request=p.as_request(p.user_event("join", {"room": "games"})), actions=out)
    assert reply["states"] == {"rooms": ["lobby", "games"]}
    assert [a["actionName"] for a in out.actions()] == ["addConnectionToGroup", "sendToGroup"]


def test_leave_replies_with_states_and_sets_two_actions(functions):
    out = FakeOut()
    reply = functions["leave"](request=p.as_request(p.user_event("leave", {"room": "lobby"})), actions=out)
    assert reply["states"] == {"rooms": []}
    assert [a["actionName"] for a in out.actions()] == ["removeConnectionFromGroup", "sendToGroup"]


@pytest.mark.parametrize(
    "name, request_value, code",
    [
        ("message", p.as_request(p.user_event("message", {"text": "x" * 2001})), "text_too_long"),
        ("message", p.as_request(p.user_event("message", {"room": "elsewhere", "text": "x"})), "not_joined"),
        ("message", p.as_request(p.user_event("message", "not json")), "invalid_data"),
        ("join", p.as_request(p.user_event("join", {"room": "../etc"})), "invalid_room"),
        (
            "message",
            p.as_request(p.user_event("message", "AAE=", data_type="Binary")),
            "unsupported_data_type",
        ),
    ],
)
def test_a_users_mistake_gets_a_json_refusal_reply_and_sets_no_action(functions, name, request_value, code):
    out = FakeOut()
    reply = functions[name](request=request_value, actions=out)
    assert reply["dataType"] == "json" and "code" not in reply
    body = json.loads(reply["data"])
    assert (body["type"], body["event"], body["code"]) == ("error", name, code)
    assert out.values == []


def test_a_malformed_event_from_the_service_gets_a_user_error_dict_and_sets_no_action(functions):
    out = FakeOut()
    reply = functions["leave"](request="{broken", actions=out)
    assert reply == {"code": "userError", "errorMessage": "the event is not valid JSON"}
    assert out.values == []


def test_the_max_length_setting_applies(functions, monkeypatch):
    monkeypatch.setenv("ChatMaxMessageLength", "3")
    functions = user_functions()
    out = FakeOut()
    reply = functions["message"](request=p.as_request(p.user_event("message", {"text": "four"})), actions=out)
    assert json.loads(reply["data"])["message"] == "text is longer than 3 characters" and out.values == []
