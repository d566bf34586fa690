"""The benchmark command still runs (quick mode). No timing is asserted here."""

import asyncio
import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.tables import TableHistoryStore
from benchmarks import capacity, history_check, latency, soak
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
        "unloaded latency, send to delivery, history off",
        "unloaded latency, send to delivery, history on (Azurite)",
        "unloaded latency p99, history on vs off",
        "history on Azurite: store one message",
        "history on Azurite: read a latest page of 50",
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
        "lostSamples": [], "duplicates": 0, "reordered": 0, "gaps": 0, "cuts": 0, "refused": 0,
        "refusalSamples": [], "unreplied": 0,
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


def test_a_soak_names_refusals_and_missing_replies():
    report = soak_report(refused=2, refusalSamples=["u1's #3: history_unavailable"], unreplied=1)
    assert soak.faults(report, cuts=False) == [
        "2 refused by the app: u1's #3: history_unavailable",
        "1 acknowledged sends without the app's reply",
    ]


def test_the_history_check_passes_when_the_table_holds_what_was_acknowledged():
    check = history_check.compare(
        {"r1": ["a", "b", "a"], "r2": ["c"]},  # "a" acknowledged twice: a retried event
        {"r1": [("b", "1:0"), ("a", "0:0")], "r2": [("c", "2:0")]},
        {"r1": ["a"], "r2": ["c"]},
    )
    assert check["faults"] == []
    assert check["storedIds"] == check["acknowledgedIds"] == ["r1/a", "r1/b", "r2/c"]
    assert (check["stored"], check["acknowledged"], check["rooms"], check["storedAgain"]) == (3, 3, 2, 0)
    assert history_check.describe(check).startswith(
        "history table after the phase: 3 messages in 2 rooms, 3 acknowledged to their senders, the same ids"
    )


def test_the_history_check_names_every_difference():
    check = history_check.compare(
        {"r1": ["a", "b"], "r2": ["c"]},
        {"r1": [("a", "t"), ("x", "u")], "r2": [("c", "v")], "r3": [("c", "v")]},
        {"r1": ["a", "y"]},
    )
    assert check["faults"] == [
        "the table holds 4 messages, the app acknowledged 3",
        "1 acknowledged but not in the table, for example r1/b",
        "2 in the table but never acknowledged, for example r1/x, r3/c",
        "1 delivered to the room but not in the table, for example r1/y",
        "1 ids in the table more than once, for example c",
    ]
    assert check["storedAgain"] == 1  # the text "v" twice
    assert "DIFFERENT: the table holds 4 messages" in history_check.describe(check)


def test_a_soak_with_history_fails_on_the_checks_faults_and_on_a_message_stored_twice_without_cuts():
    check = {"faults": ["1 acknowledged but not in the table, for example r1/b"], "storedAgain": 0}
    assert soak.faults(soak_report(history=check), cuts=False) == [
        "history: 1 acknowledged but not in the table, for example r1/b"
    ]
    resent = {"faults": [], "storedAgain": 2}
    assert soak.faults(soak_report(history=resent), cuts=False) == ["history: 2 messages stored twice"]
    # After cuts a client's resend is a new message, acknowledged and stored: no fault.
    assert soak.faults(soak_report(cuts=1, duplicates=2, history=resent), cuts=True) == []


def test_the_history_check_reads_every_row_of_the_table_by_room(azurite_tables):
    from chat import history

    table = "Check" + uuid.uuid4().hex[:10]
    connection = azurite_tables.connection_string
    at = datetime.now(UTC)
    messages = [
        history.new_message(f"event-{n}", at + timedelta(milliseconds=n), f"room{n % 2}", "u0", f"0:{n}:0")
        for n in range(5)
    ]

    async def scenario() -> dict:
        assert await history_check.stored_rows(connection, table) == {}  # no table yet
        store = TableHistoryStore("ChatStorage", {"ChatStorage": connection}, table=table)
        try:
            for message in messages:
                await store.put_message(message)
        finally:
            await store.close()
        return await history_check.stored_rows(connection, table)

    rows = asyncio.run(scenario())
    # Newest first in each partition, as the row keys sort.
    assert rows == {
        "room0": [(m.id, m.text) for m in reversed(messages[0::2])],
        "room1": [(m.id, m.text) for m in reversed(messages[1::2])],
    }


def test_the_latency_goal_is_p99_with_history_at_most_one_and_a_half_times_without_and_under_25_ms():
    def pair(off: float, on: float) -> dict:
        return {"off": {"p99Ms": off}, "on": {"p99Ms": on}, "ratio": on / off}

    assert latency.meets_goal(pair(10.0, 15.0))
    assert not latency.meets_goal(pair(10.0, 15.1))
    assert not latency.meets_goal(pair(20.0, 25.0))  # 1.25x, but not under 25 ms
    assert not latency.meets_goal({"off": {"p99Ms": None}, "on": {"p99Ms": 5.0}, "ratio": None})
    assert latency.describe_ratio(pair(10.0, 15.1)) == (
        "history on vs off: p99 1.51x (goal <= 1.5x), p99 on 15.1 ms (goal < 25 ms): MISSED"
    )


def test_latency_runs_of_one_state_combine_into_sums_and_median_percentiles():
    def run(p50: float | None, p99: float | None, stored: int | None, passed: bool = True) -> dict:
        faults = [] if passed else ["1 lost"]
        return {
            "history": stored is not None, "load": "1.00, 1.00, 1.00", "messages": 200, "delivered": 400,
            "lost": 0 if passed else 1, "p50Ms": p50, "p99Ms": p99, "passed": passed, "faults": faults,
            "stored": stored,
        }  # fmt: skip

    on = latency.combined([run(9.0, 30.0, 240), run(8.0, 12.0, 240, passed=False), run(10.0, 14.0, 240)])
    assert (on["rounds"], on["messages"], on["delivered"], on["lost"], on["stored"]) == (3, 600, 1200, 1, 720)
    assert (on["p50Ms"], on["p99Ms"], on["passed"], on["faults"]) == (9.0, 14.0, False, ["1 lost"])
    off = latency.combined([run(5.0, 9.0, None), run(4.0, None, None)])
    assert (off["history"], off["stored"], off["p50Ms"], off["p99Ms"]) == (False, None, 4.5, None)
