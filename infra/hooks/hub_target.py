"""Where the hub lives and which app it points at, from azd's environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from azure_rest import DEFAULT_ARM_ENDPOINT, HookError


@dataclass(frozen=True)
class Target:
    """The deployed resources the hook reads and writes (Bicep outputs azd stores)."""

    subscription_id: str
    resource_group: str
    app_name: str
    app_host: str
    webpubsub_name: str
    hub: str
    arm_endpoint: str = DEFAULT_ARM_ENDPOINT

    @property
    def _group_path(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"

    @property
    def site_path(self) -> str:
        """ARM path of the function app."""
        return f"{self._group_path}/providers/Microsoft.Web/sites/{self.app_name}"

    @property
    def webpubsub_path(self) -> str:
        """ARM path of the Web PubSub service."""
        return f"{self._group_path}/providers/Microsoft.SignalRService/webPubSub/{self.webpubsub_name}"

    @property
    def hub_path(self) -> str:
        """ARM path of the Web PubSub hub."""
        return f"{self.webpubsub_path}/hubs/{self.hub}"


_REQUIRED = {
    "subscription_id": "AZURE_SUBSCRIPTION_ID",
    "resource_group": "AZURE_RESOURCE_GROUP",
    "app_name": "FUNCTION_APP_NAME",
    "app_host": "FUNCTION_APP_HOSTNAME",
    "webpubsub_name": "WEBPUBSUB_NAME",
    "hub": "WEBPUBSUB_HUB",
}


def target_from_env(env: Mapping[str, str]) -> Target:
    """The target from azd's environment (Bicep outputs); names what is missing."""
    values = {field: env.get(name, "").strip() for field, name in _REQUIRED.items()}
    missing = [_REQUIRED[field] for field, value in values.items() if not value]
    if missing:
        raise HookError(f"missing azd environment values: {', '.join(missing)} (run azd provision first)")
    endpoint = env.get("AZURE_RESOURCE_MANAGER_ENDPOINT", "").strip() or DEFAULT_ARM_ENDPOINT
    return Target(arm_endpoint=endpoint.rstrip("/"), **values)
