"""How to reach Table Storage, read from app settings in the Functions styles.

- A connection string in ``<name>`` (locally: Azurite's development account,
  or ``UseDevelopmentStorage=true``): ``AccountName`` and ``AccountKey``,
  with ``TableEndpoint`` or ``DefaultEndpointsProtocol`` and
  ``EndpointSuffix`` for the endpoint.
- An identity in Azure: ``<name>__tableServiceUri``, with optional
  ``<name>__credential=managedidentity`` and ``<name>__clientId`` (the
  style of ``AzureWebJobsStorage``; ``<name>:key`` is read too).

Errors name the setting, never its value: a connection string holds a key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from adapters.service_access import connection_parts, identity_connection
from chat.settings import SettingsError

DEVELOPMENT_ACCOUNT = "devstoreaccount1"
# Azurite's well-known development account key: public, documented by
# Microsoft, and accepted by nothing but the emulator.
DEVELOPMENT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
# What UseDevelopmentStorage=true stands for: Azurite's table service on its usual port.
_DEVELOPMENT = {
    "accountname": DEVELOPMENT_ACCOUNT,
    "accountkey": DEVELOPMENT_KEY,
    "tableendpoint": f"http://127.0.0.1:10002/{DEVELOPMENT_ACCOUNT}",
}


@dataclass(frozen=True)
class TableAccess:
    """The table service endpoint, and the account key unless an identity is used."""

    endpoint: str
    account_name: str | None = None
    account_key: str | None = field(default=None, repr=False)
    client_id: str | None = None

    @property
    def uses_identity(self) -> bool:
        return self.account_key is None


def table_access(env: Mapping[str, str], name: str) -> TableAccess:
    """The access configured under setting ``name``; raises SettingsError naming it."""
    connection_string = env.get(name, "").strip()
    if connection_string:
        return _from_connection_string(connection_string, name)
    uri_setting, uri, client_id = identity_connection(env, name, "tableServiceUri")
    endpoint = _endpoint(uri, uri_setting)
    if not endpoint.startswith("https://"):
        # The SDK sends a token over HTTPS only.
        raise SettingsError(f"{uri_setting} must be an https URL: a token is never sent over http")
    return TableAccess(endpoint=endpoint, client_id=client_id)


def _from_connection_string(value: str, name: str) -> TableAccess:
    parts = connection_parts(value, name)
    if parts.get("usedevelopmentstorage", "").lower() == "true":
        parts = {**_DEVELOPMENT, **{k: v for k, v in parts.items() if k != "usedevelopmentstorage"}}
    if not parts.get("accountname"):
        raise SettingsError(f"{name} has no AccountName")
    if not parts.get("accountkey"):
        raise SettingsError(f"{name} has no AccountKey (for an identity, set {name}__tableServiceUri)")
    if parts.get("tableendpoint"):
        endpoint = _endpoint(parts["tableendpoint"], name)
    else:
        protocol = parts.get("defaultendpointsprotocol", "https").lower()
        suffix = parts.get("endpointsuffix", "core.windows.net")
        endpoint = _endpoint(f"{protocol}://{parts['accountname']}.table.{suffix}", name)
    return TableAccess(endpoint=endpoint, account_name=parts["accountname"], account_key=parts["accountkey"])


def _endpoint(value: str, setting: str) -> str:
    url = urlsplit(value.strip())
    if url.scheme not in ("http", "https") or not url.hostname:
        raise SettingsError(f"{setting} must hold an http(s) URL of the table service")
    # Azurite's endpoints carry the account as their path; Azure's have none.
    return f"{url.scheme}://{url.netloc}{url.path.rstrip('/')}"
