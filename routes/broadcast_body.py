"""The broadcast body's typed form: each binding action with the route's limits.

One request struct per output action is built from the action's own fields
(``codec.actions``), so the schema is declared once: the field names come
from the action, the limits from ``LIMITS`` by field name, and ``data`` may
be any JSON value. msgspec decodes a body in that exact form (camelCase,
``actionName`` and ``dataType`` spelled as the binding spells them, no
``filter``) straight into them, checking every limit as it parses but a
room's characters, which ``decode_exact`` checks next (``chat.rooms``).
``decode_exact`` raises ``NotExact`` for anything else; ``routes.broadcast``
then reads the body field by field, which accepts the other spellings and
names what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, Literal, NamedTuple, Union

import msgspec
from msgspec.structs import asdict

from chat.rooms import RoomLength, is_room_name
from codec.actions import ACTION_TYPES, PERMISSIONS, Action
from codec.datatype import DataType

MAX_ACTIONS = 1000
MAX_ID_LENGTH = 1024
MAX_REASON_LENGTH = 1024

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID_LENGTH)]
LIMITS: dict[str, Any] = {
    "group": RoomLength,  # and is_room_name, in decode_exact
    "targetName": RoomLength,
    "userId": Id,
    "connectionId": Id,
    "excluded": tuple[Id, ...],
    "reason": Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_REASON_LENGTH)],
    "permission": Literal[PERMISSIONS],
}
"""Each action field's type and limits in a broadcast body, by its binding name."""
_ROOMS = ("group", "targetName")
"""The fields that name a room: their characters are checked after decoding."""


def request_struct(cls: type[Action]) -> type[msgspec.Struct]:
    """The struct a broadcast body's ``cls`` action decodes into: its fields by
    binding name with ``LIMITS``, tagged by its ``actionName``, nothing else."""
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for key, f in cls.wire_fields().items():
        if key == "data":
            fields.append((f.name, Any))
        elif key == "dataType":
            # Left out or null, it is text (decode_exact sees to it, as the
            # field-by-field reading does).
            fields.append((f.name, DataType | None, None))
        elif f.required:
            fields.append((f.name, LIMITS[key]))
        else:
            # The action's default when left out; an explicit null is refused.
            fields.append((f.name, LIMITS[key], f.default))
    return msgspec.defstruct(
        cls.__name__,  # the action's own name: the struct's name is never shown
        fields,
        tag_field="actionName",
        tag=cls.action_name,
        rename="camel",
        forbid_unknown_fields=True,
    )


Decode = Callable[[bytes], Any]


class _Target(NamedTuple):
    """What becomes of a request struct: its action, and its fields to finish."""

    action: type[Action]
    rooms: tuple[str, ...]
    has_data: bool


@cache
def _reader() -> tuple[Decode, dict[type, _Target]]:
    """The body's decoder and each request struct's target, built on first use."""
    targets = {}
    for cls in ACTION_TYPES.values():
        wire = cls.wire_fields()
        rooms = tuple(wire[key].name for key in _ROOMS if key in wire)
        targets[request_struct(cls)] = _Target(cls, rooms, "data" in wire)
    # A union of structs tagged by actionName: msgspec picks each one by its tag.
    one = Union[tuple(targets)]  # type: ignore[valid-type]  # noqa: UP007
    body = Annotated[list[one], msgspec.Meta(min_length=1, max_length=MAX_ACTIONS)] | one  # type: ignore[valid-type]
    return msgspec.json.Decoder(body).decode, targets


class NotExact(ValueError):
    """The body is not in the exact form (the field-by-field reading decides what it is)."""


def decode_exact(body: bytes, data: Callable[[object, DataType], str | bytes]) -> tuple[Action, ...]:
    """The actions of a body in the exact form, or NotExact.

    ``data(value, data_type)`` turns a request's ``data`` into the action's
    (a JSON value into its text); whatever it raises ends the exact reading.
    """
    decode, targets = _reader()
    try:
        decoded = decode(body)
    except (ValueError, RecursionError) as err:  # msgspec's errors are ValueErrors
        raise NotExact from err
    actions = []
    for request in decoded if type(decoded) is list else (decoded,):
        target = targets[type(request)]
        for name in target.rooms:
            room = getattr(request, name)
            if room is not None and not is_room_name(room):
                raise NotExact
        values = asdict(request)
        if target.has_data:
            data_type = values["data_type"] = values["data_type"] or DataType.TEXT
            values["data"] = data(values["data"], data_type)
        actions.append(target.action(**values))
    return tuple(actions)
