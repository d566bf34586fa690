"""CPU time and resident memory of processes, read from Linux's ``/proc``."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time ``pid`` has used so far (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # Fields after the command's closing parenthesis; utime and stime are the 14th and 15th.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def rss_kib(pid: int) -> int:
    """``pid``'s resident set size now, in KiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages, as ``uptime`` prints them."""
    return ", ".join(Path("/proc/loadavg").read_text().split()[:3])


@dataclass
class CpuMeter:
    """The CPU time each named process used between ``start`` and ``read``, and the wall time."""

    pids: dict[str, int]

    def start(self) -> None:
        self._wall = time.monotonic()
        self._cpu = {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def read(self) -> tuple[float, dict[str, float]]:
        """Wall seconds since ``start``, and CPU seconds by process name."""
        wall = time.monotonic() - self._wall
        return wall, {name: cpu_seconds(pid) - self._cpu[name] for name, pid in self.pids.items()}
