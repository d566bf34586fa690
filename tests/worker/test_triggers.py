"""The trigger functions through the real worker, fed as the host feeds them."""

import json

import pytest

from tests import payloads as p


def trigger(worker, name, payload, *, as_json=True):
    value = p.as_request(payload) if isinstance(payload, dict) else payload
    data = worker.json(value) if as_json else worker.string(value)
    return worker.invoke_sync(name, {"request": data})


@pytest.fixture(autouse=True)
def clean_settings(monkeypatch):
    for name in ("ChatAllowAnonymous", "ChatDefaultRoom", "ChatMaxMessageLength"):
        monkeypatch.delenv(name, raising=False)


def test_a_connect_reply_comes_back_as_typed_json_not_a_string(worker):
    result = trigger(worker, "connect", p.connect())
    assert result.ok
    assert result.return_kind == "json"
    assert json.loads(result.return_value) == {
        "userId": "alice",
        "groups": ["lobby"],
        "subprotocol": p.SUBPROTOCOL,
        "states": {"rooms": ["lobby"]},
    }


def test_the_request_may_arrive_as_a_plain_string_too(worker):
    result = trigger(worker, "connect", p.connect(), as_json=False)
    assert result.return_kind == "json" and json.loads(result.return_value)["userId"] == "alice"


def test_a_rejected_connect_is_a_json_error_reply(worker):
    result = trigger(worker, "connect", p.connect(user_id=None))
    assert json.loads(result.return_value) == {
        "code": "unauthorized",
        "errorMessage": "sign in first: the connection has no user id",
    }


def test_connected_returns_nothing_and_sends_presence_as_one_json_string(worker):
    result = trigger(worker, "connected", p.connected(rooms=["lobby"]))
    assert result.ok
    # A None return travels as no return value at all: the extension sees no reply.
    assert result.return_kind is None
    assert result.output_kinds == {"actions": "string"}
    (action,) = json.loads(result.outputs["actions"])
    assert action["actionName"] == "sendToGroup" and json.loads(action["data"])["event"] == "joined"


def test_a_message_sends_its_actions_as_a_json_array_string_and_replies_with_a_dict(worker):
    result = trigger(worker, "message", p.user_event("message", {"room": "lobby", "text": "hello"}))
    assert result.return_kind == "json"
    reply = json.loads(result.return_value)
    assert reply["dataType"] == "json" and json.loads(reply["data"])["type"] == "ack"
    actions = json.loads(result.outputs["actions"])
    assert isinstance(actions, list) and [a["group"] for a in actions] == ["lobby"]
    assert json.loads(actions[0]["data"])["text"] == "hello"


def test_join_and_leave_send_two_actions_in_one_output(worker):
    joined = trigger(worker, "join", p.user_event("join", {"room": "games"}))
    assert [a["actionName"] for a in json.loads(joined.outputs["actions"])] == [
        "addConnectionToGroup",
        "sendToGroup",
    ]
    assert json.loads(joined.return_value)["states"] == {"rooms": ["lobby", "games"]}
    left = trigger(worker, "leave", p.user_event("leave", {"room": "games"}, rooms=["lobby", "games"]))
    assert json.loads(left.return_value)["states"] == {"rooms": ["lobby"]}


def test_disconnected_returns_nothing(worker):
    result = trigger(worker, "disconnected", p.disconnected(rooms=["lobby"]))
    assert result.ok and result.return_kind is None and len(json.loads(result.outputs["actions"])) == 1


@pytest.mark.parametrize(
    "name, payload, code",
    [
        ("message", p.user_event("message", {"text": ""}), "invalid_text"),
        ("message", p.user_event("message", "x", data_type="Binary"), "unsupported_data_type"),
        ("join", p.user_event("join", {"room": "no way"}), "invalid_room"),
    ],
)
def test_a_users_mistake_is_a_json_refusal_with_no_output(worker, name, payload, code):
    result = trigger(worker, name, payload)
    assert result.ok
    reply = json.loads(result.return_value)
    assert reply["dataType"] == "json" and json.loads(reply["data"])["code"] == code
    assert result.outputs == {}


@pytest.mark.parametrize("name, payload", [("leave", "{truncated"), ("message", "null")])
def test_a_malformed_event_is_a_clean_user_error_with_no_output(worker, name, payload):
    result = trigger(worker, name, payload)
    assert result.ok
    assert json.loads(result.return_value)["code"] == "userError"
    assert result.outputs == {}


def test_a_fault_fails_the_invocation_with_a_message_naming_the_setting(worker, monkeypatch):
    monkeypatch.setenv("ChatMaxMessageLength", "secret-looking-value")
    result = trigger(worker, "message", p.user_event("message", {"text": "hi"}))
    assert not result.ok
    assert "ChatMaxMessageLength" in result.error
    assert "secret-looking-value" not in result.error
    assert result.outputs == {}


# History on, through the real worker and Azurite


def with_history(worker, monkeypatch, azurite_tables, scenario):
    """Run ``scenario(invoke)`` on one event loop with ``ChatStorage`` set (history on, as
    deployed), then close the store the app built."""
    import asyncio

    import function_app

    monkeypatch.setenv("ChatStorage", azurite_tables.connection_string)

    async def invoke(name, payload):
        return await worker.invoke(name, {"request": worker.json(p.as_request(payload))})

    async def run():
        try:
            await scenario(invoke)
        finally:
            store = function_app.root.history_store()
            assert store is not None
            await store.close()

    asyncio.run(run())


def room_name() -> str:
    import uuid

    return "w" + uuid.uuid4().hex[:12]  # the session's Azurite is shared: a room per test


def data(result):
    return json.loads(json.loads(result.return_value)["data"])


def test_message_join_history_delete_and_typing_through_the_worker_with_history_on(
    worker, monkeypatch, azurite_tables
):
    room = room_name()

    async def scenario(invoke):
        posted = await invoke(
            "message", p.user_event("message", {"room": room, "text": "hello"}, rooms=[room])
        )
        ack = data(posted)
        (action,) = json.loads(posted.outputs["actions"])
        assert json.loads(action["data"])["id"] == ack["messageId"]
        # The service retries the event: the same id, stored once.
        again = await invoke(
            "message", p.user_event("message", {"room": room, "text": "hello"}, rooms=[room])
        )
        assert data(again)["messageId"] == ack["messageId"]

        joined = data(await invoke("join", p.user_event("join", {"room": room}, user_id="bob")))
        assert [(m["id"], m["from"], m["text"]) for m in joined["history"]] == [
            (ack["messageId"], "alice", "hello")
        ]
        assert joined["more"] is False and joined["members"] is None  # no service to ask here

        page = data(
            await invoke("history", p.user_event("history", {"room": room, "limit": 1}, rooms=[room]))
        )
        assert page["type"] == "history" and [m["text"] for m in page["messages"]] == ["hello"]

        deleted = await invoke(
            "delete", p.user_event("delete", {"room": room, "messageId": ack["messageId"]}, rooms=[room])
        )
        assert data(deleted) == {
            "type": "ack",
            "event": "delete",
            "room": room,
            "messageId": ack["messageId"],
        }
        assert json.loads(json.loads(deleted.outputs["actions"])[0]["data"])["type"] == "deleted"
        page = data(await invoke("history", p.user_event("history", {"room": room}, rooms=[room])))
        assert page["messages"][0]["deleted"] is True and "text" not in page["messages"][0]

        typed = await invoke("typing", p.user_event("typing", {"room": room}, rooms=[room]))
        assert data(typed)["forwarded"] is True
        (notice,) = json.loads(typed.outputs["actions"])
        assert notice["excluded"] == ["AbCdEfGh123-conn"]

    with_history(worker, monkeypatch, azurite_tables, scenario)


def test_the_retention_timer_purges_expired_messages_through_the_worker(worker, monkeypatch, azurite_tables):
    import function_app
    from chat import history

    room = room_name()
    monkeypatch.setenv("ChatHistoryDays", "1")

    async def scenario(invoke):
        store = function_app.root.history_store()
        now = function_app.root.now()
        from datetime import timedelta

        old = history.new_message("old", now - timedelta(days=2), room, "alice", "old")
        new = history.new_message("new", now - timedelta(hours=1), room, "alice", "new")
        await store.put_message(old)
        await store.put_message(new)
        timer = worker.json(json.dumps({"Schedule": {"AdjustForDST": True}, "IsPastDue": False}))
        result = await worker.invoke("retention", {"timer": timer})
        assert result.ok, result.error
        page = await store.latest(room, 10)
        assert [m.text for m in page.messages] == ["new"]

    with_history(worker, monkeypatch, azurite_tables, scenario)


def test_the_retention_timer_does_nothing_with_history_off(worker):
    timer = worker.json(json.dumps({"Schedule": {"AdjustForDST": True}, "IsPastDue": False}))
    assert worker.invoke_sync("retention", {"timer": timer}).ok
