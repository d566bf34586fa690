"""The benchmark command still runs (quick mode). No timing is asserted here."""

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks import capacity, soak
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
        "unloaded latency, send to delivery",
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


def soak_report(**changes: object) -> dict[str, object]:
    """A clean soak report of 20 clients in 10 rooms, with ``changes``."""
    clean: dict[str, object] = {
        "clients": 20, "rooms": 10, "messages": 200, "sent": 200, "unacknowledged": 0, "unsettled": 0,
        "stalled": False, "stallSeconds": 30, "failures": [], "delivered": 400, "lost": 0,
        "lostSamples": [], "duplicates": 0, "reordered": 0, "gaps": 0, "cuts": 0,
    }  # fmt: skip
    return {**clean, **changes}


def test_a_clean_soak_report_has_no_faults():
    assert soak.faults(soak_report(), cuts=False) == []


def test_a_stalled_soak_names_the_stall_and_what_was_lost():
    report = soak_report(
        stalled=True,
        unsettled=3,
        sent=197,
        lost=2,
        lostSamples=["u1 never got u3's #4", "u2 never got u3's #4"],
    )
    assert soak.faults(report, cuts=False) == [
        "stalled: nothing progressed for 30 s with 3 sends unanswered",
        "2 lost, for example u1 never got u3's #4; u2 never got u3's #4",
        "only 197 of 200 messages sent",
    ]


def test_repeats_after_cuts_are_allowed_up_to_one_per_cut_per_room_member():
    # Rooms of 2: three cuts allow six repeats, not seven; without cuts, none.
    assert soak.faults(soak_report(cuts=3, duplicates=6), cuts=True) == []
    assert soak.faults(soak_report(cuts=3, duplicates=7), cuts=True) == ["7 duplicates"]
    assert soak.faults(soak_report(duplicates=1), cuts=False) == ["1 duplicates"]


def capacity_step(**changes: object) -> dict[str, object]:
    clean: dict[str, object] = {
        "rate": 400, "lost": 0, "duplicates": 0, "reordered": 0, "refused": 0, "unanswered": 0,
        "behind": False, "stalled": False, "p99Ms": 600.0, "failures": [],
    }  # fmt: skip
    return {**clean, **changes}


def test_a_capacity_step_fails_for_loss_for_falling_behind_and_past_one_second():
    assert capacity.step_faults(capacity_step()) == []
    assert capacity.step_faults(capacity_step(lost=3, behind=True, p99Ms=1000.5, failures=["timeout"])) == [
        "3 lost",
        "fell behind (a send unanswered for 5 s)",
        "p99 over 1 s",
        "timeout",
    ]
    assert capacity.step_faults(capacity_step(p99Ms=1000.0)) == []


def test_the_capacity_summary_sits_beside_unit1_and_unit2_small_groups():
    best = {
        "rate": 400, "inPerS": 400.0, "outPerS": 4000.0, "p50Ms": 20.0, "p99Ms": 500.0, "acked": 4000,
        "cpuSeconds": {"service": 4.0, "host": 5.0, "node": 2.0},
    }  # fmt: skip
    result = capacity.Result(capacity.Plan(room_size=10), "1.00, 1.00, 1.00", best=best)
    lines = capacity.summary(result)
    assert "highest sustained 400/s offered: 400 messages/s in, 4000 deliveries/s out" in lines[0]
    assert lines[2].startswith("CPU per message: service 1.00, host 1.25, node 0.50 ms (total 2.75 ms)")
    assert lines[3:] == [
        "vs Unit1 small groups (400 in, 4,000 out): 1.00x in, 1.00x out",
        "vs Unit2 small groups (800 in, 8,000 out): 0.50x in, 0.50x out",
    ]
