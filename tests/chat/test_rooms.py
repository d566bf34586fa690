import json

import pytest

from chat.rooms import MAX_ROOM_LENGTH, in_room, is_room_name, rooms_from_states


class Name(str):
    """A str subclass: still a name when its characters are."""


@pytest.mark.parametrize(
    "value",
    ["lobby", "L0bby", "7", "a" * MAX_ROOM_LENGTH, "my-room_2", "-", "_" * MAX_ROOM_LENGTH, Name("lobby")],
)
def test_a_room_name_is_1_to_64_ascii_letters_digits_dashes_or_underscores(value):
    assert is_room_name(value) is True


@pytest.mark.parametrize(
    "value",
    [
        "",
        "a" * (MAX_ROOM_LENGTH + 1),  # letters and digits only, one too many
        "a-" * 32 + "b",  # with a dash, one too many
        "lobby\n",
        "lob by",
        "l\u00f6bby",  # a letter, not ASCII
        "\u0661",  # a digit, not ASCII
        "\u00b2",
        "lobby.",
        Name("lob by"),
        5,
        None,
        b"lobby",
        ["lobby"],
    ],
)
def test_anything_else_is_not(value):
    assert is_room_name(value) is False


class CountedList(list):
    """A recorded list that counts the entries read from it."""

    def __init__(self, entries):
        super().__init__(entries)
        self.read = 0

    def __iter__(self):
        for entry in super().__iter__():
            self.read += 1
            yield entry


FORGED = [f"room{i}" for i in range(20_000)]


def test_rooms_are_read_in_join_order_once_each_and_invalid_entries_dropped():
    states = {"rooms": ["b", "a", "bad room", 3, "b", "c", "a"]}
    assert rooms_from_states(states) == ("b", "a", "c")
    assert rooms_from_states(states, 2) == ("b", "a")


def test_reading_a_forged_state_of_20000_rooms_stops_at_the_limit():
    recorded = CountedList(FORGED)
    assert rooms_from_states({"rooms": recorded}, 20) == tuple(FORGED[:20])
    assert recorded.read == 21  # the twenty rooms, and the one that found the limit reached


def test_duplicates_and_invalid_entries_do_not_count_toward_the_limit():
    recorded = ["a", "a", "bad room", None, "b", "a", "c"]
    assert rooms_from_states({"rooms": recorded}, 2) == ("a", "b")
    assert rooms_from_states({"rooms": recorded}, 3) == ("a", "b", "c")


def test_a_json_encoded_forged_state_is_bounded_too():
    assert len(rooms_from_states({"rooms": json.dumps(FORGED)}, 20)) == 20


@pytest.mark.parametrize("limit", [None, 20])
def test_in_room_agrees_with_the_rooms_read_with_the_same_limit(limit):
    states = {"rooms": FORGED}
    read = rooms_from_states(states, limit)
    for room in ("room0", "room19", "room20", "room19999", "elsewhere"):
        assert in_room(states, room, limit) is (room in read), room


def test_in_room_counts_every_entry_of_a_list_within_the_limit():
    states = {"rooms": ["a", "bad room", "b"]}
    assert [in_room(states, r, 3) for r in ("a", "b", "c")] == [True, True, False]
    assert in_room({"rooms": "not json"}, "a", 3) is False
    assert in_room({}, "a", 3) is False
