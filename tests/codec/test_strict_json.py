"""No decoder accepts NaN, Infinity, -Infinity or a number overflowing to infinity; no encoder writes them."""

import json
import math

import pytest

from codec import strict_json
from codec.actions import SendToAll, encode_actions, json_message
from codec.webhook import encode_states

NOT_JSON = [
    "NaN",
    "[NaN]",
    "Infinity",
    "-Infinity",
    '{"n": -Infinity}',
    "1e400",
    "[-1e400]",
    '{"a": [1E999]}',
]


@pytest.mark.parametrize("text", NOT_JSON)
def test_non_finite_numbers_are_not_json(text):
    with pytest.raises(ValueError):
        strict_json.loads(text)
    with pytest.raises(ValueError):
        strict_json.loads(text.encode())


@pytest.mark.parametrize(
    "text, value",
    [
        ("1.7976931348623157e308", 1.7976931348623157e308),
        ("-1.7976931348623157e308", -1.7976931348623157e308),
        ("1e-400", 0.0),
        (" [1.5, 2] \n", [1.5, 2]),
        (b'{"a": "\\u00e9"}', {"a": "é"}),
        (str(10**100), 10**100),
    ],
)
def test_the_largest_finite_numbers_and_ordinary_json_are_read(text, value):
    assert strict_json.loads(text) == value


@pytest.mark.parametrize("text", ["", "[1] [2]", "{'a': 1}", "nan", b"\xff"])
def test_anything_else_that_is_not_json_is_a_value_error(text):
    with pytest.raises(ValueError):
        strict_json.loads(text)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, [1.0, math.nan], {"a": math.inf}])
def test_no_encoder_writes_a_non_finite_number(value):
    with pytest.raises(ValueError):
        strict_json.dumps(value)
    with pytest.raises(ValueError):
        json_message(value)
    with pytest.raises(ValueError):
        encode_states({"x": value})


def test_the_encoder_is_compact_and_ascii():
    assert strict_json.dumps({"a": [1, 2.5], "b": "é\ud800"}) == '{"a":[1,2.5],"b":"\\u00e9\\ud800"}'
    expected = '[{"actionName":"sendToAll","data":"x","dataType":"text","excluded":[]}]'
    assert encode_actions([SendToAll(data="x")]) == expected
    assert json.loads(json_message({"n": 1e308})) == {"n": 1e308}


@pytest.mark.parametrize("name", ["NaN", "Infinity", "-Infinity"])
def test_the_error_names_the_constant(name):
    with pytest.raises(ValueError, match=f"^{name} is not a JSON number$"):
        strict_json.loads(f"[{name}]")


def test_the_error_shows_at_most_32_characters_of_an_overflowing_number():
    text = "1" * 40 + "e400"
    with pytest.raises(ValueError) as err:
        strict_json.loads(text)
    assert str(err.value) == "1" * 32 + " is too large for a JSON number"


def test_the_encoder_escapes_every_non_ascii_character():
    assert strict_json.dumps({"a": "é", "b": ["😀"]}) == '{"a":"\\u00e9","b":["\\ud83d\\ude00"]}'


def test_null_and_the_text_null_are_written_as_they_are():
    assert strict_json.dumps([None, "null", {"n": None}]) == '[null,"null",{"n":null}]'


def test_values_only_the_standard_encoder_writes_are_written_as_it_writes_them():
    assert strict_json.dumps({1: True, 2.5: None}) == '{"1":true,"2.5":null}'
    assert strict_json.dumps({True: 1}) == '{"true":1}'


def test_an_escaped_lone_surrogate_is_read_as_the_standard_decoder_reads_it():
    assert strict_json.loads('"\\ud800"') == "\ud800"
    assert strict_json.loads(b'["\\ud800", 1]') == ["\ud800", 1]
