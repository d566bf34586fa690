"""The soak, ten times smaller than ``scripts/soak``: 20 clients of Microsoft's
Node client SDK in 10 rooms exchange 2,000 messages through the whole loop.

No time budget: a run ends when every acknowledged message has reached every
member of its room, or as stalled when nothing progressed for 30 s, so a slow
machine only makes it slower while a lost message still fails it."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from benchmarks.soak import Plan, faults, run

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
