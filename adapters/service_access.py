"""How to reach the Web PubSub service from Python, read from the same app
settings the bindings use: a connection string with an access key, or the
identity-based ``<name>__serviceUri`` (with optional ``__credential`` and
``__clientId``).

Errors name the setting, never its value: these settings hold secrets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from chat.settings import SettingsError


@dataclass(frozen=True)
class ServiceAccess:
    """The service endpoint, and the access key unless an identity is used."""

    endpoint: str
    access_key: str | None = field(default=None, repr=False)
    client_id: str | None = None

    @property
    def uses_identity(self) -> bool:
        return self.access_key is None


def service_access(env: Mapping[str, str], name: str) -> ServiceAccess:
    """The access configured under setting ``name``; raises SettingsError naming it."""
    connection_string = env.get(name, "").strip()
    if connection_string:
        return _from_connection_string(connection_string, name)
    uri_setting, uri, client_id = identity_connection(env, name, "serviceUri")
    return ServiceAccess(endpoint=_endpoint(uri, uri_setting), client_id=client_id)


def identity_connection(env: Mapping[str, str], name: str, uri_key: str) -> tuple[str, str, str | None]:
    """An identity-based connection: (the URI's setting, its value, the client id if set).

    Raises SettingsError when ``name__<uri_key>`` is missing or ``__credential``
    is set to anything but managedidentity.
    """
    uri_setting, uri = _nested(env, name, uri_key)
    if not uri:
        raise SettingsError(f"{name} is not set: give a connection string, or {name}__{uri_key}")
    credential_setting, credential = _nested(env, name, "credential")
    if credential and credential.lower() != "managedidentity":
        raise SettingsError(f"{credential_setting} must be managedidentity when set")
    _, client_id = _nested(env, name, "clientId")
    return uri_setting, uri, client_id or None


def connection_parts(value: str, name: str) -> dict[str, str]:
    """A connection string's ``key=value`` pairs, keys in lower case; raises SettingsError naming ``name``."""
    parts: dict[str, str] = {}
    for part in value.split(";"):
        if part.strip():
            key, sep, item = part.partition("=")
            if not sep:
                raise SettingsError(f"{name} is not a connection string of key=value pairs")
            parts[key.strip().lower()] = item.strip()
    return parts


def _from_connection_string(value: str, name: str) -> ServiceAccess:
    parts = connection_parts(value, name)
    if not parts.get("endpoint"):
        raise SettingsError(f"{name} has no Endpoint")
    if not parts.get("accesskey"):
        raise SettingsError(f"{name} has no AccessKey (for an identity, set {name}__serviceUri instead)")
    endpoint = _endpoint(parts["endpoint"], name)
    if parts.get("port"):
        port = parts["port"]
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(f"{name} has a Port that is not a port number")
        endpoint = f"{endpoint.split('://')[0]}://{urlsplit(endpoint).hostname}:{port}"
    return ServiceAccess(endpoint=endpoint, access_key=parts["accesskey"])


def _endpoint(value: str, setting: str) -> str:
    url = urlsplit(value.strip())
    if url.scheme not in ("http", "https") or not url.hostname:
        raise SettingsError(f"{setting} must hold an http(s) URL of the service")
    return f"{url.scheme}://{url.netloc}"


def _nested(env: Mapping[str, str], name: str, key: str) -> tuple[str, str]:
    """``name__key`` (environment form) or ``name:key`` (configuration form)."""
    for setting in (f"{name}__{key}", f"{name}:{key}"):
        if env.get(setting, "").strip():
            return setting, env[setting].strip()
    return f"{name}__{key}", ""
