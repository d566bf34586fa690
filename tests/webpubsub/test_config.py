"""The service's configuration: connection string sources, hubs and event handlers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from function_app import create_app
from tools.webpubsub import config
from tools.webpubsub.config import ConfigError, EventHandler

EMULATOR_KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"


def _app_dir(tmp_path: Path, values: dict[str, str] | None) -> Path:
    if values is not None:
        (tmp_path / "local.settings.json").write_text(json.dumps({"IsEncrypted": False, "Values": values}))
    return tmp_path


def test_the_default_is_the_emulators_connection_string_on_localhost_8080(tmp_path):
    settings = config.load(_app_dir(tmp_path, None), {})
    assert (settings.endpoint, settings.access_key) == ("http://localhost:8080", EMULATOR_KEY)


def test_the_environment_comes_before_local_settings_as_with_func_start(tmp_path):
    app = _app_dir(
        tmp_path, {"WebPubSubConnectionString": "Endpoint=http://localhost:9000;AccessKey=fromfile;"}
    )
    env = {"WebPubSubConnectionString": "Endpoint=http://localhost:9001;AccessKey=fromenv;"}
    settings = config.load(app, env)
    assert (settings.endpoint, settings.access_key) == ("http://localhost:9001", "fromenv")
    assert config.connection_string(app, env)[1] == "WebPubSubConnectionString in the environment"
    assert config.connection_string(app, {})[1] == "WebPubSubConnectionString in local.settings.json"
    assert config.load(app, {}).access_key == "fromfile"


def test_the_environment_is_read_when_local_settings_has_no_connection_string(tmp_path):
    env = {"WebPubSubConnectionString": "Endpoint=http://127.0.0.1;Port=8181;AccessKey=k;Version=1.0;"}
    settings = config.load(_app_dir(tmp_path, {"WebPubSubHub": "x"}), env)
    assert (settings.endpoint, settings.access_key) == ("http://127.0.0.1:8181", "k")


def test_a_connection_string_without_a_key_is_an_error_naming_the_setting_not_the_value(tmp_path):
    env = {"WebPubSubConnectionString": "Endpoint=http://secret-host:1;"}
    with pytest.raises(ConfigError) as err:
        config.load(_app_dir(tmp_path, None), env)
    assert "WebPubSubConnectionString has no AccessKey" in str(err.value)
    assert "secret-host" not in str(err.value)


def test_the_default_hub_is_the_apps_and_sends_its_system_and_user_events_to_the_functions_host(tmp_path):
    settings = config.load(_app_dir(tmp_path, {"WebPubSubHub": "Lobby"}), {})
    (handler,) = settings.handlers("lobby")
    assert handler.url("lobby", "connect") == "http://localhost:7071/runtime/webhooks/webpubsub"
    assert handler.system_events == {"connect", "connected", "disconnected"}
    assert settings.handlers("LOBBY") == (handler,)


def test_without_a_hub_setting_the_hub_is_chat(tmp_path):
    assert list(config.load(_app_dir(tmp_path, None), {}).hubs) == ["chat"]


def test_the_default_user_events_are_the_apps_user_triggers():
    triggers = set()
    for function in create_app().get_functions():
        for raw in function.get_raw_bindings():
            binding = json.loads(raw)
            if binding["type"] == "webPubSubTrigger" and binding["eventType"] == "user":
                triggers.add(binding["eventName"])
    assert set(config.DEFAULT_USER_EVENTS.split(",")) == triggers


def test_the_emulators_environment_form_configures_ordered_handlers():
    env = {
        "WebPubSub__Hubs__chat__EventHandlers__0__UrlTemplate": "http://localhost:7071/api/{hub}/{event}",
        "WebPubSub__Hubs__chat__EventHandlers__0__SystemEvents__0": "connect",
        "WebPubSub__Hubs__chat__EventHandlers__0__SystemEvents__1": "disconnected",
        "WebPubSub__Hubs__chat__EventHandlers__0__EventPattern": "message,join",
        "WebPubSub__Hubs__chat__EventHandlers__1__UrlTemplate": "http://localhost:7072/all",
        "WebPubSub__Hubs__chat__EventHandlers__1__EventPattern": "*",
        "WebPubSub__Hubs__other_hub__EventHandlers__0__UrlTemplate": "http://localhost:7073/x",
        "WebPubSub__Hubs__other_hub__EventHandlers__0__SystemEvents__0": "connected",
    }
    hubs = config.hubs_from_environment(env)
    assert hubs["chat"] == (
        EventHandler(
            "http://localhost:7071/api/{hub}/{event}", frozenset({"connect", "disconnected"}), "message,join"
        ),
        EventHandler("http://localhost:7072/all", frozenset(), "*"),
    )
    assert hubs["other_hub"] == (EventHandler("http://localhost:7073/x", frozenset({"connected"}), ""),)


def test_first_matching_handler_and_url_expansion():
    settings = config.Settings(
        "http://localhost:8080",
        "k",
        config.hubs_from_environment(
            {
                "WebPubSub__Hubs__chat__EventHandlers__0__UrlTemplate": "http://a/{hub}/{event}",
                "WebPubSub__Hubs__chat__EventHandlers__0__EventPattern": "message",
                "WebPubSub__Hubs__chat__EventHandlers__1__UrlTemplate": "http://b/{event}",
                "WebPubSub__Hubs__chat__EventHandlers__1__EventPattern": "*",
            }
        ),
    )
    first = settings.handler_for("chat", "user", "message")
    assert first is not None and first.url("chat", "message") == "http://a/chat/message"
    other = settings.handler_for("chat", "user", "typing")
    assert other is not None and other.url("chat", "typing") == "http://b/typing"
    assert settings.handler_for("chat", "system", "connect") is None
    assert settings.handler_for("nohub", "user", "message") is None


def test_the_command_line_form_replaces_the_environments():
    env = {"WebPubSub__Hubs__chat__EventHandlers__0__UrlTemplate": "http://env/x"}
    options = [
        "chat=http://localhost:7071/api/{event} system=connect,connected user=*",
        "chat=http://other/y",
    ]
    hubs = config.hubs_from_options(options)
    assert hubs == {
        "chat": (
            EventHandler("http://localhost:7071/api/{event}", frozenset({"connect", "connected"}), "*"),
            EventHandler("http://other/y", frozenset(), ""),
        )
    }
    assert config.load(Path("/nonexistent"), env, options).hubs == hubs


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("chat", "expected HUB=URL_TEMPLATE"),
        ("chat=ftp://x", r"must be an http\(s\) URL"),
        ("chat=http://x system=connecting", "unknown system events"),
        ("chat=http://x users=*", "unknown part"),
    ],
)
def test_a_bad_command_line_handler_is_a_clear_error(option, message):
    with pytest.raises(ConfigError, match=message):
        config.parse_handler_option(option)


def test_user_event_patterns_take_wildcards_and_any_case():
    handler = EventHandler("http://x", frozenset(), "chat.*, Ping?")
    assert handler.takes("user", "chat.message") and handler.takes("user", "CHAT.join")
    assert handler.takes("user", "pings") and not handler.takes("user", "ping")
    assert not handler.takes("user", "message")
    assert EventHandler("http://x", frozenset({"connect"})).takes("system", "Connect")


def test_the_url_template_expands_hub_and_event_escaped_in_any_case():
    handler = EventHandler("http://x/{Hub}/api/{EVENT}?h={hub}")
    assert handler.url("my hub", "a/b") == "http://x/my%20hub/api/a%2Fb?h=my%20hub"


def test_the_default_hubs_handlers_serve_hubs_configured_with_none():
    env = {
        "WebPubSub__Hubs___default__EventHandlers__0__UrlTemplate": "http://catch/all",
        "WebPubSub__Hubs___default__EventHandlers__0__EventPattern": "*",
        "WebPubSub__Hubs__chat__EventHandlers__0__UrlTemplate": "http://chat/only",
        "WebPubSub__Hubs__chat__EventHandlers__0__EventPattern": "*",
    }
    settings = config.Settings("http://localhost:8080", "k", config.hubs_from_environment(env))
    assert settings.handler_for("chat", "user", "m").url_template == "http://chat/only"
    assert settings.handler_for("anything", "user", "m").url_template == "http://catch/all"
