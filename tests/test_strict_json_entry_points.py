"""Every entry point that reads JSON refuses NaN, Infinity and overflowing numbers (issue 11, item 2)."""

import json

import azure.functions as func
import pytest

from chat.handlers import handle_request
from chat.rooms import rooms_from_states
from chat.settings import Settings
from codec.events import InvalidEvent, parse_event
from routes.broadcast import plan_broadcast
from routes.negotiate import negotiate
from routes.webhook import handle_webhook
from tests import payloads as p
from tests.payloads import FakeOut

NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e400"]


@pytest.mark.parametrize("number", NON_FINITE)
def test_the_broadcast_route_refuses_a_non_finite_number_and_sends_nothing(functions, number):
    body = f'{{"actionName":"sendToAll","dataType":"json","data":[{number}]}}'.encode()
    out = FakeOut()
    req = func.HttpRequest(method="POST", url="http://localhost/api/broadcast", body=body)
    response = functions["broadcast"](req=req, actions=out)
    assert response.status_code == 400
    assert json.loads(response.get_body())["error"] == {
        "code": "invalid_action",
        "message": "the body is not valid UTF-8 JSON",
        "field": "body",
    }
    assert out.values == []
    assert plan_broadcast(body).status == 400


@pytest.mark.parametrize("number", NON_FINITE)
def test_a_trigger_request_with_a_non_finite_number_is_a_malformed_event(number):
    raw = p.as_request(p.connected()).replace('"states": {}', f'"states": {{"n": {number}}}')
    assert number in raw
    with pytest.raises(InvalidEvent, match="the event is not valid JSON"):
        parse_event(raw)
    assert handle_request(raw, Settings(), p.NOW).reply.to_binding() == {
        "code": "userError",
        "errorMessage": "the event is not valid JSON",
    }


@pytest.mark.parametrize("number", NON_FINITE)
def test_user_event_data_with_a_non_finite_number_is_refused(number):
    outcome = handle_request(p.user_event("message", f'{{"text": "x", "n": {number}}}'), Settings(), p.NOW)
    assert json.loads(outcome.reply.data)["code"] == "invalid_data"
    assert outcome.actions == ()


@pytest.mark.parametrize("number", NON_FINITE)
def test_a_webhook_context_with_a_non_finite_number_is_a_400(number):
    context = p.web_context(p.connected()).replace('"hasError": false', f'"hasError": false, "n": {number}')
    answer = handle_webhook(context, Settings(), p.NOW)
    assert answer.status == 400
    assert json.loads(answer.body)["error"]["code"] == "invalid_context"


@pytest.mark.parametrize("number", NON_FINITE)
def test_connection_info_with_a_non_finite_number_is_not_handed_out(number):
    info = f'{{"url": "wss://h?access_token=t", "baseUrl": "wss://h", "accessToken": "t", "n": {number}}}'
    answer = negotiate(info, "alice", Settings(local_development_host=True))
    assert answer.status == 502
    assert json.loads(answer.body)["error"]["code"] == "bad_connection_info"


@pytest.mark.parametrize("number", NON_FINITE)
def test_rooms_recorded_as_a_string_with_a_non_finite_number_are_ignored(number):
    assert rooms_from_states({"rooms": f'["lobby", {number}]'}) == ()
