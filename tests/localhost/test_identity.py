"""The stand-in is a development host, as ``func start`` is, so negotiate trusts
a local caller's identity header there; it stays an Azure marker's call elsewhere."""

import os

from tests.localhost.conftest import run


def test_the_stand_in_marks_itself_a_development_host_so_negotiate_hands_out_a_token(monkeypatch):
    async def scenario(host):
        assert os.environ["AZURE_FUNCTIONS_ENVIRONMENT"] == "Development"
        reply = await host.session.get(
            host.url + "/api/negotiate", headers={"x-ms-client-principal-name": "alice"}
        )
        assert reply.status == 200
        assert set(await reply.json()) == {"url", "baseUrl", "accessToken"}

    run(scenario, monkeypatch)


def test_an_azure_marker_beside_the_stand_in_still_withholds_the_token(monkeypatch):
    monkeypatch.setenv("WEBSITE_SITE_NAME", "func-x")

    async def scenario(host):
        reply = await host.session.get(
            host.url + "/api/negotiate", headers={"x-ms-client-principal-name": "alice"}
        )
        assert reply.status == 500
        assert (await reply.json())["error"]["code"] == "authentication_not_configured"

    run(scenario, monkeypatch)
