"""The Web PubSub extension's side of the local Functions host: the service
it talks to, read from the same connection setting the bindings name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from azure.core.credentials import AzureKeyCredential
from azure.messaging.webpubsubservice.aio import WebPubSubServiceClient

from adapters.service_access import service_access
from chat.settings import SettingsError
from tools.webpubsub.tokens import issue_client_token

DEFAULT_CONNECTION = "WebPubSubConnectionString"
# As a function's deadline bounds the real extension's calls.
# use_env_settings off: azure-core's aiohttp transport otherwise looks up proxy
# settings and ~/.netrc on a thread for every request to this loopback service
# (a quarter of the stand-in's time per message under load).
CLIENT_OPTIONS: dict[str, Any] = {
    "retry_total": 2,
    "retry_backoff_factor": 0.2,
    "retry_backoff_max": 2,
    "use_env_settings": False,
}


class Extension:
    """The service's endpoint and key (from ``WebPubSubConnectionString``) and one SDK client per hub.

    Raises SettingsError, naming the setting, when it is missing or has no
    access key: the local host signs tokens and checks signatures with it.
    """

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        access = service_access(env, DEFAULT_CONNECTION)
        if access.access_key is None:
            raise SettingsError(
                f"the local host needs {DEFAULT_CONNECTION} as a connection string with an AccessKey"
            )
        self.endpoint = access.endpoint
        self.key = access.access_key
        self._clients: dict[str, WebPubSubServiceClient] = {}

    def allows_origin(self, origin: str) -> bool:
        """The abuse-protection check: the request comes from the configured service's host."""
        return origin.lower() == (urlsplit(self.endpoint).hostname or "").lower()

    def key_of(self, setting: str) -> str | None:
        """The access key under ``setting``, or None (an identity, or no such setting: no check)."""
        try:
            return service_access(self._env, setting).access_key
        except SettingsError:
            return None

    def connection_info(self, hub: str, user_id: str | None) -> dict[str, str]:
        """What the ``webPubSubConnection`` binding hands the function."""
        token = issue_client_token(self.key, self.endpoint, hub, user_id)
        base = "ws" + self.endpoint.removeprefix("http") + f"/client/hubs/{hub}"
        return {"baseUrl": base, "url": f"{base}?access_token={token}", "accessToken": token}

    def client(self, hub: str) -> WebPubSubServiceClient:
        if hub not in self._clients:
            self._clients[hub] = WebPubSubServiceClient(
                self.endpoint, hub, AzureKeyCredential(self.key), **CLIENT_OPTIONS
            )
        return self._clients[hub]

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()
