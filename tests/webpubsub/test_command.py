"""``python -m tools.webpubsub``: its help, its banner, and a clean stop."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tools.webpubsub import config

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WebPubSub", "WEBPUBSUB"))}
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_help_names_the_connection_string_and_says_it_is_a_development_tool():
    out = subprocess.run(
        [sys.executable, "-m", "tools.webpubsub", "--help"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "WebPubSubConnectionString" in out
    assert "development only" in out
    assert config.DEFAULT_CONNECTION_STRING in out
    assert "--event-handler" in out and "--port" in out


def _start(app_dir: Path, *args: str) -> tuple[subprocess.Popen[str], list[str]]:
    """The command on a free port, reading an app directory with no local.settings.json."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tools.webpubsub",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--quiet",
            "--app-dir",
            str(app_dir),
            *args,
        ],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines = []
    for _ in range(20):
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("Ctrl+C"):
            break
    return process, lines


def test_the_command_prints_its_url_and_the_setting_to_use_answers_health_and_stops_on_sigterm(tmp_path):
    process, lines = _start(tmp_path)
    try:
        assert lines[0].startswith("Local Web PubSub service at http://127.0.0.1:")
        url = lines[0].split(" at ")[1].split(" ")[0]
        assert any(
            "Clients and servers use WebPubSubConnectionString (from the emulator's default "
            "connection string)" in line
            for line in lines
        )
        assert not any("AccessKey" in line for line in lines)
        with urllib.request.urlopen(
            urllib.request.Request(url + "/api/health", method="HEAD"), timeout=10
        ) as r:
            assert r.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_a_random_key_goes_to_a_file_only_its_owner_reads_never_to_the_console(tmp_path):
    key_file = tmp_path / "connection-string"
    process, lines = _start(tmp_path, "--random-key", str(key_file))
    key = "unread"
    try:
        text = key_file.read_text()
        assert text.startswith("Endpoint=http://localhost:") and "AccessKey=" in text
        key = text.split("AccessKey=")[1].split(";")[0]
        assert key and key not in "\n".join(lines) and "ABCDEFGH" not in key
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert process.stderr is not None
        assert key not in process.stderr.read()


def test_the_banner_shows_each_handler_without_its_query_which_may_hold_a_function_key(tmp_path):
    process, lines = _start(
        tmp_path,
        "--event-handler",
        "chat=http://localhost:7071/api/{event}?code=SECRET system=connect user=*",
    )
    try:
        assert "Hub chat: events ['connect'] + user * -> http://localhost:7071/api/{event}?..." in lines
        assert not any("SECRET" in line for line in lines)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_a_taken_port_is_a_clear_error_and_exit_status_1(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tools.webpubsub",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--app-dir",
                str(tmp_path),
            ],
            cwd=ROOT,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"error: cannot listen on 127.0.0.1:{port}: Address already in use" in done.stderr


@pytest.mark.parametrize("settings_file", [False, True])
def test_a_connection_string_for_another_machine_is_refused_without_naming_its_key(tmp_path, settings_file):
    # The environment wins over local.settings.json (as with Core Tools), so a
    # local connection string in the file changes nothing.
    if settings_file:
        local = {"Values": {"WebPubSubConnectionString": config.DEFAULT_CONNECTION_STRING}}
        (tmp_path / "local.settings.json").write_text(json.dumps(local))
    env = _env()
    env["WebPubSubConnectionString"] = (
        "Endpoint=https://example.webpubsub.azure.com;AccessKey=SECRETKEY;Version=1.0;"
    )
    done = subprocess.run(
        [sys.executable, "-m", "tools.webpubsub", "--app-dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "WebPubSubConnectionString's Endpoint is not this machine" in done.stderr
    assert "SECRETKEY" not in done.stderr + done.stdout
