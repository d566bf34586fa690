"""Reading the ChatStorage connection in both forms, and building the store in the composition root."""

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.storage_access import DEVELOPMENT_KEY, TableAccess, table_access
from adapters.tables import TableHistoryStore
from chat.settings import SettingsError
from composition import Dependencies, history_configured
from tests.fake_history import FakeHistory

ROOT = Path(__file__).resolve().parents[2]
AZURITE = (
    f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DEVELOPMENT_KEY};"
    "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"
)


def test_azurites_connection_string_keeps_the_account_in_the_endpoint():
    assert table_access({"ChatStorage": AZURITE}, "ChatStorage") == TableAccess(
        "http://127.0.0.1:10002/devstoreaccount1", "devstoreaccount1", DEVELOPMENT_KEY
    )


def test_use_development_storage_means_azurites_table_service():
    access = table_access({"S": "UseDevelopmentStorage=true"}, "S")
    assert access == TableAccess(
        "http://127.0.0.1:10002/devstoreaccount1", "devstoreaccount1", DEVELOPMENT_KEY
    )


@pytest.mark.parametrize(
    "value, endpoint",
    [
        ("AccountName=acct;AccountKey=a2V5", "https://acct.table.core.windows.net"),
        (
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.chinacloudapi.cn",
            "https://acct.table.core.chinacloudapi.cn",
        ),
        ("AccountName=acct;AccountKey=a2V5;TableEndpoint=https://t.example/", "https://t.example"),
    ],
)
def test_an_azure_connection_string_gives_the_table_endpoint(value, endpoint):
    access = table_access({"S": value}, "S")
    assert (access.endpoint, access.account_name, access.account_key) == (endpoint, "acct", "a2V5")
    assert not access.uses_identity


@pytest.mark.parametrize("separator", ["__", ":"])
def test_the_identity_form_reads_the_uri_and_client_id(separator):
    env = {
        f"ChatStorage{separator}tableServiceUri": "https://acct.table.core.windows.net/",
        f"ChatStorage{separator}credential": "managedidentity",
        f"ChatStorage{separator}clientId": "11111111-2222-3333-4444-555555555555",
    }
    access = table_access(env, "ChatStorage")
    assert access == TableAccess(
        "https://acct.table.core.windows.net", client_id="11111111-2222-3333-4444-555555555555"
    )
    assert access.uses_identity


@pytest.mark.parametrize(
    "env, text",
    [
        (
            {"S__tableServiceUri": "https://a.table.core.windows.net", "S__credential": "key"},
            "S__credential must be managedidentity when set",
        ),
        (
            {"S__tableServiceUri": "not a url"},
            "S__tableServiceUri must hold an http(s) URL of the table service",
        ),
        ({"S": "AccountKey=c2VjcmV0"}, "S has no AccountName"),
        (
            {"S": "AccountName=a;AccountKey=c2VjcmV0;TableEndpoint=ftp://x"},
            "S must hold an http(s) URL of the table service",
        ),
    ],
)
def test_a_malformed_connection_names_the_setting_not_its_value(env, text):
    with pytest.raises(SettingsError) as caught:
        table_access(env, "S")
    assert str(caught.value) == text
    assert "c2VjcmV0" not in str(caught.value)


def test_the_key_is_not_in_the_access_repr():
    assert DEVELOPMENT_KEY not in repr(table_access({"ChatStorage": AZURITE}, "ChatStorage"))


@pytest.mark.parametrize(
    "env, on",
    [
        ({}, False),
        ({"ChatStorage": "  "}, False),
        ({"ChatStorage__clientId": "x"}, False),
        ({"ChatStorage": AZURITE}, True),
        ({"ChatStorage__tableServiceUri": "https://a.table.core.windows.net"}, True),
        ({"ChatStorage:tableServiceUri": "https://a.table.core.windows.net"}, True),
    ],
)
def test_history_is_on_when_the_chatstorage_connection_is_set_in_either_form(env, on):
    assert history_configured(env) is on
    store = Dependencies(env).history_store()
    assert isinstance(store, TableHistoryStore) if on else store is None


def test_the_built_store_is_kept_until_a_reset():
    root = Dependencies({"ChatStorage": AZURITE})
    first = root.history_store()
    assert root.history_store() is first
    root.reset()
    assert isinstance(root.history_store(), TableHistoryStore)
    assert root.history_store() is not first


def test_a_given_store_is_used_even_without_the_setting_and_survives_a_reset():
    fake = FakeHistory()
    root = Dependencies({}, history=fake)
    assert root.history_store() is fake
    root.reset()
    assert root.history_store() is fake


def test_closing_closes_the_built_store_and_forgets_it(azurite_tables):
    root = Dependencies({"ChatStorage": azurite_tables.connection_string})
    built = root.history_store()
    assert built is not None

    async def use_then_close():
        await built.latest("lobby", 1)  # builds the SDK client and its HTTP session
        session_of = built._client  # noqa: SLF001 (what close must release)
        assert session_of is not None
        await root.aclose()
        assert built._client is None  # noqa: SLF001

    asyncio.run(use_then_close())
    assert root.history_store() is not built


def test_closing_leaves_a_given_store_to_its_giver():
    fake = FakeHistory()
    root = Dependencies({}, history=fake)
    asyncio.run(root.aclose())
    assert (fake.closed, root.history_store()) == (0, fake)


PROBE = """
import json, sys
from composition import Dependencies
on = Dependencies({"ChatStorage": sys.argv[1]} if len(sys.argv) > 1 else {}).history_store()
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize("on", [False, True])
def test_deciding_whether_history_is_on_loads_no_table_sdk(on):
    argv = [sys.executable, "-c", PROBE, *([AZURITE] if on else [])]
    loaded = json.loads(subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True).stdout)
    assert [m for m in loaded if m.startswith(("azure.", "aiohttp"))] == []
    assert ("adapters.tables" in loaded) is on
