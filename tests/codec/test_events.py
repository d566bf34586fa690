"""Pin the payload shapes the extension sends (see tests/payloads.py) that the parser relies on."""

import json

import pytest

from codec.datatype import DataType
from codec.events import (
    ConnectedEvent,
    ConnectEvent,
    DisconnectedEvent,
    EventType,
    InvalidEvent,
    UserEvent,
    parse_event,
)
from tests import payloads as p


def test_a_connect_event_is_parsed_with_pascal_case_enums_ignoring_the_fields_nothing_reads():
    event = parse_event(p.as_request(p.connect()))
    assert isinstance(event, ConnectEvent)
    ctx = event.context
    assert (ctx.event_type, ctx.event_name, ctx.hub) == (EventType.SYSTEM, "connect", "chat")
    assert (ctx.connection_id, ctx.user_id, ctx.origin) == (
        "AbCdEfGh123-conn",
        "alice",
        "myresource.webpubsub.azure.com",
    )
    assert event.subprotocols == (p.SUBPROTOCOL,)
    assert event == ConnectEvent(ctx, (p.SUBPROTOCOL,))


def test_states_arrive_as_raw_json_values():
    payload = p.connected(rooms=["lobby", "games"])
    payload["connectionContext"]["states"]["profile"] = {"theme": "dark"}
    event = parse_event(p.as_request(payload))
    assert isinstance(event, ConnectedEvent)
    assert event.context.states == {"rooms": ["lobby", "games"], "profile": {"theme": "dark"}}


def test_a_user_event_keeps_its_json_data_as_a_string():
    event = parse_event(p.as_request(p.user_event("message", {"text": "hi"})))
    assert isinstance(event, UserEvent)
    assert (event.data, event.data_type) == ('{"text": "hi"}', DataType.JSON)
    assert event.context.event_type is EventType.USER


@pytest.mark.parametrize(
    "raw, expected", [("Text", DataType.TEXT), ("json", DataType.JSON), ("BINARY", DataType.BINARY)]
)
def test_data_types_parse_in_any_case(raw, expected):
    assert parse_event(p.as_request(p.user_event("message", "x", data_type=raw))).data_type is expected


def test_a_user_event_without_data_has_empty_text():
    payload = {"connectionContext": p.context("User", "message")}
    event = parse_event(json.dumps(payload))
    assert (event.data, event.data_type) == ("", DataType.TEXT)


def test_a_disconnected_event_carries_its_optional_reason():
    assert parse_event(p.as_request(p.disconnected())).reason == "client closed"
    event = parse_event(p.as_request(p.disconnected(reason=None)))
    assert isinstance(event, DisconnectedEvent) and event.reason is None


def test_keys_are_matched_case_insensitively():
    context = {k[0].upper() + k[1:]: v for k, v in p.context().items()}
    payload = {**p.connect(), "ConnectionContext": context, "Subprotocols": ["a"]}
    del payload["connectionContext"], payload["subprotocols"]
    event = parse_event(payload)
    assert (event.context.connection_id, event.context.user_id) == ("AbCdEfGh123-conn", "alice")
    assert event.subprotocols == ("a",)


def test_a_missing_user_id_parses_as_none():
    assert parse_event(p.as_request(p.connect(user_id=None))).context.user_id is None


def test_states_must_be_an_object():
    payload = p.connected()
    payload["connectionContext"]["states"] = ["lobby"]
    with pytest.raises(InvalidEvent, match="states must be an object"):
        parse_event(payload)


def test_deeply_nested_json_is_an_invalid_event_not_a_crash():
    with pytest.raises(InvalidEvent):
        parse_event("[" * 100_000)


@pytest.mark.parametrize("blank", ["", " ", "\t\n"])
def test_a_blank_user_id_counts_as_no_user(blank):
    assert parse_event(p.as_request(p.connect(user_id=blank))).context.user_id is None


def test_keys_in_any_case_are_read_and_a_missing_data_type_is_text():
    context = {k.upper(): v for k, v in p.context("User", "message").items()}
    event = parse_event({"CONNECTIONCONTEXT": context, "DATA": "hi", "REASON": 5})
    assert (event.context.event_type, event.data, event.data_type) == (EventType.USER, "hi", DataType.TEXT)
    assert (event.context.hub, event.context.user_id, event.context.origin) == (
        "chat",
        "alice",
        "myresource.webpubsub.azure.com",
    )
    assert event.context.states == {}


def test_a_context_without_states_has_none():
    context = p.context("System", "connected")
    del context["states"]
    assert parse_event({"connectionContext": context}).context.states == {}


def test_a_disconnected_reason_in_any_case_is_read():
    payload = p.disconnected(reason=None)
    payload["Reason"] = "gone"
    assert parse_event(payload).reason == "gone"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"userId": 5}, "request.connectionContext.userId must be a string"),
        ({"origin": ["x"]}, "request.connectionContext.origin must be a string"),
        ({"hub": ""}, "request.connectionContext.hub must be a non-empty string"),
        ({"eventName": None}, "request.connectionContext.eventName must be a non-empty string"),
        ({"eventType": 1}, "request.connectionContext.eventType must be System or User"),
    ],
)
def test_a_malformed_context_field_is_named_in_the_error(change, message):
    payload = p.connected()
    payload["connectionContext"].update(change)
    with pytest.raises(InvalidEvent) as err:
        parse_event(payload)
    assert str(err.value) == message


@pytest.mark.parametrize(
    "payload, message",
    [
        ({**p.disconnected(), "reason": 5}, "request.reason must be a string"),
        ({**p.user_event("message", "x"), "data": 5}, "data must be a string"),
        ({**p.user_event("message", "x"), "dataType": "Xml"}, "dataType must be Text, Json or Binary"),
        ({**p.connect(), "subprotocols": [1]}, "request.subprotocols must be an array of strings"),
        ({"connectionContext": []}, "request.connectionContext must be an object"),
        ([], "request must be an object"),
        ("{", "the event is not valid JSON"),
    ],
)
def test_a_malformed_request_field_is_named_in_the_error(payload, message):
    with pytest.raises(InvalidEvent) as err:
        parse_event(payload)
    assert str(err.value) == message
