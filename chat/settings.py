"""The app's settings, read from a mapping the caller passes in.

Nothing reads ``os.environ`` at import time: the composition root
(``composition.Dependencies``) builds ``Settings`` from the environment when a
function first needs them, and tests build them from a plain dict.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from chat.rooms import ROOM_RULE, is_room_name

_HUB = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,127}")

DEFAULT_HUB = "chat"
DEFAULT_ROOM = "lobby"
DEFAULT_MAX_MESSAGE_LENGTH = 2000
DEFAULT_HISTORY_DAYS = 30
DEFAULT_HISTORY_PAGE = 50
MAX_HISTORY_PAGE = 100
# A hundred years: far past any retention anyone asks for, and it keeps dates in range.
MAX_HISTORY_DAYS = 36_500
# A room name is at most 64 characters, so this bounds a connection's states.
MAX_ROOMS_PER_CONNECTION = 20


class SettingsError(ValueError):
    """A setting is malformed. The message names the setting, never its value."""


@dataclass(frozen=True)
class Settings:
    """What the handlers need to know about the deployment."""

    hub: str = DEFAULT_HUB
    allow_anonymous: bool = False
    default_room: str = DEFAULT_ROOM
    max_message_length: int = DEFAULT_MAX_MESSAGE_LENGTH
    # Who may vouch for the x-ms-client-principal-name header (see
    # trusts_principal_header). Both off by default: a Settings() trusts nobody.
    easy_auth_on: bool = False
    local_development_host: bool = False
    # Chat history (when ChatStorage is configured): days kept (0: for ever)
    # and the messages a join ack carries.
    history_days: int = DEFAULT_HISTORY_DAYS
    history_page: int = DEFAULT_HISTORY_PAGE

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from app settings (environment variables).

        Raises SettingsError naming the first malformed setting.
        """
        default_room = env.get("ChatDefaultRoom", DEFAULT_ROOM)
        if not is_room_name(default_room):
            raise SettingsError(f"ChatDefaultRoom must be {ROOM_RULE}")
        hub = env.get("WebPubSubHub", "").strip() or DEFAULT_HUB
        if not _HUB.fullmatch(hub):
            raise SettingsError("WebPubSubHub must start with a letter and hold only letters, digits and '_'")
        return cls(
            hub=hub,
            allow_anonymous=_flag(env, "ChatAllowAnonymous"),
            default_room=default_room,
            max_message_length=_positive_int(env, "ChatMaxMessageLength", DEFAULT_MAX_MESSAGE_LENGTH),
            easy_auth_on=_easy_auth_on(env),
            local_development_host=_local_development_host(env),
            history_days=_int_in(env, "ChatHistoryDays", DEFAULT_HISTORY_DAYS, 0, MAX_HISTORY_DAYS),
            history_page=_int_in(env, "ChatHistoryPage", DEFAULT_HISTORY_PAGE, 1, MAX_HISTORY_PAGE),
        )

    @property
    def trusts_principal_header(self) -> bool:
        """Whether a caller's ``x-ms-client-principal-name`` header names who they are.

        Only App Service Authentication sets it in Azure (and strips a forged
        one); on a development host on this machine nobody else is calling.
        Everywhere else, any caller could send it.
        """
        return self.easy_auth_on or self.local_development_host


# App Service injects WEBSITE_AUTH_ENABLED when authentication is on; whether
# Flex Consumption does is not documented (contract 9.1), so the Bicep also
# sets ChatEasyAuthEnabled=true in the deployment that turns authentication on.
def _easy_auth_on(env: Mapping[str, str]) -> bool:
    return _text(env, "WEBSITE_AUTH_ENABLED") == "true" or _flag(env, "ChatEasyAuthEnabled")


# Set by the Azure hosts: App Service sets WEBSITE_INSTANCE_ID; Linux
# Consumption and Flex leave it empty (the host's own IsLinuxConsumptionOnLegion
# and IsFlexConsumptionSku test exactly that) but set the others. Every Azure
# plan sets WEBSITE_SITE_NAME. CONTAINER_NAME is no marker: ordinary Linux
# machines set it too.
AZURE_HOST_MARKERS = (
    "WEBSITE_SITE_NAME",
    "WEBSITE_INSTANCE_ID",
    "WEBSITE_SKU",
    "WEBSITE_POD_NAME",
    "LEGION_SERVICE_HOST",
)


def _local_development_host(env: Mapping[str, str]) -> bool:
    # Core Tools' func start always sets AZURE_FUNCTIONS_ENVIRONMENT=Development
    # (StartHostAction.cs), as does this repo's host stand-in; an Azure host
    # could be given it as an app setting, hence the markers.
    development = _text(env, "AZURE_FUNCTIONS_ENVIRONMENT") == "development"
    return development and not any(_text(env, name) for name in AZURE_HOST_MARKERS)


def _text(env: Mapping[str, str], name: str) -> str:
    """The setting trimmed and lower-cased; "" when it is absent."""
    return env.get(name, "").strip().lower()


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = _text(env, name)  # absent or empty: off
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no", ""):
        return False
    raise SettingsError(f"{name} must be true or false")


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    return _int_in(env, name, default, 1, 1_000_000)


def _int_in(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}")
    return value
