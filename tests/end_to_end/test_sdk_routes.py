"""The app's SDK paths (presence, filtered sends) through the local service's REST API."""

from tests.end_to_end.conftest import run


async def presence(host, **params):
    async with host.session.get(f"{host.url}/api/presence", params=params) as response:
        return response.status, await response.json()


def test_presence_through_the_sdk_sees_who_is_connected():
    async def scenario(host):
        alice = await host.connect("alice")
        assert await presence(host, user="alice") == (200, {"user": "alice", "connected": True})
        assert await presence(host, user="nobody") == (200, {"user": "nobody", "connected": False})
        status, body = await presence(host, room="lobby")
        assert status == 200
        assert body["connections"] == [{"connectionId": alice.connection_id, "userId": "alice"}]

    run(scenario)


def test_a_filtered_broadcast_reaches_only_the_clients_the_filter_selects():
    async def scenario(host):
        alice, bob = await host.connect("alice"), await host.connect("bob")
        actions = [
            {
                "actionName": "sendToAll",
                "dataType": "json",
                "data": {"n": "not-bob"},
                "filter": "userId ne 'bob'",
            },
            {"actionName": "sendToAll", "dataType": "json", "data": {"n": "everyone"}},
        ]
        async with host.session.post(f"{host.url}/api/broadcast", json=actions) as response:
            assert response.status == 202, await response.text()
        assert (await alice.chat(lambda d: "n" in d))["n"] == "not-bob"
        assert (await bob.chat(lambda d: "n" in d))["n"] == "everyone"

    run(scenario)


def test_a_filter_the_service_refuses_is_a_clear_error():
    async def scenario(host):
        actions = [{"actionName": "sendToAll", "data": "x", "filter": "userId eq 'a' xor protocol eq 'b'"}]
        async with host.session.post(f"{host.url}/api/broadcast", json=actions) as response:
            assert response.status == 502
            assert (await response.json())["error"]["message"] == "Web PubSub answered 400"

    run(scenario)


def test_the_rest_api_refuses_calls_without_a_token_signed_with_the_key():
    async def scenario(host):
        for headers in (
            {},
            {"Authorization": "Bearer not-a-jwt"},
            {"Authorization": f"Basic {host.token('x')}"},
        ):
            async with host.session.head(
                f"{host.running.service.url}/api/hubs/chat/users/alice", headers=headers
            ) as response:
                assert response.status == 401

    run(scenario)
