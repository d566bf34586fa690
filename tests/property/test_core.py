"""Every handler entry point takes anything without raising, and a rejection sends nothing."""

import json

from hypothesis import given
from hypothesis import strategies as st

from adapters.service_access import ServiceAccess, service_access
from chat.handlers import handle_request
from chat.refusals import Refusal
from chat.rooms import is_room_name
from chat.settings import Settings, SettingsError
from codec.actions import Action, SendToGroup, encode_actions
from codec.events import InvalidEvent, parse_event
from codec.replies import ConnectReply, ErrorCode, ErrorReply, UserEventReply
from routes.broadcast import plan_broadcast
from routes.http import HttpAnswer
from routes.negotiate import negotiate
from routes.page import find_asset
from routes.presence import parse_query
from routes.webhook import handle_webhook
from tests import payloads as p
from tests.property.strategies import JSON, ODD_TEXT, RAW, SCALARS
from tests.steps import finish

SETTINGS = Settings()
ANY_SETTINGS = st.builds(
    Settings,
    allow_anonymous=st.booleans(),
    max_message_length=st.integers(1, 5000),
    easy_auth_on=st.booleans(),
    local_development_host=st.booleans(),
)


def check_outcome(outcome):
    """A well-formed reply, and actions only with a reply that is not an error."""
    reply = outcome.reply
    assert reply is None or isinstance(reply, (ErrorReply, ConnectReply, UserEventReply))
    if isinstance(reply, ErrorReply):
        assert reply.code in ErrorCode and reply.message
        assert outcome.actions == ()
    if reply is not None:
        json.dumps(reply.to_binding()).encode()
    for action in outcome.actions:
        assert isinstance(action, Action)
        group = getattr(action, "group", None)
        assert group is None or is_room_name(group)
        if isinstance(action, SendToGroup):
            json.loads(action.data)
    encoded = encode_actions(outcome.actions)
    if encoded is not None:
        encoded.encode("utf-8")  # must travel to the host as UTF-8


@given(raw=RAW | ODD_TEXT | JSON)
def test_a_trigger_request_of_any_shape_is_handled(raw, count):
    count()
    check_outcome(finish(handle_request(raw, SETTINGS, p.NOW)))


@given(
    name=st.sampled_from(["message", "join", "leave", "Message"]) | ODD_TEXT,
    data=JSON.map(json.dumps) | ODD_TEXT,
    data_type=st.sampled_from(["Text", "Json", "Binary", "json"]) | ODD_TEXT,
    states=st.dictionaries(st.just("rooms") | ODD_TEXT, JSON, max_size=3),
    user=ODD_TEXT | st.none(),
    settings=ANY_SETTINGS,
)
def test_a_user_event_with_any_data_and_states_is_handled(
    name, data, data_type, states, user, settings, count
):
    count()
    payload = {"connectionContext": {**p.context("User", name or "x", user_id=user, states=states)}}
    payload.update(data=data, dataType=data_type)
    outcome = finish(handle_request(payload, settings, p.NOW))
    check_outcome(outcome)
    if isinstance(outcome.reply, UserEventReply):
        body = json.loads(outcome.reply.data)
        if body["type"] == "error":
            assert body["code"] in set(Refusal) and body["message"] and outcome.actions == ()
        elif name == "message":
            (send,) = outcome.actions
            assert len(json.loads(send.data)["text"]) <= settings.max_message_length


@given(request=JSON, user=ODD_TEXT | st.none(), settings=ANY_SETTINGS)
def test_a_connect_with_any_extra_fields_is_handled(request, user, settings, count):
    count()
    payload = {**(request if isinstance(request, dict) else {}), "connectionContext": p.context(user_id=user)}
    outcome = finish(handle_request(payload, settings, p.NOW))
    check_outcome(outcome)
    if isinstance(outcome.reply, ConnectReply):
        assert outcome.reply.user_id and outcome.reply.user_id.strip()


@given(raw=RAW)
def test_parse_event_only_ever_raises_invalid_event(raw, count):
    count()
    try:
        parse_event(raw)
    except InvalidEvent as err:
        assert str(err)


def handle_broadcast(raw):
    """The answer, the binding's actions and the filtered sends a body plans."""
    planned = plan_broadcast(raw)
    if isinstance(planned, HttpAnswer):
        return planned, (), ()
    return planned.answer, planned.answer.actions, planned.filtered


def check_error_body(reply):
    error = json.loads(reply.body)["error"]
    assert error["code"] and error["message"]
    return error


@given(raw=RAW | JSON.map(lambda v: json.dumps({"actionName": "sendToAll", "data": v}).encode()))
def test_any_broadcast_body_is_answered_and_a_rejection_sends_nothing(raw, count):
    count()
    answer, actions, filtered = handle_broadcast(raw)
    assert answer.status in (202, 400, 413)
    if answer.status != 202:
        assert actions == () and filtered == ()
        assert check_error_body(answer)["field"]
    else:
        assert actions or filtered
        (encode_actions(actions) or "").encode("utf-8")


ACTION = st.fixed_dictionaries(
    {
        "actionName": st.sampled_from(
            ["sendToAll", "sendToGroup", "sendToUser", "addUserToGroup", "grantPermission"]
        )
    },
    optional={
        k: SCALARS | st.lists(SCALARS, max_size=3)
        for k in [
            "group",
            "data",
            "dataType",
            "userId",
            "connectionId",
            "excluded",
            "permission",
            "filter",
            "reason",
        ]
    },
)


@given(actions=st.lists(ACTION, min_size=1, max_size=5))
def test_lists_of_nearly_right_actions_are_all_or_nothing(actions, count):
    count()
    answer, planned, filtered = handle_broadcast(json.dumps(actions).encode())
    if answer.status == 202:
        assert len(planned) + len(filtered) == len(actions)
    else:
        assert planned == () and filtered == ()
        assert 0 <= check_error_body(answer)["index"] < len(actions)


@given(context=RAW | JSON.map(lambda v: json.dumps({"request": v, "isPreflight": False}).encode()))
def test_any_webhook_context_is_answered_and_errors_send_nothing(context, count):
    count()
    outcome = handle_webhook(context, SETTINGS, p.NOW)
    assert 100 <= outcome.status <= 599
    if outcome.status >= 400:
        assert outcome.actions == ()


TOKEN = "PLANTED.TOKEN.VALUE"


@given(info=JSON.map(json.dumps) | ODD_TEXT | st.none(), user=ODD_TEXT | st.none(), settings=ANY_SETTINGS)
def test_negotiate_answers_anything_and_only_hands_out_the_token_on_success(info, user, settings, count):
    count()
    planted = json.dumps({"url": f"wss://h?access_token={TOKEN}", "baseUrl": "wss://h", "accessToken": TOKEN})
    for connection_info in (info, planted):
        reply = negotiate(connection_info, user, settings)
        assert reply.status in (200, 400, 401, 500, 502)
        if reply.status != 200:
            check_error_body(reply)
            assert TOKEN.encode() not in reply.body


@given(
    env=st.dictionaries(
        st.sampled_from(
            [
                "WebPubSubHub",
                "ChatAllowAnonymous",
                "ChatDefaultRoom",
                "ChatMaxMessageLength",
                "WEBSITE_AUTH_ENABLED",
                "ChatEasyAuthEnabled",
                "AZURE_FUNCTIONS_ENVIRONMENT",
                "WEBSITE_SITE_NAME",
            ]
        )
        | ODD_TEXT,
        ODD_TEXT,
    )
)
def test_settings_from_any_environment_are_read_or_refused_by_name(env, count):
    count()
    try:
        Settings.from_env(env)
    except SettingsError as err:
        assert any(name in str(err) for name in env)


@given(
    env=st.dictionaries(
        st.sampled_from(["S", "S__serviceUri", "S:serviceUri", "S__credential", "S__clientId"]),
        ODD_TEXT | st.just("Endpoint=https://x;AccessKey=k"),
    )
)
def test_service_access_from_any_settings_is_read_or_refused_by_name(env, count):
    count()
    try:
        assert isinstance(service_access(env, "S"), ServiceAccess)
    except SettingsError as err:
        assert "S" in str(err)


@given(
    params=st.dictionaries(st.sampled_from(["user", "room"]) | ODD_TEXT, ODD_TEXT), asset=ODD_TEXT | st.none()
)
def test_presence_queries_and_asset_names_of_any_shape_are_answered(params, asset, count):
    count()
    parse_query(params)
    files = ("", None, "index.html", "chat.js", "connection.js", "state.js", "view.js", "chat.css")
    assert find_asset(asset) is None or asset in files
