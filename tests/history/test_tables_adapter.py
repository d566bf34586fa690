"""The Table Storage store's own behaviour on real Azurite: its table, its failures, its restarts."""

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from azure.core.credentials import AccessToken
from azure.data.tables.aio import TableServiceClient

from adapters.tables import TABLE_NAME, TableHistoryStore
from chat import history
from chat.history_store import HistoryUnavailable
from tools import azurite

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
STORED = history.new_message("ce-1", T0, "lobby", "alice", "hello")


def fresh_table() -> str:
    return f"Test{uuid.uuid4().hex[:16]}"


def failure(store, call) -> HistoryUnavailable:
    """The HistoryUnavailable that ``call(store)`` raises (the store is closed afterwards)."""

    async def scenario():
        try:
            await call(store)
        finally:
            await store.close()

    with pytest.raises(HistoryUnavailable) as caught:
        asyncio.run(scenario())
    return caught.value


def assert_no_secret(err: HistoryUnavailable, *secrets: str) -> None:
    for text in (str(err), repr(err), *map(str, err.args)):
        for secret in secrets:
            assert secret not in text
    assert err.__cause__ is None
    assert err.__suppress_context__


EVERY_CALL = {
    "put_message": lambda s: s.put_message(STORED),
    "latest": lambda s: s.latest("lobby", 5),
    "get": lambda s: s.get("lobby", STORED.id),
    "mark_deleted": lambda s: s.mark_deleted("lobby", STORED.id),
    "delete_older_than": lambda s: s.delete_older_than(T0),
}


def test_the_default_table_is_chat_history_and_is_created_on_first_use(azurite_tables):
    env = {"ChatStorage": azurite_tables.connection_string}

    async def scenario():
        store = TableHistoryStore("ChatStorage", env)
        try:
            await store.put_message(STORED)
            await store.put_message(STORED)  # the table exists now: no second creation
            return await store.get("lobby", STORED.id)
        finally:
            await store.close()

    assert TABLE_NAME == "ChatHistory"
    assert asyncio.run(scenario()) == STORED
    assert asyncio.run(table_names(azurite_tables)) >= {"ChatHistory"}


async def table_names(service) -> set[str]:
    async with TableServiceClient.from_connection_string(service.connection_string) as client:
        return {table.name async for table in client.list_tables()}


@pytest.mark.parametrize("call", EVERY_CALL.values(), ids=EVERY_CALL.keys())
def test_a_table_deleted_after_first_use_is_reported_by_name(azurite_tables, call):
    table = fresh_table()
    store = TableHistoryStore("ChatStorage", {"ChatStorage": azurite_tables.connection_string}, table=table)

    async def drop_then_call(store):
        await store.latest("lobby", 1)  # creates the table
        async with TableServiceClient.from_connection_string(azurite_tables.connection_string) as client:
            await client.delete_table(table)
        await call(store)

    err = failure(store, drop_then_call)
    assert str(err) == f"the table {table} does not exist (the deployment creates it)"
    assert err.status == 404


@pytest.mark.parametrize("call", EVERY_CALL.values(), ids=EVERY_CALL.keys())
def test_a_closed_port_is_unavailable_without_the_key_in_the_text(call):
    connection = azurite.connection_string(azurite.free_port())
    store = TableHistoryStore("ChatStorage", {"ChatStorage": connection}, table=fresh_table())
    err = failure(store, call)
    assert str(err) == "Table Storage could not be reached"
    assert err.status is None
    assert_no_secret(err, azurite.ACCOUNT_KEY, connection)


def test_a_wrong_key_is_refused_without_the_key_in_the_text(azurite_tables):
    wrong_key = "V1JPTkdLRVk" * 8
    connection = azurite_tables.connection_string.replace(azurite.ACCOUNT_KEY, wrong_key)
    store = TableHistoryStore("ChatStorage", {"ChatStorage": connection}, table=fresh_table())
    err = failure(store, EVERY_CALL["latest"])
    assert str(err) == (
        "Table Storage refused the credentials: check the account key, or the identity "
        "and its Storage Table Data Contributor role"
    )
    assert err.status == 403
    assert_no_secret(err, wrong_key, connection)


@pytest.mark.parametrize(
    "env, text",
    [
        ({}, "ChatStorage is not set: give a connection string, or ChatStorage__tableServiceUri"),
        (
            {"ChatStorage": "AccountName=x;AccountKey"},
            "ChatStorage is not a connection string of key=value pairs",
        ),
        (
            {"ChatStorage": "AccountName=x;TableEndpoint=http://h"},
            "ChatStorage has no AccountKey (for an identity, set ChatStorage__tableServiceUri)",
        ),
        (
            {"ChatStorage__tableServiceUri": "http://acct.table.core.windows.net"},
            "ChatStorage__tableServiceUri must be an https URL: a token is never sent over http",
        ),
    ],
)
def test_a_malformed_setting_is_unavailable_naming_the_setting(env, text):
    err = failure(TableHistoryStore("ChatStorage", env), EVERY_CALL["get"])
    assert str(err) == text


class FixedToken:
    """An async credential that always has a token (the service is what fails here)."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    async def get_token(self, *scopes, **kwargs):
        self.scopes.append(scopes)
        return AccessToken("PLANTED-TOKEN", 2_000_000_000)

    async def close(self) -> None:
        pass


def test_the_identity_form_uses_the_credential_for_storage_and_never_shows_the_token():
    credential = FixedToken()
    env = {
        "ChatStorage__tableServiceUri": f"https://127.0.0.1:{azurite.free_port()}",
        "ChatStorage__credential": "managedidentity",
    }
    store = TableHistoryStore("ChatStorage", env, table=fresh_table(), credential=credential)
    err = failure(store, EVERY_CALL["put_message"])
    assert str(err) == "Table Storage could not be reached"
    assert credential.scopes == [("https://storage.azure.com/.default",)]
    assert_no_secret(err, "PLANTED-TOKEN")


def test_history_survives_an_azurite_restart_and_is_unavailable_while_it_is_down(tmp_path):
    port = azurite.free_port()
    env = {"ChatStorage": azurite.connection_string(port)}

    async def put_then_latest():
        store = TableHistoryStore("ChatStorage", env)
        try:
            await store.put_message(STORED)
            return await store.latest("lobby", 5)
        finally:
            await store.close()

    running = azurite.launch(port, tmp_path)
    try:
        assert asyncio.run(put_then_latest()).messages == (STORED,)
    finally:
        running.stop()
    assert not azurite.answers(port)
    err = failure(TableHistoryStore("ChatStorage", env), EVERY_CALL["latest"])
    assert str(err) == "Table Storage could not be reached"
    running = azurite.launch(port, tmp_path)
    try:
        assert asyncio.run(put_then_latest()).messages == (STORED,)  # the old row, once
    finally:
        running.stop()


def test_a_closed_store_works_again_on_its_next_call(azurite_tables):
    store = TableHistoryStore(
        "ChatStorage", {"ChatStorage": azurite_tables.connection_string}, table=fresh_table()
    )

    async def scenario():
        await store.put_message(STORED)
        await store.close()
        try:
            return await store.get("lobby", STORED.id)
        finally:
            await store.close()

    assert asyncio.run(scenario()) == STORED
