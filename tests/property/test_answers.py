"""For each class of input, the answer it must get: status, code and message, not only a shape.

Each test computes what the answer should be from the input with a small
oracle written independently of the code under test, then compares.
"""

import json
import math

from hypothesis import given
from hypothesis import strategies as st

from chat import history
from chat.handlers import handle_request
from chat.settings import Settings
from codec.actions import ACTION_TYPES
from routes.broadcast import MAX_ACTIONS, plan_broadcast
from routes.http import HttpAnswer
from routes.negotiate import MAX_USER_ID_LENGTH, PRINCIPAL_HEADER, negotiate
from routes.presence import MAX_USER_ID_LENGTH as MAX_PRESENCE_USER
from routes.presence import RoomQuery, UserQuery, parse_query
from routes.webhook import handle_webhook
from tests import payloads as p
from tests.property.strategies import JSON, ODD_TEXT, RAW
from tests.steps import finish

ROOM = st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)
ROOM_RULE = "room must be 1 to 64 letters, digits, '-' or '_'"


def strict(raw):
    """The decoded JSON value, or None (and False) when ``raw`` is not strict JSON."""

    def refuse(_):
        raise ValueError

    def finite(text):
        value = float(text)
        if math.isinf(value):
            raise ValueError
        return value

    try:
        # UTF-8 only (RFC 8259): json.loads would guess UTF-16 from a leading NUL byte.
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return json.loads(text, parse_constant=refuse, parse_float=finite), True
    except (ValueError, RecursionError):
        return None, False


def error(answer):
    return answer.status, json.loads(answer.body)["error"]


# broadcast


@given(raw=RAW)
def test_a_body_that_is_not_a_json_object_or_list_is_a_400_naming_the_body(raw, count):
    count()
    value, ok = strict(raw)
    planned = plan_broadcast(raw)
    if not ok:
        assert error(planned) == (
            400,
            {"code": "invalid_action", "message": "the body is not valid UTF-8 JSON", "field": "body"},
        )
    elif not isinstance(value, (dict, list)) or value == []:
        assert error(planned) == (
            400,
            {
                "code": "invalid_action",
                "message": "the body must be an action object or a non-empty list of them",
                "field": "body",
            },
        )


@given(data=JSON, n=st.integers(1, 5))
def test_sends_to_all_with_any_json_data_are_all_accepted_with_their_count(data, n, count):
    count()
    body = json.dumps([{"actionName": "sendToAll", "dataType": "json", "data": data}] * n).encode()
    planned = plan_broadcast(body)
    assert not isinstance(planned, HttpAnswer)
    assert (planned.answer.status, json.loads(planned.answer.body)) == (
        202,
        {"accepted": n, "actions": {"sendToAll": n}},
    )
    assert [json.loads(a.data) for a in planned.answer.actions] == [data] * n


@given(n=st.integers(MAX_ACTIONS - 2, MAX_ACTIONS + 2))
def test_up_to_1000_actions_are_accepted_and_more_refused(n, count):
    count()
    body = json.dumps([{"actionName": "removeUserFromAllGroups", "userId": "u"}] * n).encode()
    planned = plan_broadcast(body)
    if n <= MAX_ACTIONS:
        assert not isinstance(planned, HttpAnswer) and len(planned.answer.actions) == n
    else:
        assert error(planned) == (
            400,
            {"code": "invalid_action", "message": "at most 1000 actions per request", "field": "body"},
        )


# closeAllConnections needs no field, so any case of its name is a valid action.
VALID_WITHOUT_FIELDS = {"sendtoall", "sendtogroup", "closeallconnections"}


@given(name=ODD_TEXT.filter(lambda t: t.lower() not in VALID_WITHOUT_FIELDS), index=st.integers(0, 3))
def test_an_unknown_action_name_is_a_400_naming_the_field_and_its_index(name, index, count):
    count()
    actions = [{"actionName": "sendToAll", "data": "x"}] * index + [{"actionName": name}]
    planned = plan_broadcast(json.dumps(actions).encode())
    status, body = error(planned)
    if name.lower() in ACTION_TYPES:
        return  # a real action missing its fields: another test's business
    assert (status, body["code"], body["field"], body["index"]) == (
        400,
        "invalid_action",
        "actionName",
        index,
    )
    assert body["message"].startswith("actionName must be one of: addConnectionToGroup, addUserToGroup")


# user events


@given(text=st.text(min_size=1, max_size=60).filter(str.strip), limit=st.integers(1, 60), room=ROOM)
def test_a_message_is_sent_exactly_when_its_room_is_joined_and_its_text_fits(text, limit, room, count):
    count()
    settings = Settings(max_message_length=limit)
    for joined in (True, False):
        rooms = [room] if joined else ["x" + room[:63]] if room != "x" + room[:63] else ["other"]
        outcome = finish(
            handle_request(
                p.user_event("message", {"room": room, "text": text}, rooms=rooms), settings, p.NOW
            )
        )
        reply = json.loads(outcome.reply.data)
        if not joined:
            assert (reply["code"], outcome.actions) == ("not_joined", ())
            assert reply["message"] == f"join room {room!r} before posting to it"
        elif len(text) > limit:
            assert (reply["code"], outcome.actions) == ("text_too_long", ())
            assert reply["message"] == f"text is longer than {limit} characters"
        else:
            message_id = history.message_id(p.EVENT_ID, p.NOW)
            assert reply == {
                "type": "ack",
                "event": "message",
                "room": room,
                "at": p.NOW_ISO,
                "messageId": message_id,
            }
            (action,) = outcome.actions
            assert json.loads(action.data)["text"] == text
            assert json.loads(action.data)["id"] == message_id


@given(room=ODD_TEXT, name=st.sampled_from(["join", "leave"]))
def test_join_and_leave_accept_exactly_the_valid_room_names(room, name, count):
    count()
    valid = len(room) in range(1, 65) and all(c.isascii() and (c.isalnum() or c in "-_") for c in room)
    outcome = finish(handle_request(p.user_event(name, {"room": room}), Settings(), p.NOW))
    reply = json.loads(outcome.reply.data)
    if valid:
        assert reply["type"] == "ack" and reply["room"] == room
    else:
        assert reply == {"type": "error", "event": name, "code": "invalid_room", "message": ROOM_RULE}
        assert outcome.actions == ()


@given(data=ODD_TEXT)
def test_json_data_that_is_not_an_object_is_refused_as_invalid_data(data, count):
    count()
    value, ok = strict(data)
    outcome = finish(handle_request(p.user_event("join", data), Settings(), p.NOW))
    reply = json.loads(outcome.reply.data)
    if not ok:
        assert (reply["code"], reply["message"]) == ("invalid_data", "data is not valid JSON")
    elif not isinstance(value, dict):
        assert (reply["code"], reply["message"]) == ("invalid_data", "data must be a JSON object")


# webhook


@given(raw=RAW)
def test_a_webhook_context_that_is_not_a_json_object_is_a_400_invalid_context(raw, count):
    count()
    value, ok = strict(raw)
    answer = handle_webhook(raw, Settings(), p.NOW)
    if not ok or not isinstance(value, dict):
        assert error(answer) == (
            400,
            {"code": "invalid_context", "message": "the Web PubSub context is not a JSON object"},
        )
        assert answer.actions == ()


@given(status=st.integers(-1000, 1000), preflight=st.booleans())
def test_the_extensions_answer_keeps_its_status_only_from_100_to_599(status, preflight, count):
    count()
    flags = {"isPreflight": True} if preflight else {"hasError": True}
    answer = handle_webhook(p.web_context(None, response={"status": status}, **flags), Settings(), p.NOW)
    assert answer.status == (status if 100 <= status <= 599 else 400)


# negotiate


@given(
    user=ODD_TEXT | st.none(),
    local=st.booleans(),
    auth=st.booleans(),
    info=st.sampled_from(["ok", "{}", "[", None]),
)
def test_negotiate_answers_each_case_with_its_status_and_code(user, local, auth, info, count):
    count()
    good = json.dumps({"url": "wss://h?access_token=t", "baseUrl": "wss://h", "accessToken": "t"})
    answer = negotiate(
        good if info == "ok" else info, user, Settings(local_development_host=local, easy_auth_on=auth)
    )
    if not local and not auth:
        expected = (500, "authentication_not_configured")
    elif not user or not user.strip():
        expected = (401, "no_user")
    elif len(user) > MAX_USER_ID_LENGTH or not user.isprintable():
        expected = (400, "invalid_user")
    elif info != "ok":
        expected = (502, "bad_connection_info")
    else:
        assert (answer.status, json.loads(answer.body)) == (200, json.loads(good))
        return
    status, body = error(answer)
    assert (status, body["code"]) == expected
    assert body.get("field") == (PRINCIPAL_HEADER if expected[1] in ("no_user", "invalid_user") else None)


# presence


@given(params=st.dictionaries(st.sampled_from(["user", "room", "other"]), ODD_TEXT, max_size=3))
def test_a_presence_query_is_exactly_one_valid_user_or_room(params, count):
    count()
    query = parse_query(params)
    user, room = params.get("user"), params.get("room")
    if (user is None) == (room is None):
        assert error(query) == (
            400,
            {"code": "invalid_query", "message": "give exactly one of user or room", "field": "user"},
        )
    elif user is not None:
        if 1 <= len(user) <= MAX_PRESENCE_USER and user.isprintable():
            assert query == UserQuery(user)
        else:
            assert error(query)[1]["field"] == "user"
    else:
        valid = len(room) in range(1, 65) and all(c.isascii() and (c.isalnum() or c in "-_") for c in room)
        if valid:
            assert query == RoomQuery(room)
        else:
            assert error(query) == (400, {"code": "invalid_query", "message": ROOM_RULE, "field": "room"})
