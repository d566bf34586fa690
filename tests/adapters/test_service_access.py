import pytest

from adapters.service_access import ServiceAccess, service_access
from chat.settings import SettingsError

NAME = "WebPubSubConnectionString"
SECRET = "S3CRET-KEY-abcdefghijklmnopqrstuvwxyz0123456789"


def test_a_connection_string_gives_the_endpoint_and_key():
    access = service_access(
        {NAME: f"Endpoint=https://res.webpubsub.azure.com;AccessKey={SECRET};Version=1.0;"}, NAME
    )
    assert access == ServiceAccess("https://res.webpubsub.azure.com", SECRET)
    assert not access.uses_identity
    assert SECRET not in repr(access)


def test_the_port_of_a_connection_string_joins_the_endpoint():
    access = service_access(
        {NAME: f"Endpoint=http://localhost;Port=8080;AccessKey={SECRET};Version=1.0;"}, NAME
    )
    assert access.endpoint == "http://localhost:8080"


@pytest.mark.parametrize("separator", ["__", ":"])
def test_identity_settings_give_the_service_uri_and_client_id(separator):
    env = {
        f"{NAME}{separator}serviceUri": "https://res.webpubsub.azure.com/",
        f"{NAME}{separator}credential": "managedidentity",
        f"{NAME}{separator}clientId": "11111111-2222-3333-4444-555555555555",
    }
    access = service_access(env, NAME)
    assert access == ServiceAccess(
        "https://res.webpubsub.azure.com", None, "11111111-2222-3333-4444-555555555555"
    )
    assert access.uses_identity


def test_a_connection_string_wins_over_identity_settings():
    env = {
        NAME: f"Endpoint=https://a.webpubsub.azure.com;AccessKey={SECRET};",
        f"{NAME}__serviceUri": "https://b",
    }
    assert service_access(env, NAME).endpoint == "https://a.webpubsub.azure.com"


@pytest.mark.parametrize(
    "env, fragment",
    [
        ({}, "is not set"),
        ({NAME: "garbage"}, "key=value"),
        ({NAME: f"AccessKey={SECRET}"}, "no Endpoint"),
        ({NAME: "Endpoint=https://res.webpubsub.azure.com;Version=1.0"}, "no AccessKey"),
        ({NAME: f"Endpoint=ftp://res;AccessKey={SECRET}"}, "http(s) URL"),
        ({NAME: f"Endpoint=https://res;Port=eighty;AccessKey={SECRET}"}, "Port"),
        ({f"{NAME}__serviceUri": "not a url"}, "http(s) URL"),
        ({f"{NAME}__serviceUri": "https://res", f"{NAME}__credential": "password"}, "managedidentity"),
    ],
)
def test_a_missing_or_malformed_setting_names_the_setting_never_the_value(env, fragment):
    with pytest.raises(SettingsError) as err:
        service_access(env, NAME)
    assert fragment in str(err.value) and NAME in str(err.value)
    assert SECRET not in str(err.value)
    assert not any(value in str(err.value) for value in env.values())
