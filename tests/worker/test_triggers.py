"""The trigger functions through the real worker, fed as the host feeds them."""

import json

import pytest

from tests import payloads as p


def trigger(worker, name, payload, *, as_json=True):
    value = p.as_request(payload) if isinstance(payload, dict) else payload
    data = worker.json(value) if as_json else worker.string(value)
    return worker.invoke_sync(name, {"request": data})


@pytest.fixture(autouse=True)
def clean_settings(monkeypatch):
    for name in ("ChatAllowAnonymous", "ChatDefaultRoom", "ChatMaxMessageLength"):
        monkeypatch.delenv(name, raising=False)


def test_a_connect_reply_comes_back_as_typed_json_not_a_string(worker):
    result = trigger(worker, "connect", p.connect())
    assert result.ok
    assert result.return_kind == "json"
    assert json.loads(result.return_value) == {
        "userId": "alice",
        "groups": ["lobby"],
        "subprotocol": p.SUBPROTOCOL,
        "states": {"rooms": ["lobby"]},
    }


def test_the_request_may_arrive_as_a_plain_string_too(worker):
    result = trigger(worker, "connect", p.connect(), as_json=False)
    assert result.return_kind == "json" and json.loads(result.return_value)["userId"] == "alice"


def test_a_rejected_connect_is_a_json_error_reply(worker):
    result = trigger(worker, "connect", p.connect(user_id=None))
    assert json.loads(result.return_value) == {
        "code": "unauthorized",
        "errorMessage": "sign in first: the connection has no user id",
    }


def test_connected_returns_nothing_and_sends_presence_as_one_json_string(worker):
    result = trigger(worker, "connected", p.connected(rooms=["lobby"]))
    assert result.ok
    # A None return travels as no return value at all: the extension sees no reply.
    assert result.return_kind is None
    assert result.output_kinds == {"actions": "string"}
    (action,) = json.loads(result.outputs["actions"])
    assert action["actionName"] == "sendToGroup" and json.loads(action["data"])["event"] == "joined"


def test_a_message_sends_its_actions_as_a_json_array_string_and_replies_with_a_dict(worker):
    result = trigger(worker, "message", p.user_event("message", {"room": "lobby", "text": "hello"}))
    assert result.return_kind == "json"
    reply = json.loads(result.return_value)
    assert reply["dataType"] == "json" and json.loads(reply["data"])["type"] == "ack"
    actions = json.loads(result.outputs["actions"])
    assert isinstance(actions, list) and [a["group"] for a in actions] == ["lobby"]
    assert json.loads(actions[0]["data"])["text"] == "hello"


def test_join_and_leave_send_two_actions_in_one_output(worker):
    joined = trigger(worker, "join", p.user_event("join", {"room": "games"}))
    assert [a["actionName"] for a in json.loads(joined.outputs["actions"])] == [
        "addConnectionToGroup",
        "sendToGroup",
    ]
    assert json.loads(joined.return_value)["states"] == {"rooms": ["lobby", "games"]}
    left = trigger(worker, "leave", p.user_event("leave", {"room": "games"}, rooms=["lobby", "games"]))
    assert json.loads(left.return_value)["states"] == {"rooms": ["lobby"]}


def test_disconnected_returns_nothing(worker):
    result = trigger(worker, "disconnected", p.disconnected(rooms=["lobby"]))
    assert result.ok and result.return_kind is None and len(json.loads(result.outputs["actions"])) == 1


@pytest.mark.parametrize(
    "name, payload, code",
    [
        ("message", p.user_event("message", {"text": ""}), "invalid_text"),
        ("message", p.user_event("message", "x", data_type="Binary"), "unsupported_data_type"),
        ("join", p.user_event("join", {"room": "no way"}), "invalid_room"),
    ],
)
def test_a_users_mistake_is_a_json_refusal_with_no_output(worker, name, payload, code):
    result = trigger(worker, name, payload)
    assert result.ok
    reply = json.loads(result.return_value)
    assert reply["dataType"] == "json" and json.loads(reply["data"])["code"] == code
    assert result.outputs == {}


@pytest.mark.parametrize("name, payload", [("leave", "{truncated"), ("message", "null")])
def test_a_malformed_event_is_a_clean_user_error_with_no_output(worker, name, payload):
    result = trigger(worker, name, payload)
    assert result.ok
    assert json.loads(result.return_value)["code"] == "userError"
    assert result.outputs == {}


def test_a_fault_fails_the_invocation_with_a_message_naming_the_setting(worker, monkeypatch):
    monkeypatch.setenv("ChatMaxMessageLength", "secret-looking-value")
    result = trigger(worker, "message", p.user_event("message", {"text": "hi"}))
    assert not result.ok
    assert "ChatMaxMessageLength" in result.error
    assert "secret-looking-value" not in result.error
    assert result.outputs == {}
