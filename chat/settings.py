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
    running_in_azure: bool = False
    auth_enabled: bool = False

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
            # Set by App Service on every instance in Azure, never locally.
            running_in_azure=bool(env.get("WEBSITE_INSTANCE_ID")),
            auth_enabled=str(env.get("WEBSITE_AUTH_ENABLED")).lower() == "true",
        )


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name)
    if value is None:
        return False
    raw = value.strip().lower()
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no", ""):
        return False
    raise SettingsError(f"{name} must be true or false")


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number") from None
    if not 1 <= value <= 1_000_000:
        raise SettingsError(f"{name} must be between 1 and 1000000")
    return value
