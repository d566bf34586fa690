"""Conversions shared by the blueprints: settings, clock, replies, actions."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime, timezone
from functools import lru_cache

import azure.functions as func

from adapters.webpubsub import ServiceClients, ServiceError
from blueprints import bindings
from chat.actions import Action, encode_actions
from chat.http import HttpOutcome, HttpReply, error_reply, service_failure
from chat.settings import Settings, SettingsError

# One SDK client per hub for the whole app, built on first use (not here).
service_clients = ServiceClients(bindings.CONNECTION)


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The app settings, read on first use (never at import time) and kept.

    Azure restarts the app when its settings change, as does ``func start``,
    so one read per process is enough. A malformed setting is not kept: the
    error repeats on every call until it is fixed.
    """
    return Settings.from_env(os.environ)


def now() -> datetime:
    return datetime.now(timezone.utc)


def send(out: func.Out[str], actions: Iterable[Action]) -> None:
    """Set the output binding to the actions as one JSON array, if any."""
    value = encode_actions(actions)
    if value is not None:
        out.set(value)


def http_response(reply: HttpReply) -> func.HttpResponse:
    return func.HttpResponse(body=reply.body, status_code=reply.status, headers=dict(reply.headers))


def sdk_failure(err: SettingsError | ServiceError, **where: object) -> func.HttpResponse:
    """The answer when a call through the service SDK could not be made."""
    if isinstance(err, SettingsError):
        return http_response(error_reply(500, "not_configured", str(err)))
    return http_response(service_failure(err.status, str(err), **where))


def respond(outcome: HttpOutcome, out: func.Out[str] | None = None) -> func.HttpResponse:
    """Send an outcome's actions (if it has an output) and build its response."""
    if out is not None:
        send(out, outcome.actions)
    return http_response(outcome.response)
