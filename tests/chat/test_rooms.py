import pytest

from chat.rooms import MAX_ROOM_LENGTH, is_room_name


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
