import base64
import json

import pytest

from chat.settings import Settings
from codec.actions import AddConnectionToGroup, SendToGroup
from codec.webhook import encode_states
from routes.webhook import PendingEvent, handle_webhook
from tests import payloads as p
from tests.fake_history import FakeHistory
from tests.steps import finish

SETTINGS = Settings()


def call(context: str, store=None):
    """The answer, a pending event's completed as the webhook function does (no store: history off)."""
    answer = handle_webhook(context, SETTINGS, p.NOW, history=store is not None)
    if isinstance(answer, PendingEvent):
        return answer.answer(finish(answer.step, store))
    return answer


def states_header(response) -> dict:
    return json.loads(base64.b64decode(response.headers["ce-connectionState"]))


def test_a_preflight_is_answered_with_the_context_response():
    ctx = p.web_context(
        None,
        isPreflight=True,
        response={"status": 200, "body": None, "headers": {"WebHook-Allowed-Origin": ["*"]}},
    )
    outcome = call(ctx)
    assert outcome.status == 200
    assert outcome.headers == {"WebHook-Allowed-Origin": "*"}
    assert outcome.actions == ()


def test_a_context_error_is_answered_as_is_and_sends_nothing():
    ctx = p.web_context(
        p.user_event("message", {"text": "x"}),
        hasError=True,
        errorMessage="Signature validation failed.",
        response={"status": 401, "body": "Signature validation failed.", "headers": {}},
    )
    outcome = call(ctx)
    assert (outcome.status, outcome.body) == (401, b"Signature validation failed.")
    assert outcome.actions == ()


def test_connect_is_answered_with_a_json_body_and_the_states_in_the_header():
    outcome = call(p.web_context(p.connect()))
    response = outcome
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body) == {"userId": "alice", "groups": ["lobby"], "subprotocol": p.SUBPROTOCOL}
    assert states_header(response) == {"rooms": ["lobby"]}
    assert outcome.actions == ()


def test_a_rejected_connect_is_a_401_with_the_message_as_text():
    response = call(p.web_context(p.connect(user_id=None)))
    assert response.status == 401
    assert response.headers["Content-Type"] == "text/plain"
    assert response.body == b"sign in first: the connection has no user id"


def test_a_message_is_answered_with_a_json_body_and_its_actions():
    outcome = call(p.web_context(p.user_event("message", {"text": "hi"})))
    assert outcome.status == 200
    assert outcome.headers == {"Content-Type": "application/json"}
    assert json.loads(outcome.body)["event"] == "message"
    (action,) = outcome.actions
    assert isinstance(action, SendToGroup) and json.loads(action.data)["text"] == "hi"


def test_a_join_merges_new_states_with_the_existing_ones_in_the_header():
    request = p.user_event("join", {"room": "games"})
    request["connectionContext"]["states"]["theme"] = "dark"
    outcome = call(p.web_context(request))
    assert states_header(outcome) == {"rooms": ["lobby", "games"], "theme": "dark"}
    assert AddConnectionToGroup(connection_id="AbCdEfGh123-conn", group="games") in outcome.actions


def test_a_join_with_history_on_answers_with_the_rooms_latest_messages():
    store = FakeHistory()
    call(p.web_context(p.user_event("message", {"room": "games", "text": "first"}, rooms=["games"])), store)
    outcome = call(p.web_context(p.user_event("join", {"room": "games"}, event_id="join-1")), store)
    body = json.loads(outcome.body)
    assert [m["text"] for m in body["history"]] == ["first"] and body["more"] is False
    assert states_header(outcome) == {"rooms": ["lobby", "games"]}


def test_a_refused_message_is_a_200_whose_body_says_why_and_sends_nothing():
    outcome = call(p.web_context(p.user_event("message", {"room": "games", "text": "x", "id": 3})))
    assert (outcome.status, outcome.headers) == (200, {"Content-Type": "application/json"})
    assert json.loads(outcome.body) == {
        "type": "error",
        "event": "message",
        "code": "not_joined",
        "message": "join room 'games' before posting to it",
        "id": 3,
    }
    assert outcome.actions == ()


def test_a_malformed_event_is_a_400_naming_the_problem():
    request = p.user_event("message", {"text": "x"})
    request["dataType"] = "Xml"
    outcome = call(p.web_context(request))
    assert (outcome.status, outcome.headers) == (400, {"Content-Type": "text/plain"})
    assert outcome.body == b"dataType must be Text, Json or Binary"
    assert outcome.actions == ()


def test_connected_is_a_bare_200_with_presence_actions():
    outcome = call(p.web_context(p.connected(rooms=["lobby"])))
    assert (outcome.status, outcome.body) == (200, b"")
    assert len(outcome.actions) == 1


def test_an_unknown_user_event_over_http_is_refused_in_a_200():
    outcome = call(p.web_context(p.user_event("dance", {})))
    assert outcome.status == 200 and outcome.actions == ()
    assert json.loads(outcome.body)["code"] == "unknown_event"


@pytest.mark.parametrize("context", [None, "", "{", "[]", "null"])
def test_a_malformed_context_is_a_400_json_error(context):
    response = call(context)
    assert response.status == 400
    assert json.loads(response.body)["error"]["code"] == "invalid_context"


def test_a_context_without_a_request_is_a_400():
    response = call(p.web_context(None))
    assert response.status == 400 and b"request must be an object" in response.body


@pytest.mark.parametrize("response", [None, {"status": "200"}, {"status": 9000}, {"status": True}])
def test_a_preflight_with_a_malformed_response_is_a_400(response):
    assert call(p.web_context(None, isPreflight=True, response=response)).status == 400


def test_encoded_states_are_base64_of_a_json_object():
    assert base64.b64decode(encode_states({"rooms": ["a"]})) == b'{"rooms":["a"]}'


def test_history_is_off_unless_the_caller_says_it_is_on():
    answer = handle_webhook(p.web_context(p.user_event("history", {"room": "lobby"})), SETTINGS, p.NOW)
    assert not isinstance(answer, PendingEvent)
    assert answer.status == 200
    body = json.loads(answer.body)
    assert (body["type"], body["event"], body["code"]) == ("error", "history", "history_off")
