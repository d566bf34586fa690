"""The typed fast paths give what the field-by-field readings give, for any input.

An unknown field sends user event data down the field-by-field reading
(``EventData`` forbids unknown fields) and both readings ignore it; an
``actionName`` spelled in another case does the same for a broadcast body.
So each pair below differs only in which way it was read.
"""

import json

from hypothesis import given
from hypothesis import strategies as st

from chat.handlers import handle_request
from chat.settings import Settings
from codec.actions import ACTION_TYPES
from routes.broadcast import plan_broadcast
from tests import payloads as p
from tests.property.strategies import JSON, ODD_TEXT

ROOMS = st.sampled_from(["lobby", "games", "r" * 64, "r" * 65, "", "bad room", "lobby\n", "é"]) | ODD_TEXT
IDS = st.sampled_from(["", "a", "x" * 64, "x" * 65, 0, 2**53 - 1, 2**53, -(2**53), 1.0, 1e300, True, None])
VALUES = ROOMS | IDS | JSON
EVENT_DATA = st.fixed_dictionaries(
    {}, optional={"room": ROOMS | VALUES, "text": ODD_TEXT | VALUES, "id": IDS | VALUES}
)


@given(
    name=st.sampled_from(["message", "join", "leave"]),
    data=EVENT_DATA,
    rooms=st.lists(ROOMS, max_size=4),
    max_length=st.integers(1, 100),
)
def test_user_event_data_read_in_one_pass_or_field_by_field_gives_the_same_outcome(
    name, data, rooms, max_length, count
):
    count()
    settings = Settings(max_message_length=max_length)
    typed = handle_request(p.as_request(p.user_event(name, data, rooms=rooms)), settings, p.NOW)
    read = handle_request(
        p.as_request(p.user_event(name, {**data, "other": 0}, rooms=rooms)), settings, p.NOW
    )
    assert typed == read


NAMES = [cls.action_name for cls in ACTION_TYPES.values()]
WORDS = st.text(min_size=1, max_size=8)
# Mostly what a route accepts, so that most bodies take the typed way...
VALID = {
    "group": st.sampled_from(["lobby", "g-1", "r" * 64]),
    "targetName": st.sampled_from(["lobby", "g_2"]),
    "userId": WORDS,
    "connectionId": WORDS,
    "excluded": st.lists(WORDS, max_size=2),
    "reason": WORDS,
    "permission": st.sampled_from(["sendToGroup", "joinLeaveGroup"]),
}
PAYLOADS = (
    st.tuples(st.sampled_from(["text", None]), WORDS)
    | st.tuples(st.just("json"), JSON)
    | st.tuples(
        st.just("binary"),
        st.lists(st.integers(0, 255), max_size=4).map(lambda b: {"type": "Buffer", "data": b}),
    )
)
# ...and, field by field, anything at all.
ODD = {
    "group": ROOMS,
    "targetName": ROOMS,
    "userId": IDS | ODD_TEXT,
    "connectionId": IDS | ODD_TEXT,
    "data": VALUES,
    "dataType": st.sampled_from(["text", "json", "binary", "JSON", None, 1]),
    "excluded": st.lists(IDS | ODD_TEXT, max_size=3) | VALUES,
    "reason": ODD_TEXT | VALUES,
    "permission": st.sampled_from(["sendToGroup", "joinLeaveGroup", "SendToGroup", "x", None]),
}


@st.composite
def action(draw):
    cls = draw(st.sampled_from(list(ACTION_TYPES.values())))
    item = {"actionName": cls.action_name}
    for key, info in cls.wire_fields().items():
        if key in ("data", "dataType"):
            continue
        if info.required or draw(st.booleans()):
            item[key] = draw(VALID[key])
    if "data" in cls.wire_fields():
        data_type, data = draw(PAYLOADS)
        item["data"] = data
        if data_type is not None:
            item["dataType"] = data_type
    for key in draw(st.lists(st.sampled_from([*ODD, "actionName"]), max_size=2)):
        item[key] = draw(ODD[key]) if key in ODD else draw(st.sampled_from(NAMES) | ODD_TEXT)
    return item


ACTION = action()


def respell(name):
    """The same action name in PascalCase (which only the field-by-field reading accepts)."""
    return name[:1].upper() + name[1:] if isinstance(name, str) else name


@given(actions=st.lists(ACTION, min_size=1, max_size=5), one=st.booleans())
def test_a_broadcast_body_read_in_one_pass_or_field_by_field_is_planned_the_same(actions, one, count):
    count()
    respelled = [{**a, "actionName": respell(a["actionName"])} for a in actions]
    bodies = (actions[0], respelled[0]) if one else (actions, respelled)
    typed, read = (plan_broadcast(json.dumps(b).encode()) for b in bodies)
    assert typed == read
