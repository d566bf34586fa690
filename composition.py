"""The composition root: the one place that builds what the functions depend on.

``Dependencies`` holds the settings, the clock, the Web PubSub gateway and
the history store, each built on first use, never at import: indexing the
app reads no setting and loads no SDK. ``function_app`` makes one for the
app; tests make their own with a plain dict of settings, a fixed clock, an
in-memory gateway and an in-memory history.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from blueprints.bindings import CONNECTION

if TYPE_CHECKING:
    from chat.history_store import HistoryStore
    from chat.settings import Settings
    from routes.gateway import WebPubSubGateway


HISTORY_CONNECTION = "ChatStorage"
"""The connection of chat history's Table Storage: a connection string, or
``ChatStorage__tableServiceUri`` (with ``__credential`` and ``__clientId``)."""


def history_configured(env: Mapping[str, str]) -> bool:
    """Whether the ``ChatStorage`` connection is set in either form (history is on)."""
    names = (
        HISTORY_CONNECTION,
        f"{HISTORY_CONNECTION}__tableServiceUri",
        f"{HISTORY_CONNECTION}:tableServiceUri",
    )
    return any(env.get(name, "").strip() for name in names)


def utc_now() -> datetime:
    """The current time, in UTC."""
    return datetime.now(timezone.utc)


class Dependencies:
    """Settings, clock and gateway for the functions, built on first use and kept.

    Azure restarts the app when its settings change, as does ``func start``,
    so one read per process is enough. A malformed setting is not kept: the
    error repeats on every call until it is fixed.
    """

    def __init__(
        self,
        env: Mapping[str, str] = os.environ,
        *,
        clock: Callable[[], datetime] = utc_now,
        gateway: WebPubSubGateway | None = None,
        history: HistoryStore | None = None,
    ) -> None:
        self._env = env
        self._clock = clock
        self._given_gateway = gateway
        self._gateway = gateway
        self._given_history = history
        self._history = history
        self._history_off = False
        self._settings: Settings | None = None

    def settings(self) -> Settings:
        """The app settings; raises SettingsError naming a malformed one."""
        if self._settings is None:
            from chat.settings import Settings

            self._settings = Settings.from_env(self._env)
        return self._settings

    def hub(self) -> str:
        """The configured hub (for the gateway's calls)."""
        return self.settings().hub

    def now(self) -> datetime:
        """The time an event is handled at."""
        return self._clock()

    def gateway(self) -> WebPubSubGateway:
        """The gateway given at construction, or one on the service SDK."""
        if self._gateway is None:
            from adapters.webpubsub import SdkGateway

            self._gateway = SdkGateway(CONNECTION, self._env)
        return self._gateway

    def read_roster(self, room: str, limit: int) -> list[tuple[str, str | None]]:
        """Up to ``limit`` (connection id, user id) pairs of ``room``'s group, from the service
        through the gateway (a blocking call: ``chat.shell`` runs it on a thread)."""
        return self.gateway().room_connections(self.hub(), room, limit)

    def history_store(self) -> HistoryStore | None:
        """The history store given at construction, or one on Table Storage when the
        ``ChatStorage`` connection is configured; None when it is not (history off)."""
        if self._history is None:
            if self._history_off or not history_configured(self._env):
                # Decided once, without loading the adapter: history off costs nothing.
                self._history_off = True
                return None
            from adapters.tables import TableHistoryStore

            self._history = TableHistoryStore(HISTORY_CONNECTION, self._env)
        return self._history

    async def aclose(self) -> None:
        """Close the history store built here (its HTTP session), then forget everything.

        For a host that stops the app in a running process (the host stand-in);
        a store given at construction is the giver's to close.
        """
        built = self._history
        self.reset()
        if built is not None and built is not self._given_history:
            await built.close()

    def reset(self) -> None:
        """Forget the settings and the SDK clients, as a restart after a settings change does."""
        self._settings = None
        self._gateway = self._given_gateway
        self._history = self._given_history
        self._history_off = False
