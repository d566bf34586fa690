"""The soak, ten times smaller than ``scripts/soak``: 20 clients of Microsoft's
Node client SDK in 10 rooms exchange 2,000 messages through the whole loop.

No time budget: a run ends when every acknowledged message has reached every
member of its room, or as stalled when nothing progressed for 30 s, so a slow
machine only makes it slower while a lost message still fails it."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from benchmarks import capacity, latency
from benchmarks.soak import Plan, faults, run
from tools.webpubsub.session import Limits

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None, reason="node is not on PATH: no Node SDK clients"
)


def test_steady_traffic_loses_duplicates_and_reorders_nothing() -> None:
    report = asyncio.run(run(Plan(clients=20, rooms=10, messages=2000)))
    assert faults(report, cuts=False) == []
    assert (report["sent"], report["unacknowledged"], report["lost"], report["duplicates"]) == (2000, 0, 0, 0)
    # Each message reaches both members of its room (the sender included).
    assert report["delivered"] == 4000


def test_reliable_clients_whose_sockets_are_cut_recover_every_message_in_order() -> None:
    report = asyncio.run(run(Plan(clients=20, rooms=10, messages=2000, cuts=5)))
    assert report["cuts"] == 5
    assert faults(report, cuts=True) == []
    # A send the SDK gives up on while its connection recovers is not acknowledged,
    # and so not owed; every acknowledged one must arrive.
    assert report["sent"] + report["unacknowledged"] == 2000
    assert (report["lost"], report["gaps"], report["reordered"]) == (0, 0, 0)
    assert report["delivered"] >= 2 * report["sent"]


def test_a_service_that_drops_clients_fails_the_soak_with_what_was_lost_once_nothing_moves() -> None:
    # A resend buffer of 20 messages: the SDK acknowledges about once a second,
    # so a client receiving faster is dropped for good (1008) and misses the rest.
    plan = Plan(clients=4, rooms=2, messages=400, stall_s=5, limits=Limits(resend_messages=20))
    report = asyncio.run(run(plan))
    broken = faults(report, cuts=False)
    assert broken[0].startswith("stalled: nothing progressed for 5 s with ")
    assert report["lost"] > 0
    assert broken[1].startswith(f"{report['lost']} lost, for example u")
    assert " never got u" in broken[1]


def test_stepped_open_loop_load_delivers_every_message_to_every_room_member_at_each_rate() -> None:
    # Rooms of 10, as the guide's small groups; the host stand-in in a child process.
    plan = capacity.Plan(clients=20, room_size=10, rates=(20, 40), hold_s=2.0, stop_on_fail=False)
    result = asyncio.run(capacity.measure(plan, echo=False))
    assert [s["rate"] for s in result.steps] == [20, 40]
    for step in result.steps:
        assert (step["offered"], step["acked"]) == (step["rate"] * 2, step["rate"] * 2)
        assert step["delivered"] == step["acked"] * 10
        assert (step["lost"], step["duplicates"], step["reordered"], step["refused"]) == (0, 0, 0, 0)
        assert set(step["cpuSeconds"]) == {"service", "host", "node"}
    assert result.python_kib_per_connection > 0 and result.node_kib_per_connection > 0
    # Whether a step passes depends on the machine's speed; the summary must read either way.
    assert capacity.summary(result)[0].startswith("20 clients in rooms of 10")


def test_with_history_the_table_holds_exactly_the_acknowledged_messages_once_each() -> None:
    # The soak starts an Azurite of its own (a free port, a temporary folder). The
    # driver's report then lists 4,000 ids, a line well past a pipe's 64 KiB.
    report = asyncio.run(run(Plan(clients=20, rooms=10, messages=2000, history=True)))
    assert faults(report, cuts=False) == []
    check = report["history"]
    assert check["faults"] == []
    assert check["storedIds"] == check["acknowledgedIds"]
    assert len(set(check["storedIds"])) == check["stored"] == check["acknowledged"] == report["sent"] == 2000
    assert (check["rooms"], check["storedAgain"]) == (10, 0)


def test_with_history_and_cuts_every_resend_stored_is_one_acknowledged() -> None:
    report = asyncio.run(run(Plan(clients=10, rooms=5, messages=1000, cuts=3, history=True)))
    assert report["cuts"] == 3
    assert faults(report, cuts=True) == []
    check = report["history"]
    assert check["storedIds"] == check["acknowledgedIds"]
    assert len(set(check["storedIds"])) == check["stored"]
    # A resend after a cut is a new message (acknowledged and stored again); every acknowledged
    # send's text is in the table, and at most the sends the SDK gave up on besides.
    texts = check["stored"] - check["storedAgain"]
    assert report["sent"] <= texts <= report["sent"] + report["unacknowledged"]


def test_unloaded_latency_with_history_off_and_on_measures_the_receivers_copy_of_each_message() -> None:
    pair = asyncio.run(latency.with_and_without_history(hold_s=1.0, rounds=1))
    for report in (pair["off"], pair["on"]):
        assert (report["rounds"], report["messages"]) == (1, 20)
        assert report["delivered"] == 40 and report["lost"] == 0  # both members got each one
        assert report["p50Ms"] is not None and report["p50Ms"] <= report["p99Ms"]
        assert not [f for f in report["faults"] if "over 1 s" not in f]
    # History off stores nothing; on, the table holds the 2 s warm-up's 40 messages and these 20.
    assert (pair["off"]["stored"], pair["on"]["stored"]) == (None, 60)
    assert pair["ratio"] == pair["on"]["p99Ms"] / pair["off"]["p99Ms"]
    assert latency.describe_ratio(pair).startswith("history on vs off: p99 ")
