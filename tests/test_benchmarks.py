"""The benchmark command still runs (quick mode). No timing is asserted here."""

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks.per_event import delivered_request, user_request
from chat.handlers import handle_request
from chat.settings import Settings
from codec.events import UserEvent, decode_exact
from tests.steps import finish

ROOT = Path(__file__).resolve().parent.parent


def test_the_benchmarks_run_and_write_their_table(tmp_path):
    out = tmp_path / "bench.md"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    table = out.read_text()
    for measure in (
        "cold start",
        "per event: connect",
        "per event: message",
        "per event: join",
        "per event: message as delivered",
        "per event: leave as delivered",
        "per event: broadcast of 10",
        "worker: message vs a do-nothing `def` trigger",
        "growth per action",
        "growth per byte",
        "memory: peak RSS",
        "soak through the local loop",
        "soak latency",
        "soak memory per connection",
    ):
        assert f"| {measure}" in table, measure
    assert table in result.stdout


@pytest.mark.parametrize("build", [user_request, delivered_request])
def test_the_benchmarked_events_are_read_the_exact_way_and_accepted(build):
    raw = build("join", {"room": "games"}, ["lobby"])
    assert isinstance(decode_exact(raw), UserEvent)  # not the slower fallback
    reply = finish(handle_request(raw, Settings(), datetime.now(UTC))).reply
    assert json.loads(reply.data)["rooms"] == ["lobby", "games"]


def test_a_delivered_event_carries_the_webhooks_headers():
    context = json.loads(delivered_request("message", {"text": "hi"}, ["lobby"]))["connectionContext"]
    expected = {"Host", "Content-Type", "ce-type", "ce-signature", "ce-connectionState"}
    assert expected <= set(context["headers"])
    assert context["states"] == {"rooms": ["lobby"]}
