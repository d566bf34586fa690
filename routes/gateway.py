"""What the routes need from the Web PubSub service beyond the output binding.

The ``adapters.webpubsub`` module implements this protocol with the service
SDK; tests use an in-memory fake. Calls raise ``GatewayError`` when the
service fails, and ``SettingsError`` when the connection settings are
missing or malformed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chat.settings import SettingsError
from codec.actions import FilteredSend
from routes.http import HttpAnswer, error_answer, service_failure


class GatewayError(Exception):
    """The service could not be reached or refused a call.

    ``status`` is the service's HTTP status (None when there was no answer);
    ``sent`` counts the filtered sends that went out before the failure. The
    message never carries a secret.
    """

    def __init__(self, status: int | None, message: str, sent: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.sent = sent


class WebPubSubGateway(Protocol):
    """Filtered sends and presence questions, for one hub at a time."""

    def send_filtered(self, hub: str, sends: Sequence[FilteredSend]) -> int:
        """Send each in order and return how many went out (all of them)."""
        ...

    def user_connected(self, hub: str, user_id: str) -> bool:
        """Whether the user has at least one connection to the hub."""
        ...

    def room_connections(self, hub: str, room: str, limit: int) -> list[tuple[str, str | None]]:
        """Up to ``limit`` (connection id, user id) pairs of the room's group."""
        ...


def gateway_failure(err: GatewayError | SettingsError, **where: object) -> HttpAnswer:
    """The answer when a call through the gateway could not be made.

    A missing or malformed setting is the app's fault (500, naming the
    setting); a service failure is a 502, or a 503 when it throttles.
    """
    if isinstance(err, SettingsError):
        return error_answer(500, "not_configured", str(err))
    return service_failure(err.status, str(err), **where)
