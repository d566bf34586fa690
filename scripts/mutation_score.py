"""Print the mutation score of each package from mutmut's results in mutants/.

Used by scripts/mutate. A mutant counts as killed when a test failed on it
(or it timed out); the score is killed / all mutants of the package, the
equivalent ones included (docs/testing.md lists them).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

KILLED = {1, 3, 24, -24, 36, 152, 255}


def main(packages: list[str]) -> None:
    """One line per package: killed, survived, not checked, score."""
    for package in packages:
        counts: Counter[str] = Counter()
        survivors: list[str] = []
        for meta in sorted(Path("mutants", package).rglob("*.meta")):
            for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
                if code in KILLED:
                    counts["killed"] += 1
                elif code is None:
                    counts["not checked"] += 1
                else:
                    counts["survived"] += 1
                    survivors.append(name)
        total = sum(counts.values())
        score = counts["killed"] / total if total else 0.0
        print(
            f"{package}: {counts['killed']} of {total} mutants killed ({score:.1%}), "
            f"{counts['survived']} survived, {counts['not checked']} not checked"
        )
        for name in survivors:
            print(f"  survived: {name}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["chat", "codec", "routes"])
