import json

import msgspec
import pytest
from msgspec import UNSET

from chat.messages import Ack, ChatMessage, EventData, Presence, Refused, decode_event_data, encode


@pytest.mark.parametrize(
    "text, data",
    [
        ('{"room": "lobby", "text": "hi", "id": 7}', EventData(room="lobby", text="hi", id=7)),
        ("{}", EventData()),
        ('{"room": "' + "r" * 64 + '"}', EventData(room="r" * 64)),
        ('{"id": "' + "x" * 64 + '"}', EventData(id="x" * 64)),
        ('{"id": 9007199254740991}', EventData(id=2**53 - 1)),
        ('{"id": -9007199254740991}', EventData(id=-(2**53 - 1))),
        ('{"text": ""}', EventData(text="")),
        ('{"room": "a", "room": "b"}', EventData(room="b")),  # the last one, as json.loads reads it
    ],
)
def test_event_data_in_the_exact_form_decodes_in_one_pass(text, data):
    assert decode_event_data(text) == data


@pytest.mark.parametrize(
    "text, fragment",
    [
        ('{"room": "' + "r" * 65 + '"}', "$.room"),
        ('{"room": "lobby\\n"}', "$.room"),  # a newline may not end a room name
        ('{"room": "l\\u00f6bby"}', "$.room"),
        ('{"room": null}', "$.room"),
        ('{"text": 5}', "$.text"),
        ('{"id": ""}', "$.id"),
        ('{"id": "' + "x" * 65 + '"}', "$.id"),
        ('{"id": 9007199254740992}', "$.id"),
        ('{"id": 1.0}', "$.id"),
        ('{"id": true}', "$.id"),
        ('{"text": "x", "n": 1e400}', "unknown field"),  # not checked by a skip: left to the strict reading
        ("[1]", "Expected `object`"),
        ('{"text": "\\ud800"}', ""),  # a lone surrogate: the standard library reads it
    ],
)
def test_anything_else_is_left_to_the_field_by_field_reading(text, fragment):
    with pytest.raises(msgspec.MsgspecError) as raised:
        decode_event_data(text)
    assert fragment in str(raised.value)


def test_messages_are_written_compactly_with_their_type_first_and_unset_fields_left_out():
    assert encode(ChatMessage(id="i", sender="alice", room="lobby", text="hi", at="T")) == (
        '{"type":"message","id":"i","from":"alice","room":"lobby","text":"hi","at":"T"}'
    )
    assert encode(Presence(user="a", event="joined", room="r", at="T")) == (
        '{"type":"presence","user":"a","event":"joined","room":"r","at":"T"}'
    )
    assert encode(Ack(event="join", room="r", rooms=["r"], id=3)) == (
        '{"type":"ack","event":"join","room":"r","rooms":["r"],"id":3}'
    )
    assert encode(Refused(event="join", code="c", message="m", id=UNSET)) == (
        '{"type":"error","event":"join","code":"c","message":"m"}'
    )


@pytest.mark.parametrize("text", ["héllo 👋", "\u2028", "\ud800", 'quote " and \\ back'])
def test_messages_are_ascii_json_as_the_standard_library_writes_it(text):
    written = encode(ChatMessage(id="i", sender="a", room="r", text=text, at="T"))
    assert written.isascii()
    expected = {"type": "message", "id": "i", "from": "a", "room": "r", "text": text, "at": "T"}
    assert written == json.dumps(expected, separators=(",", ":"))
