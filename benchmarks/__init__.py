"""Benchmarks: cold start, per-event cost, worker throughput, growth, memory,
the soak and the loop's unloaded latency (``scripts/bench``), and the loop's
capacity as Microsoft's performance guide measures it (``scripts/soak capacity``).

Every figure is a ratio against a baseline measured in the same process or
the same run, so that it holds on a noisy machine. Run ``scripts/bench``;
``--quick`` only proves the benchmarks still run (CI), its numbers mean little.
"""
