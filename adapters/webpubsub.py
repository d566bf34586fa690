"""The Web PubSub gateway on the service SDK, for what the output binding cannot do.

``SdkGateway`` implements ``routes.gateway.WebPubSubGateway``. It builds one
SDK client per hub on first use, from the same settings as the bindings:
never at import, so that indexing the app (cold start) loads neither the SDK
nor azure-identity. Every SDK failure (any ``AzureError``: an HTTP error, no
connection, a timeout) surfaces as ``GatewayError``, whose text carries the
status when there was one and never a secret.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from adapters.service_access import ServiceAccess, service_access
from codec.actions import FilteredSend, SendToAll, SendToGroup
from routes.gateway import GatewayError

# A function has a deadline and the caller can retry: two retries, no more.
CLIENT_OPTIONS: dict[str, Any] = {"retry_total": 2, "retry_backoff_factor": 0.5, "retry_backoff_max": 4}


class SdkGateway:
    """The gateway through SDK clients by hub, built lazily from the settings named ``setting``.

    ``transport`` and ``credential`` are for tests and special hosting: a fake
    azure-core transport, a credential to use instead of managed identity.
    """

    def __init__(
        self,
        setting: str,
        env: Mapping[str, str] = os.environ,
        *,
        transport: Any = None,
        credential: Any = None,
    ) -> None:
        self._setting = setting
        self._env = env
        self._transport = transport
        self._credential = credential
        self._clients: dict[str, Any] = {}

    def send_filtered(self, hub: str, sends: Sequence[FilteredSend]) -> int:
        """Send each filtered message in order; returns how many went out.

        Raises GatewayError, whose ``sent`` says how many went out before it.
        """
        client = self.client(hub)
        sent = 0
        for send in sends:
            try:
                with _translated():
                    _send(client, send)
            except GatewayError as err:
                raise GatewayError(err.status, str(err), sent) from None
            sent += 1
        return sent

    def user_connected(self, hub: str, user_id: str) -> bool:
        """Whether the user has a connection (the service's HEAD on the user)."""
        client = self.client(hub)
        with _translated():
            return bool(client.user_exists(user_id))

    def room_connections(self, hub: str, room: str, limit: int) -> list[tuple[str, str | None]]:
        """Up to ``limit`` (connection id, user id) pairs of the room's group."""
        client = self.client(hub)
        members: list[tuple[str, str | None]] = []
        with _translated():
            for member in client.list_connections(group=room, top=limit):
                members.append((member.connection_id, member.user_id))
                if len(members) >= limit:
                    break
        return members

    def client(self, hub: str) -> Any:
        """The SDK client for ``hub``; raises SettingsError naming a bad setting."""
        if hub not in self._clients:
            self._clients[hub] = self._build(service_access(self._env, self._setting), hub)
        return self._clients[hub]

    def _build(self, access: ServiceAccess, hub: str) -> Any:
        from azure.core.credentials import AzureKeyCredential
        from azure.messaging.webpubsubservice import WebPubSubServiceClient

        options = dict(CLIENT_OPTIONS)
        if self._transport is not None:
            options["transport"] = self._transport
        if access.access_key is not None:
            credential: Any = AzureKeyCredential(access.access_key)
        else:
            credential = self._credential or _identity_credential(access.client_id)
        return WebPubSubServiceClient(access.endpoint, hub, credential, **options)


def _identity_credential(client_id: str | None) -> Any:
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

    if client_id:
        return ManagedIdentityCredential(client_id=client_id)
    return DefaultAzureCredential()


def _send(client: Any, send: FilteredSend) -> None:
    action = send.action
    # A stream keeps the bytes as they are: the SDK would JSON-encode a str again.
    body = io.BytesIO(action.data if isinstance(action.data, bytes) else action.data.encode())
    options: dict[str, Any] = {"content_type": action.data_type.content_type, "filter": send.filter}
    if isinstance(action, SendToAll):
        client.send_to_all(body, excluded=list(action.excluded) or None, **options)
    elif isinstance(action, SendToGroup):
        client.send_to_group(action.group, body, excluded=list(action.excluded) or None, **options)
    else:
        client.send_to_user(action.user_id, body, **options)


@contextmanager
def _translated() -> Iterator[None]:
    """Turn every azure-core failure into GatewayError with a safe message.

    The SDK raises ``AzureError`` subclasses only: an HTTP answer it refused
    (``HttpResponseError``), no connection (``ServiceRequestError``), no
    answer on the connection, a timeout included (``ServiceResponseError``),
    or a plain ``AzureError`` (``RetryPolicy`` raises one when its retries run
    out); see azure-core's ``azure/core/exceptions.py`` and
    ``azure/core/pipeline/policies/_retry.py`` (Azure/azure-sdk-for-python).
    Their own text may quote a URL or a header, so it is never passed on.
    """
    from azure.core.exceptions import (
        AzureError,
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    try:
        yield
    except ClientAuthenticationError as err:
        raise GatewayError(
            err.status_code,
            "Web PubSub refused the credentials: check the access key, or the identity and its role",
        ) from None
    except HttpResponseError as err:
        raise GatewayError(err.status_code, f"Web PubSub answered {err.status_code}") from None
    except ServiceRequestError:
        raise GatewayError(None, "Web PubSub could not be reached") from None
    except ServiceResponseError:
        # The request went: a send that timed out may still have been delivered.
        raise GatewayError(None, "Web PubSub did not answer: the connection dropped or timed out") from None
    except AzureError as err:
        raise GatewayError(None, f"the Web PubSub client failed ({type(err).__name__})") from None
