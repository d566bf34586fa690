"""The history benchmark runs on real Azurite and reads real pages (no timing is asserted)."""

from benchmarks import history as bench


def test_the_history_benchmark_measures_writes_and_pages():
    result = bench.measure(writes=60, reads=5)
    assert set(result) == {"put", "latest_50"}
    for figures in result.values():
        assert 0 < figures["p50_ms"] <= figures["p99_ms"]
