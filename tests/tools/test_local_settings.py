"""local.settings.json as every local tool reads it: the environment first, as func start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import local_settings
from tools.local_settings import LocalSettingsError


def write(folder: Path, name: str, values: object) -> None:
    (folder / name).write_text(json.dumps({"IsEncrypted": False, "Values": values}))


def test_the_environment_wins_over_the_file_and_the_file_fills_the_rest(tmp_path: Path) -> None:
    write(tmp_path, "local.settings.json", {"WebPubSubHub": "fromfile", "ChatDefaultRoom": "hall"})
    env = {"WebPubSubHub": "fromenv"}
    local_settings.apply(tmp_path, env)
    assert env == {"WebPubSubHub": "fromenv", "ChatDefaultRoom": "hall"}
    assert local_settings.lookup(tmp_path, env, "WebPubSubHub") == (
        "fromenv",
        "WebPubSubHub in the environment",
    )
    assert local_settings.lookup(tmp_path, {}, "WebPubSubHub") == (
        "fromfile",
        "WebPubSubHub in local.settings.json",
    )
    assert local_settings.lookup(tmp_path, {}, "Missing") is None


def test_the_example_stands_in_when_there_is_no_local_settings_file(tmp_path: Path) -> None:
    assert local_settings.values(tmp_path) == ({}, "")
    write(tmp_path, "local.settings.json.example", {"WebPubSubHub": "chat"})
    assert local_settings.values(tmp_path) == ({"WebPubSubHub": "chat"}, "local.settings.json.example")
    write(tmp_path, "local.settings.json", {"WebPubSubHub": "mine"})
    assert local_settings.values(tmp_path) == ({"WebPubSubHub": "mine"}, "local.settings.json")


@pytest.mark.parametrize("text", ["not json", '["a list"]', '{"Values": ["AccessKey=secret"]}'])
def test_a_malformed_file_is_an_error_naming_the_file_not_its_values(tmp_path: Path, text: str) -> None:
    (tmp_path / "local.settings.json").write_text(text)
    with pytest.raises(LocalSettingsError) as err:
        local_settings.values(tmp_path)
    assert str(err.value) == f"{tmp_path / 'local.settings.json'} is not a JSON object with a Values object"
    assert "secret" not in str(err.value)
