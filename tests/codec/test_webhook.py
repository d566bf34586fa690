"""The webPubSubContext value: the extension's own answer, or the event to handle."""

import json

import pytest

from codec.events import ConnectedEvent, InvalidEvent
from codec.webhook import ContextResponse, InvalidContext, encode_states, parse_context
from tests import payloads as p


def preflight(response):
    return parse_context(p.web_context(None, isPreflight=True, response=response))


@pytest.mark.parametrize("raw", [None, "", "{", "[]", "null", "1", b"\xff", '{"n": NaN}'])
def test_a_context_that_is_not_a_json_object_is_invalid(raw):
    with pytest.raises(InvalidContext) as err:
        parse_context(raw)
    assert str(err.value) == "the Web PubSub context is not a JSON object"


def test_a_valid_request_is_parsed_as_its_event():
    event = parse_context(p.web_context(p.connected(rooms=["lobby"])))
    assert isinstance(event, ConnectedEvent) and event.context.states == {"rooms": ["lobby"]}


def test_a_malformed_request_is_an_invalid_event():
    with pytest.raises(InvalidEvent, match="^request must be an object$"):
        parse_context(p.web_context(None))


@pytest.mark.parametrize("status", [100, 200, 401, 599])
def test_the_extensions_answer_is_returned_with_any_status_from_100_to_599(status):
    assert preflight({"status": status, "body": "b", "headers": {}}) == ContextResponse(status, b"b", {})


@pytest.mark.parametrize("status", [99, 600, "200", True, 200.0, None])
def test_a_status_outside_100_to_599_or_not_an_integer_is_a_bare_400(status):
    assert preflight({"status": status, "body": "b", "headers": {"A": ["x"]}}) == ContextResponse(400)


def test_the_answer_is_a_bare_400_when_the_response_is_not_an_object():
    assert preflight(["status", 200]) == ContextResponse(400, b"", {})


def test_headers_are_joined_single_strings_kept_and_malformed_ones_dropped():
    headers = {"Allow": ["GET", "POST"], "WebHook-Allowed-Origin": "*", "Bad": ["a", 1], "Worse": 5}
    answer = preflight({"status": 200, "body": None, "headers": headers})
    assert answer == ContextResponse(200, b"", {"Allow": "GET, POST", "WebHook-Allowed-Origin": "*"})


def test_a_body_that_is_not_a_string_is_empty():
    assert preflight({"status": 401, "body": {"x": 1}}).body == b""
    assert (
        preflight({"status": 401, "body": "Signature validation failed."}).body
        == b"Signature validation failed."
    )


def test_an_error_context_returns_the_extensions_answer_too():
    raw = p.web_context(None, hasError=True, response={"status": 401, "body": "no", "headers": {}})
    assert parse_context(raw) == ContextResponse(401, b"no", {})


def test_states_are_base64_of_compact_json():
    assert encode_states({"rooms": ["a"]}) == "eyJyb29tcyI6WyJhIl19"
    assert json.loads(__import__("base64").b64decode(encode_states({}))) == {}
