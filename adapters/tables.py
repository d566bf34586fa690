"""Chat history on Azure Table Storage (Azurite locally), through azure-data-tables' async client.

``TableHistoryStore`` implements ``chat.history_store.HistoryStore``. One
table (``TABLE_NAME``), one partition per room (``PartitionKey`` = room),
one row per message (``RowKey`` from its id, newest first: see
``chat.history``), with the properties ``From``, ``Text`` and ``Deleted``.

The client is built on first use, never at import: indexing the app loads
neither this SDK nor azure-identity. With a connection string (Azurite, or a
key) the table is created on first use when missing; with an identity the
deployment creates it (the Bicep's ``tableServices/tables``), and a missing
table is reported rather than created, to spare every cold start a round trip.

Failures surface as ``HistoryUnavailable`` with a short text that names what
failed, never a key or a connection string.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import replace
from datetime import datetime
from typing import Any

from adapters.storage_access import TableAccess, table_access
from chat import history
from chat.history import Page, StoredMessage
from chat.history_store import HistoryUnavailable
from chat.settings import SettingsError

TABLE_NAME = "ChatHistory"
"""The table the deployment creates (infra) and the app reads and writes."""
# An event has a deadline and the service retries it: two retries, no more.
# Past a partition's target (about 2,000 entities/s, contract section 10)
# Table Storage answers 503; these retries absorb a short burst.
CLIENT_OPTIONS: dict[str, Any] = {"retry_total": 2, "retry_backoff_factor": 0.5, "retry_backoff_max": 4}
_REFUSED = (
    "Table Storage refused the credentials: check the account key, or the identity "
    "and its Storage Table Data Contributor role"
)
# A transaction holds at most 100 operations, all in one partition.
_BATCH = 100
_PROPERTIES = ["RowKey", "From", "Text", "Deleted"]


class TableHistoryStore:
    """The history store on the table ``table`` of the account named by setting ``setting``.

    ``credential`` replaces managed identity (for special hosting); tests
    give Azurite's connection string in ``env``.
    """

    def __init__(
        self,
        setting: str,
        env: Mapping[str, str] = os.environ,
        *,
        table: str = TABLE_NAME,
        credential: Any = None,
    ) -> None:
        self._setting = setting
        self._env = env
        self._table = table
        self._credential = credential
        self._client: Any = None
        self._owned_credential: Any = None

    async def put_message(self, message: StoredMessage) -> None:
        """Create the message's row; a row already there (a retried event) is left as it is."""
        from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

        entity = {
            "PartitionKey": message.room,
            "RowKey": history.row_key(message.id),
            "From": message.sender,
            "Text": message.text,
            "Deleted": message.deleted,
        }
        client = await self._client_for_use()
        async with self._translated():
            try:
                await client.create_entity(entity)
            except ResourceExistsError:
                return  # the same event stored it before: keep that row (and a deletion since)
            except ResourceNotFoundError:
                # An insert finds no row missing: the table is (Azurite names no error code here).
                raise self._no_table() from None

    async def latest(
        self, room: str, limit: int, *, before: str | None = None, not_before: datetime | None = None
    ) -> Page:
        """One query: the partition's rows from the top of the range, ``limit + 1`` at most."""
        if not 1 <= limit <= history.MAX_PAGE:
            raise ValueError(f"limit must be between 1 and {history.MAX_PAGE}")
        conditions = ["PartitionKey eq @room"]
        parameters: dict[str, Any] = {"room": room}
        if before is not None:
            conditions.append("RowKey gt @after")  # older than the cursor
            parameters["after"] = history.row_key(before)
        if not_before is not None:
            conditions.append("RowKey le @through")  # not older than the cutoff
            parameters["through"] = history.oldest_kept_row_key(not_before)
        client = await self._client_for_use()
        async with self._translated():
            pages = client.query_entities(
                " and ".join(conditions),
                parameters=parameters,
                results_per_page=limit + 1,
                select=_PROPERTIES,
            ).by_page()
            rows = [entity async for entity in await pages.__anext__()]
            token = pages.continuation_token
        found = history.page([_message(room, row) for row in rows[: limit + 1]], limit)
        # The service may end a page early and give a token (a time limit, a
        # partition boundary): older rows may then exist although it sent fewer.
        return replace(found, more=True) if token and not found.more else found

    async def get(self, room: str, message_id: str) -> StoredMessage | None:
        """The row of that id in the room's partition, or None."""
        from azure.core.exceptions import ResourceNotFoundError

        client = await self._client_for_use()
        async with self._translated():
            try:
                row = await client.get_entity(room, history.row_key(message_id), select=_PROPERTIES)
            except ResourceNotFoundError as err:
                if _table_missing(err):
                    raise
                return None
        return _message(room, row)

    async def mark_deleted(self, room: str, message_id: str) -> bool:
        """Merge an empty ``Text`` and ``Deleted`` into the row; False when it is not there."""
        from azure.core.exceptions import ResourceNotFoundError
        from azure.data.tables import UpdateMode

        entity = {"PartitionKey": room, "RowKey": history.row_key(message_id), "Text": "", "Deleted": True}
        client = await self._client_for_use()
        async with self._translated():
            try:
                # Unconditional (If-Match: *): a merge into a missing row is a 404, never an insert.
                await client.update_entity(entity, mode=UpdateMode.MERGE)
            except ResourceNotFoundError as err:
                if _table_missing(err):
                    raise
                return False
        return True

    async def delete_older_than(self, cutoff: datetime) -> int:
        """Delete the rows older than ``cutoff`` in every partition, 100 to a transaction.

        A cross-partition query, for a daily timer rather than an event.
        """
        from azure.data.tables import TableTransactionError

        client = await self._client_for_use()
        deleted = 0
        async with self._translated():
            rows = client.query_entities(
                "RowKey gt @through",
                parameters={"through": history.oldest_kept_row_key(cutoff)},
                select=["PartitionKey", "RowKey"],
            )
            by_room: dict[str, list[str]] = {}
            async for row in rows:
                by_room.setdefault(row["PartitionKey"], []).append(row["RowKey"])
            for room, keys in by_room.items():
                for start in range(0, len(keys), _BATCH):
                    chunk = keys[start : start + _BATCH]
                    operations = [("delete", {"PartitionKey": room, "RowKey": key}) for key in chunk]
                    try:
                        await client.submit_transaction(operations)
                    except TableTransactionError:
                        # One row went meanwhile (a transaction is all or nothing):
                        # delete one by one, which ignores a missing row.
                        for key in chunk:
                            await client.delete_entity(room, key)
                    deleted += len(chunk)
        return deleted

    async def close(self) -> None:
        """Close the client (and the credential it made); the next call builds new ones."""
        client, credential = self._client, self._owned_credential
        self._client = self._owned_credential = None
        if client is not None:
            await _close(client, credential)

    async def _client_for_use(self) -> Any:
        """The SDK client, built (and the table made, locally) on first use."""
        if self._client is not None:
            return self._client
        try:
            access = table_access(self._env, self._setting)
        except SettingsError as err:
            raise HistoryUnavailable(str(err)) from None
        client, credential = self._build(access)
        try:
            if access.account_key is not None:
                async with self._translated():
                    await _create_if_missing(client)
        except BaseException:
            await _close(client, credential)
            raise
        if self._client is not None:  # another call built one meanwhile: keep the first
            await _close(client, credential)
            return self._client
        self._client, self._owned_credential = client, credential
        return client

    def _build(self, access: TableAccess) -> tuple[Any, Any]:
        from azure.data.tables.aio import TableClient

        if access.account_key is not None:
            from azure.core.credentials import AzureNamedKeyCredential

            key = AzureNamedKeyCredential(access.account_name or "", access.account_key)
            return TableClient(access.endpoint, self._table, credential=key, **CLIENT_OPTIONS), None
        owned = None if self._credential is not None else _identity_credential(access.client_id)
        credential = self._credential or owned
        return TableClient(access.endpoint, self._table, credential=credential, **CLIENT_OPTIONS), owned

    def _no_table(self) -> HistoryUnavailable:
        return HistoryUnavailable(f"the table {self._table} does not exist (the deployment creates it)", 404)

    @asynccontextmanager
    async def _translated(self) -> AsyncIterator[None]:
        """Turn azure-core failures into HistoryUnavailable with a safe message."""
        from azure.core.exceptions import (
            AzureError,
            ClientAuthenticationError,
            HttpResponseError,
            ResourceNotFoundError,
            ServiceRequestError,
            ServiceResponseError,
        )

        try:
            yield
        except ClientAuthenticationError as err:
            raise HistoryUnavailable(_REFUSED, err.status_code) from None
        except ResourceNotFoundError as err:
            if _table_missing(err):
                raise self._no_table() from None
            raise HistoryUnavailable(f"Table Storage answered {err.status_code}", err.status_code) from None
        except HttpResponseError as err:
            if err.status_code == 403:  # a wrong key, or an identity without the role
                raise HistoryUnavailable(_REFUSED, 403) from None
            raise HistoryUnavailable(f"Table Storage answered {err.status_code}", err.status_code) from None
        except (ServiceRequestError, ServiceResponseError):
            raise HistoryUnavailable("Table Storage could not be reached") from None
        except AzureError:
            raise HistoryUnavailable("Table Storage failed") from None


async def _close(client: Any, credential: Any) -> None:
    await client.close()
    if credential is not None:
        await credential.close()


async def _create_if_missing(client: Any) -> None:
    from azure.core.exceptions import ResourceExistsError

    with suppress(ResourceExistsError):
        await client.create_table()


def _table_missing(err: Any) -> bool:
    code = getattr(err, "error_code", None)  # a TableErrorCode (a str enum), or None
    return getattr(code, "value", code) == "TableNotFound"


def _identity_credential(client_id: str | None) -> Any:
    from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential

    if client_id:
        return ManagedIdentityCredential(client_id=client_id)
    return DefaultAzureCredential()


def _message(room: str, row: Mapping[str, Any]) -> StoredMessage:
    deleted = bool(row.get("Deleted", False))
    return StoredMessage(
        id=history.id_of_row_key(row["RowKey"]),
        room=room,
        sender=str(row.get("From", "")),
        text="" if deleted else str(row.get("Text", "")),
        deleted=deleted,
    )
