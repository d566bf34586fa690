"""What the local service is told: its connection string, and each hub's event handlers.

The connection string comes from the environment, else the app's
``local.settings.json`` (``Values.WebPubSubConnectionString``; the environment
wins, as with ``func start``), else the emulator's public default. The app's
own parser reads it, so the app, ``func start`` and this service agree on it.

Event handlers are configured per hub as Microsoft's emulator configures them:
an ordered list of handlers, each with a URL template (``{event}`` and
``{hub}`` expanded), the system events it takes and a user event pattern
(``*`` or a comma list). The first handler that takes an event gets it.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from adapters.service_access import service_access
from chat.event_names import SYSTEM_EVENTS as SYSTEM_EVENT_NAMES
from chat.event_names import USER_EVENTS
from chat.settings import SettingsError
from tools import local_settings

CONNECTION_SETTING = "WebPubSubConnectionString"
HUB_SETTING = "WebPubSubHub"
DEFAULT_HUB = "chat"
# The emulator's documented local key: public, for local use only.
DEFAULT_CONNECTION_STRING = (
    "Endpoint=http://localhost:8080;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;"
)
DEFAULT_HANDLER_URL = "http://localhost:7071/runtime/webhooks/webpubsub"
# The app's own event names (chat.event_names: the one list the triggers, the
# hub hook and this default handler read).
DEFAULT_SYSTEM_EVENTS = SYSTEM_EVENT_NAMES
DEFAULT_USER_EVENTS = ",".join(USER_EVENTS)
# The emulator's catch-all hub: its handlers serve every hub configured with none.
DEFAULT_HUB_KEY = "_default"
SYSTEM_EVENTS = frozenset({"connect", "connected", "disconnected"})

_ENV_HANDLER = re.compile(
    r"^WebPubSub__Hubs__(?P<hub>\S+?)__EventHandlers__(?P<index>\d+)__(?P<key>[A-Za-z]+)(?:__(?P<sub>\d+))?$",
    re.IGNORECASE,
)


class ConfigError(ValueError):
    """A configuration the service cannot run with; the message names the setting, never a secret."""


@dataclass(frozen=True)
class EventHandler:
    """One event handler of a hub: where events go and which events it takes."""

    url_template: str
    system_events: frozenset[str] = frozenset()
    user_events: str = ""

    def takes(self, event_type: str, event_name: str) -> bool:
        """Whether this handler takes the ``system`` or ``user`` event ``event_name``."""
        if event_type == "system":
            return event_name.lower() in self.system_events
        # As the emulator matches: comma-separated patterns, ``*`` and ``?`` wildcards, any case.
        return any(
            fnmatch.fnmatchcase(event_name.lower(), p.strip().lower())
            for p in self.user_events.split(",")
            if p.strip()
        )

    def url(self, hub: str, event_name: str) -> str:
        """The template with ``{event}`` and ``{hub}`` expanded (URL-escaped, any case)."""
        url = re.sub(
            r"\{event\}", lambda _: quote(event_name, safe=""), self.url_template, flags=re.IGNORECASE
        )
        return re.sub(r"\{hub\}", lambda _: quote(hub, safe=""), url, flags=re.IGNORECASE)


@dataclass(frozen=True)
class Settings:
    """Everything the service runs with."""

    endpoint: str
    access_key: str = field(repr=False)
    hubs: Mapping[str, tuple[EventHandler, ...]]

    def handlers(self, hub: str) -> tuple[EventHandler, ...]:
        """The hub's handlers, in order (hub names are case-insensitive); else those of ``_default``."""
        found = self.hubs.get(hub.lower())
        return found if found is not None else self.hubs.get(DEFAULT_HUB_KEY, ())

    def handler_for(self, hub: str, event_type: str, event_name: str) -> EventHandler | None:
        """The first handler of ``hub`` that takes the event, if any."""
        return next((h for h in self.handlers(hub) if h.takes(event_type, event_name)), None)


def _setting(app_dir: Path, env: Mapping[str, str], name: str) -> tuple[str, str] | None:
    try:
        return local_settings.lookup(app_dir, env, name)
    except local_settings.LocalSettingsError as err:
        raise ConfigError(str(err)) from None


def connection_string(app_dir: Path, env: Mapping[str, str]) -> tuple[str, str]:
    """The connection string to use and where it came from (never logged itself)."""
    found = _setting(app_dir, env, CONNECTION_SETTING)
    return found or (DEFAULT_CONNECTION_STRING, "the emulator's default connection string")


def parse_connection_string(value: str) -> tuple[str, str]:
    """``(endpoint, access_key)`` by the app's own parser; raises ConfigError naming the setting."""
    try:
        access = service_access({CONNECTION_SETTING: value}, CONNECTION_SETTING)
    except SettingsError as err:
        raise ConfigError(str(err)) from None
    if access.access_key is None:
        raise ConfigError(f"{CONNECTION_SETTING} has no AccessKey")
    return access.endpoint, access.access_key


def app_hub(app_dir: Path, env: Mapping[str, str]) -> str:
    """The app's hub: ``WebPubSubHub`` from the environment or local.settings.json, else ``chat``."""
    found = _setting(app_dir, env, HUB_SETTING)
    return found[0] if found else DEFAULT_HUB


def default_hubs(hub: str) -> dict[str, tuple[EventHandler, ...]]:
    """The app's hub sending its system events and its user events to the local Functions host."""
    handler = EventHandler(DEFAULT_HANDLER_URL, frozenset(DEFAULT_SYSTEM_EVENTS), DEFAULT_USER_EVENTS)
    return {hub.lower(): (handler,)}


def hubs_from_environment(env: Mapping[str, str]) -> dict[str, tuple[EventHandler, ...]]:
    """The emulator's environment form, e.g.
    ``WebPubSub__Hubs__chat__EventHandlers__0__UrlTemplate``, ``...__SystemEvents__0``,
    ``...__EventPattern`` (``UserEventPattern`` is read too)."""
    found: dict[str, dict[int, dict[str, object]]] = {}
    for name, value in env.items():
        match = _ENV_HANDLER.match(name)
        if not match:
            continue
        entry = found.setdefault(match["hub"].lower(), {}).setdefault(int(match["index"]), {})
        key = match["key"].lower()
        if key == "systemevents" and match["sub"] is not None:
            events = entry.setdefault("system", {})
            assert isinstance(events, dict)
            events[int(match["sub"])] = value.strip().lower()
        elif key == "systemevents":
            entry["system"] = {i: e.strip().lower() for i, e in enumerate(value.split(",")) if e.strip()}
        elif key in ("urltemplate", "eventpattern", "usereventpattern"):
            entry["pattern" if key != "urltemplate" else "url"] = value.strip()
    hubs: dict[str, tuple[EventHandler, ...]] = {}
    for hub, entries in found.items():
        handlers = []
        for index in sorted(entries):
            entry = entries[index]
            url = entry.get("url")
            if not isinstance(url, str) or not url:
                raise ConfigError(f"WebPubSub__Hubs__{hub}__EventHandlers__{index}__UrlTemplate is not set")
            system = entry.get("system", {})
            assert isinstance(system, dict)
            pattern = entry.get("pattern", "")
            handlers.append(_handler(url, system.values(), str(pattern), f"event handler {index} of {hub}"))
        hubs[hub] = tuple(handlers)
    return hubs


def parse_handler_option(value: str) -> tuple[str, EventHandler]:
    """The command-line form: ``HUB=URL_TEMPLATE [system=a,b] [user=PATTERN]``."""
    head, *rest = value.split()
    hub, sep, url = head.partition("=")
    if not sep or not hub or not url:
        raise ConfigError(f"--event-handler {value!r}: expected HUB=URL_TEMPLATE [system=...] [user=...]")
    system: list[str] = []
    user = ""
    for part in rest:
        key, sep, item = part.partition("=")
        if key == "system" and sep:
            system = [e.strip().lower() for e in item.split(",") if e.strip()]
        elif key == "user" and sep:
            user = item
        else:
            raise ConfigError(f"--event-handler {value!r}: unknown part {part!r} (system=... or user=...)")
    return hub.lower(), _handler(url, system, user, f"--event-handler {hub}")


def hubs_from_options(options: Iterable[str]) -> dict[str, tuple[EventHandler, ...]]:
    """Hubs from repeated ``--event-handler`` options, each hub's handlers in the order given."""
    hubs: dict[str, list[EventHandler]] = {}
    for option in options:
        hub, handler = parse_handler_option(option)
        hubs.setdefault(hub, []).append(handler)
    return {hub: tuple(handlers) for hub, handlers in hubs.items()}


def _handler(url: str, system: Iterable[str], pattern: str, where: str) -> EventHandler:
    parts = urlsplit(url.replace("{event}", "e").replace("{hub}", "h"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}: the URL template must be an http(s) URL")
    events = frozenset(system)
    unknown = events - SYSTEM_EVENTS
    if unknown:
        raise ConfigError(
            f"{where}: unknown system events {sorted(unknown)} (connect, connected, disconnected)"
        )
    return EventHandler(url, events, pattern)


def load(
    app_dir: Path,
    env: Mapping[str, str],
    handler_options: Iterable[str] = (),
) -> Settings:
    """The settings from the app's files, the environment and the command line's handlers.

    Handlers given on the command line replace all others; else the emulator's
    environment form; else the app's default.
    """
    endpoint, key = parse_connection_string(connection_string(app_dir, env)[0])
    hubs = (
        hubs_from_options(handler_options)
        or hubs_from_environment(env)
        or default_hubs(app_hub(app_dir, env))
    )
    return Settings(endpoint=endpoint, access_key=key, hubs=hubs)
