"""Both event routes refuse what the service would never send, and answer what it sends."""

import json

import pytest

from tests.localhost.conftest import KEY, run
from tools.webpubsub.events import Context, headers_for

ROUTES = ["/runtime/webhooks/webpubsub", "/api/webpubsub"]


def headers(host, key, event_name="message", event_type="user", **overrides):
    ctx = Context("chat", "conn-1", "alice", {"rooms": ["lobby"]})
    h = headers_for(key, "localhost", ctx, event_type, event_name, "application/json")
    h.update(overrides)
    return h


@pytest.mark.parametrize("route", ROUTES)
def test_a_validation_request_from_our_service_is_allowed_and_others_are_not(route, monkeypatch):
    async def scenario(host):
        ok = await host.session.options(host.url + route, headers={"WebHook-Request-Origin": "localhost"})
        assert (ok.status, ok.headers.get("WebHook-Allowed-Origin")) == (200, "*")
        foreign = await host.session.options(
            host.url + route, headers={"WebHook-Request-Origin": "evil.example"}
        )
        assert foreign.status == 400

    run(scenario, monkeypatch)


@pytest.mark.parametrize("route", ROUTES)
def test_a_wrong_signature_is_refused_with_401(route, monkeypatch):
    async def scenario(host):
        h = headers(host, "not-the-key")
        response = await host.session.post(host.url + route, data=b'{"text":"x"}', headers=h)
        assert response.status == 401

    run(scenario, monkeypatch)


@pytest.mark.parametrize("route", ROUTES)
def test_a_signed_event_is_answered(route, monkeypatch):
    async def scenario(host):
        h = headers(host, KEY)
        response = await host.session.post(host.url + route, data=b'{"text":"signed"}', headers=h)
        assert response.status == 200
        assert (await response.json())["type"] == "ack"
        # The message went to the room through the service's REST API.
        (call,) = host.service.calls
        assert (call.method, call.path) == ("POST", "/api/hubs/chat/groups/lobby/:send")
        sent = json.loads(call.body)
        assert len(sent["id"]) == 24  # from the event's ce-id and ce-time
        assert sent | {"at": None} == {
            "type": "message",
            "id": sent["id"],
            "from": "alice",
            "room": "lobby",
            "text": "signed",
            "at": None,
        }

    run(scenario, monkeypatch)


@pytest.mark.parametrize("route", ROUTES)
def test_an_event_without_its_cloudevents_headers_is_a_400(route, monkeypatch):
    async def scenario(host):
        h = headers(host, KEY)
        del h["ce-connectionId"]
        response = await host.session.post(host.url + route, data=b"{}", headers=h)
        assert response.status == 400

    run(scenario, monkeypatch)


def test_an_event_no_function_handles_is_a_404_on_the_trigger_route(monkeypatch):
    async def scenario(host):
        h = headers(host, KEY, event_name="shout")
        response = await host.session.post(host.url + ROUTES[0], data=b"{}", headers=h)
        assert response.status == 404

    run(scenario, monkeypatch)
