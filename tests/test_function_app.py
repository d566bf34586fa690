"""The complete bindings JSON the worker sends the host for every function."""

import json

import pytest

from function_app import create_app

HUB = "%WebPubSubHub%"
CONN = "WebPubSubConnectionString"
OUTPUT = {"direction": "OUT", "type": "webPubSub", "name": "actions", "hub": HUB, "connection": CONN}
HTTP_OUT = {"direction": "OUT", "type": "http", "name": "$return"}


def trigger(event_type, event_name):
    return {
        "direction": "IN",
        "type": "webPubSubTrigger",
        "name": "request",
        "hub": HUB,
        "eventType": event_type,
        "eventName": event_name,
        "connections": [CONN],
    }


def http(route, methods, auth):
    return {
        "direction": "IN",
        "type": "httpTrigger",
        "name": "req",
        "methods": methods,
        "authLevel": auth,
        "route": route,
    }


EXPECTED = {
    "negotiate": [
        {
            "direction": "IN",
            "type": "webPubSubConnection",
            "name": "connection",
            "hub": HUB,
            "connection": CONN,
            "userId": "{headers.x-ms-client-principal-name}",
        },
        http("negotiate", ["GET", "POST"], "ANONYMOUS"),
        HTTP_OUT,
    ],
    "connect": [trigger("system", "connect")],
    "connected": [OUTPUT, trigger("system", "connected")],
    "disconnected": [OUTPUT, trigger("system", "disconnected")],
    "message": [OUTPUT, trigger("user", "message")],
    "join": [OUTPUT, trigger("user", "join")],
    "leave": [OUTPUT, trigger("user", "leave")],
    "history": [OUTPUT, trigger("user", "history")],
    "delete": [OUTPUT, trigger("user", "delete")],
    "typing": [OUTPUT, trigger("user", "typing")],
    "retention": [
        {
            "direction": "IN",
            "type": "timerTrigger",
            "name": "timer",
            "schedule": "0 30 3 * * *",
            "runOnStartup": False,
            "useMonitor": True,
        }
    ],
    "webhook": [
        OUTPUT,
        {"direction": "IN", "type": "webPubSubContext", "name": "context", "connections": [CONN]},
        http("webpubsub", ["OPTIONS", "POST"], "FUNCTION"),
        HTTP_OUT,
    ],
    "broadcast": [OUTPUT, http("broadcast", ["POST"], "FUNCTION"), HTTP_OUT],
    "presence": [http("presence", ["GET"], "FUNCTION"), HTTP_OUT],
    "page": [http("chat/{asset?}", ["GET"], "ANONYMOUS"), HTTP_OUT],
}


def indexed():
    return {
        f.get_function_name(): [json.loads(b) for b in f.get_raw_bindings()]
        for f in create_app().get_functions()
    }


def key(binding):
    return json.dumps(binding, sort_keys=True)


def test_the_app_has_exactly_the_expected_functions():
    assert sorted(indexed()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_function_declares_exactly_its_bindings(name):
    assert sorted(map(key, indexed()[name])) == sorted(map(key, EXPECTED[name]))


def test_the_events_route_cannot_collide_with_the_extension_webhook():
    routes = [b.get("route") for bindings in indexed().values() for b in bindings]
    assert not any(r and r.startswith("runtime/") for r in routes)


def test_indexing_reads_no_settings(monkeypatch):
    # A malformed setting must not break indexing: settings are read per invocation.
    monkeypatch.setenv("ChatMaxMessageLength", "not a number")
    monkeypatch.delenv("WebPubSubHub", raising=False)
    assert len(create_app().get_functions()) == len(EXPECTED)
