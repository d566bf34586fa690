"""The typed fast path: the extension's exact form decodes straight into events,
equal to what the case-insensitive reading gives; anything else is left to it."""

import json

import pytest

from codec.datatype import DataType
from codec.events import ConnectEvent, DisconnectedEvent, EventType, UserEvent, decode_exact, parse_event
from tests import payloads as p

EXACT = [
    p.connect(),
    p.connect(user_id=None, subprotocols=["a", "b"]),
    p.connected(rooms=["lobby", "games"]),
    p.disconnected(rooms=["lobby"]),
    p.disconnected(reason=None),
    p.user_event("message", {"room": "lobby", "text": "hi"}),
    p.user_event("join", "games", data_type="Text"),
    p.user_event("message", "AQI=", data_type="Binary"),
]


@pytest.mark.parametrize("payload", EXACT)
def test_the_exact_form_decodes_to_the_event_the_case_insensitive_reading_gives(payload):
    fast = decode_exact(p.as_request(payload))
    assert fast is not None
    assert fast == parse_event(payload)  # a decoded object always takes the case-insensitive way
    assert decode_exact(p.as_request(payload).encode()) == fast


def test_the_exact_form_keeps_enums_states_and_data_as_sent():
    payload = p.user_event("message", {"text": "hi"}, rooms=["lobby"])
    payload["connectionContext"]["states"]["profile"] = {"theme": "dark", "n": 1.5}
    event = decode_exact(p.as_request(payload))
    assert isinstance(event, UserEvent)
    assert (event.context.event_type, event.data_type, event.data) == (
        EventType.USER,
        DataType.JSON,
        '{"text": "hi"}',
    )
    assert event.context.states == {"rooms": ["lobby"], "profile": {"theme": "dark", "n": 1.5}}
    assert (event.context.hub, event.context.connection_id, event.context.origin) == (
        "chat",
        "AbCdEfGh123-conn",
        "myresource.webpubsub.azure.com",
    )


def test_in_the_exact_form_missing_data_is_empty_text_and_a_blank_user_is_none():
    payload = {"connectionContext": p.context("User", "message", user_id=" ")}
    event = decode_exact(json.dumps(payload))
    assert isinstance(event, UserEvent)
    assert (event.data, event.data_type, event.context.user_id) == ("", DataType.TEXT, None)
    assert event.context.states == {}


def test_in_the_exact_form_a_connect_without_subprotocols_offers_none():
    payload = p.connect()
    del payload["subprotocols"]
    event = decode_exact(json.dumps(payload))
    assert isinstance(event, ConnectEvent) and event.subprotocols == ()


def test_in_the_exact_form_a_disconnect_keeps_its_reason():
    event = decode_exact(p.as_request(p.disconnected(reason="gone")))
    assert isinstance(event, DisconnectedEvent) and event.reason == "gone"


def _changed(payload, **context):
    payload["connectionContext"].update(context)
    return payload


@pytest.mark.parametrize(
    "payload",
    [
        {**p.disconnected(reason=None), "Reason": "gone"},  # another key casing
        _changed(p.connected(), eventType="system"),  # an enum in another case
        {**p.user_event("message", "x"), "dataType": "json"},
        {**p.connected(), "somethingNew": 1},  # a field the form does not have
        _changed(p.connected(), somethingNew=1),
        _changed(p.connected(), hub=""),  # malformed: the other way names the problem
        _changed(p.connected(), eventName=""),
        _changed(p.connected(), connectionId=""),
        _changed(p.connected(), userId=5),
        _changed(p.connected(), eventName="reconnected"),  # no such system event
        {**p.user_event("message", "x"), "data": 5},
        {"connectionContext": {"eventType": "User"}},
    ],
)
def test_anything_but_the_exact_form_is_left_to_the_case_insensitive_reading(payload):
    assert decode_exact(json.dumps(payload)) is None


@pytest.mark.parametrize(
    "raw",
    ['{"connectionContext": NaN}', "[" * 100_000, b"\xff", '{"connectionContext": {"hub": 1e400}}'],
)
def test_what_is_not_strict_json_is_not_the_exact_form(raw):
    assert decode_exact(raw) is None


def test_a_number_too_large_anywhere_in_the_event_is_not_the_exact_form():
    payload = p.connect()
    text = p.as_request(payload).replace('"claims": {', '"claims": {"n": [1e400], ', 1)
    assert decode_exact(text) is None


def test_in_the_exact_form_a_context_without_states_has_none():
    payload = p.connected()
    del payload["connectionContext"]["states"]
    event = decode_exact(json.dumps(payload))
    assert event is not None and event.context.states == {}
    payload["connectionContext"]["states"] = None
    event = decode_exact(json.dumps(payload))
    assert event is not None and event.context.states == {}


def test_read_the_case_insensitive_way_a_user_event_without_data_has_empty_text():
    event = parse_event({"connectionContext": p.context("User", "message"), "data": None})
    assert isinstance(event, UserEvent) and event.data == ""
