"""Attempts to get around the identity guard, anonymous refusal, room membership and size limits."""

import json

import pytest

from chat.handlers import handle_request
from chat.settings import Settings
from codec.replies import ErrorCode, ErrorReply, UserEventReply
from routes.broadcast import MAX_BODY_BYTES, plan_broadcast
from routes.negotiate import negotiate
from tests import payloads as p


def refusal_code(outcome):
    assert isinstance(outcome.reply, UserEventReply)
    body = json.loads(outcome.reply.data)
    assert body["type"] == "error"
    return body["code"]


INFO = json.dumps({"url": "wss://h?access_token=t", "baseUrl": "wss://h", "accessToken": "t"})


@pytest.mark.parametrize("flag", ["", "false", "1", "yes", "enabled", "True."])
def test_only_app_service_saying_true_counts_as_authentication(flag):
    settings = Settings.from_env({"WEBSITE_INSTANCE_ID": "i-1", "WEBSITE_AUTH_ENABLED": flag})
    assert negotiate(INFO, "alice", settings).status == 500


@pytest.mark.parametrize(
    "name", ["alice\u202e", "\u200balice", "ali\u0000ce", "bob\r\nx-ms-client-principal-name: admin"]
)
def test_negotiate_refuses_names_that_hide_or_forge_an_identity(name):
    assert negotiate(INFO, name, Settings(local_development_host=True)).status == 400


@pytest.mark.parametrize("user", [None, "", "   ", "\t"])
def test_a_connection_without_a_real_user_id_is_refused(user):
    reply = handle_request(p.connect(user_id=user), Settings(), p.NOW).reply
    assert isinstance(reply, ErrorReply) and reply.code is ErrorCode.UNAUTHORIZED


@pytest.mark.parametrize(
    "room", ["Lobby", "LOBBY", "lobby ", " lobby", "ｌｏｂｂｙ", "lobby\u200b", "lob\u0431y"]
)
def test_a_look_alike_of_a_joined_room_is_not_that_room(room):
    outcome = handle_request(
        p.user_event("message", {"room": room, "text": "x"}, rooms=["lobby"]), Settings(), p.NOW
    )
    assert refusal_code(outcome) in ("invalid_room", "not_joined") and outcome.actions == ()


def test_a_room_recorded_in_states_only_as_a_look_alike_grants_nothing():
    payload = p.user_event("message", {"room": "lobby", "text": "x"}, rooms=["Lobby", "lobby "])
    assert refusal_code(handle_request(payload, Settings(), p.NOW)) == "not_joined"


def test_the_length_limit_counts_characters_however_many_bytes_they_take():
    settings = Settings(max_message_length=2000)
    ok = handle_request(p.user_event("message", {"text": "😀" * 2000}), settings, p.NOW)
    too_long = handle_request(p.user_event("message", {"text": "😀" * 2001}), settings, p.NOW)
    assert ok.actions and refusal_code(too_long) == "text_too_long" and too_long.actions == ()


def test_the_broadcast_limit_counts_bytes_not_characters():
    characters = MAX_BODY_BYTES // 4  # each takes 4 bytes in UTF-8
    body = json.dumps({"actionName": "sendToAll", "data": "😀" * characters}, ensure_ascii=False).encode()
    assert len(body) > MAX_BODY_BYTES
    assert plan_broadcast(body).status == 413


def test_a_json_message_cannot_smuggle_a_sender():
    outcome = handle_request(
        p.user_event("message", {"text": "hi", "from": "admin", "at": "1999"}), Settings(), p.NOW
    )
    sent = json.loads(outcome.actions[0].data)
    assert (sent["from"], sent["at"]) == ("alice", p.NOW_ISO)
