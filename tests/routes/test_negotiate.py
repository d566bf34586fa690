import json

import pytest

from chat.settings import Settings
from routes.negotiate import negotiate

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"
INFO = json.dumps(
    {
        "baseUrl": "wss://res.webpubsub.azure.com/client/hubs/chat",
        "url": f"wss://res.webpubsub.azure.com/client/hubs/chat?access_token={TOKEN}",
        "accessToken": TOKEN,
    }
)
LOCAL = Settings(local_development_host=True)
AZURE_WITH_AUTH = Settings(easy_auth_on=True)
AZURE_WITHOUT_AUTH = Settings()
FORGED = "victim@contoso.com"

# What each host really sets (contract 9.1; the host's EnvironmentExtensions.cs),
# this machine's CONTAINER_NAME included where an ordinary Linux box has it.
PLANS = {
    "app service": {"WEBSITE_INSTANCE_ID": "a1b2", "WEBSITE_SITE_NAME": "func-x", "WEBSITE_SKU": "Basic"},
    "linux consumption": {
        "WEBSITE_SITE_NAME": "func-x",
        "CONTAINER_NAME": "func-x_abc",
        "WEBSITE_POD_NAME": "func-x-pod",
        "LEGION_SERVICE_HOST": "10.0.0.1",
    },
    "flex consumption": {
        "WEBSITE_SITE_NAME": "func-x",
        "WEBSITE_SKU": "FlexConsumption",
        "CONTAINER_NAME": "func-x_abc",
        "LEGION_SERVICE_HOST": "10.0.0.1",
        "AZURE_FUNCTIONS_ENVIRONMENT": "Production",
    },
    # A deployer who copies local settings into Azure must not open the app.
    "flex consumption set to Development": {
        "WEBSITE_SITE_NAME": "func-x",
        "WEBSITE_SKU": "FlexConsumption",
        "AZURE_FUNCTIONS_ENVIRONMENT": "Development",
    },
    "func start": {"AZURE_FUNCTIONS_ENVIRONMENT": "Development", "CONTAINER_NAME": "devbox"},
    "the host stand-in": {"AZURE_FUNCTIONS_ENVIRONMENT": "Development"},
    "none of these": {"CONTAINER_NAME": "devbox"},
}
LOCAL_HOSTS = {"func start", "the host stand-in"}
EASY_AUTH = {
    "off": {},
    "on, as App Service injects it": {"WEBSITE_AUTH_ENABLED": "True"},
    "on, as the Bicep declares it": {"ChatEasyAuthEnabled": "true"},
}


@pytest.mark.parametrize("auth", EASY_AUTH)
@pytest.mark.parametrize("plan", PLANS)
def test_a_forged_principal_header_gets_a_token_only_behind_easy_auth_or_on_a_local_host(plan, auth):
    reply = negotiate(INFO, FORGED, Settings.from_env(PLANS[plan] | EASY_AUTH[auth]))
    if auth != "off" or plan in LOCAL_HOSTS:
        assert reply.status == 200
        assert json.loads(reply.body)["accessToken"] == TOKEN
    else:
        assert reply.status == 500
        assert json.loads(reply.body)["error"] == {
            "code": "authentication_not_configured",
            "message": "App Service Authentication is not known to be on, so the caller's identity "
            "header cannot be trusted; turn it on for this app (see docs/deploying.md, Who the user is)",
        }
        assert TOKEN.encode() not in reply.body


def test_negotiate_returns_the_connection_json_uncached():
    reply = negotiate(INFO, "alice", LOCAL)
    assert reply.status == 200
    assert reply.headers == {"Content-Type": "application/json", "Cache-Control": "no-store"}
    assert json.loads(reply.body) == json.loads(INFO)


def test_negotiate_in_azure_with_authentication_returns_the_token():
    assert negotiate(INFO, "alice@contoso.com", AZURE_WITH_AUTH).status == 200


def test_settings_built_without_the_environment_trust_nobody():
    reply = negotiate(INFO, "alice", AZURE_WITHOUT_AUTH)
    assert reply.status == 500
    assert json.loads(reply.body)["error"]["code"] == "authentication_not_configured"
    assert TOKEN.encode() not in reply.body


@pytest.mark.parametrize("user", [None, "", "   "])
def test_negotiate_without_a_user_is_a_401_naming_the_header(user):
    reply = negotiate(INFO, user, LOCAL)
    error = json.loads(reply.body)["error"]
    assert (reply.status, error["field"]) == (401, "x-ms-client-principal-name")
    assert TOKEN.encode() not in reply.body


@pytest.mark.parametrize("user", ["a" * 257, "tab\there", "bell\x07"])
def test_negotiate_refuses_an_unusable_user_id(user):
    reply = negotiate(INFO, user, LOCAL)
    assert reply.status == 400
    assert json.loads(reply.body)["error"]["field"] == "x-ms-client-principal-name"


@pytest.mark.parametrize(
    "info",
    [
        None,
        "",
        "{",
        "[]",
        json.dumps({"url": "wss://x", "baseUrl": "wss://x"}),
        json.dumps({"url": 1, "baseUrl": "b", "accessToken": TOKEN}),
    ],
)
def test_unusable_connection_info_is_a_502_that_does_not_echo_it(info):
    reply = negotiate(info, "alice", LOCAL)
    assert reply.status == 502
    assert TOKEN.encode() not in reply.body


def test_extra_fields_from_the_binding_are_not_passed_on():
    info = json.loads(INFO) | {"debug": "x"}
    assert set(json.loads(negotiate(json.dumps(info), "alice", LOCAL).body)) == {
        "url",
        "baseUrl",
        "accessToken",
    }
