"""The README's local-host command, as a user runs it."""

import os
import re
import select
import signal
import subprocess
import sys
import urllib.request

from tests.localhost.conftest import ROOT


def test_help_says_it_is_a_development_tool_and_names_the_full_fidelity_loop():
    out = subprocess.run(
        [sys.executable, "-m", "tools.localhost", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    assert "development tool, not a product" in out
    assert "awps-emulator" in out and "func start" in out


def test_the_command_serves_the_app_and_stops_cleanly_on_sigterm():
    env = {k: v for k, v in os.environ.items() if k != "WebPubSubConnectionString"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.localhost", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "the local host did not print its URL within 30 s"
        line = proc.stdout.readline()  # printed once it is serving
        match = re.search(r"(http://127\.0\.0\.1:\d+)/api/chat", line)
        assert match, line + proc.stderr.read()
        with urllib.request.urlopen(match.group(1) + "/api/chat", timeout=10) as page:
            assert page.status == 200 and b"<!doctype html>" in page.read().lower()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
