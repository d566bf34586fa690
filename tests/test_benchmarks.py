"""The benchmark command still runs (quick mode). No timing is asserted here."""

import subprocess
import sys
from pathlib import Path

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
