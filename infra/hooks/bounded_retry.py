"""Ask again while the app starts, for at most a set time.

A check answers with a ``Verdict``: passed, worth asking again, or final
(no later answer can change it). ``until_settled`` asks until it passes, is
final, or the time is up; the clock and the sleep are injected so that tests
run without waiting and can count the attempts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """One answer to a check: what was seen, and whether asking again may help."""

    passed: bool
    detail: str
    final: bool = False


def passed(detail: str) -> Verdict:
    """The check passed."""
    return Verdict(True, detail)


def retry(detail: str) -> Verdict:
    """Not yet: a later attempt may pass (the app may still be starting)."""
    return Verdict(False, detail)


def final(detail: str) -> Verdict:
    """Failed for good: asking again would not help."""
    return Verdict(False, detail, final=True)


@dataclass(frozen=True)
class Outcome:
    """The last verdict and how many attempts it took."""

    verdict: Verdict
    attempts: int


def until_settled(
    check: Callable[[], Verdict],
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    budget_seconds: float,
    wait_seconds: float,
) -> Outcome:
    """Run ``check`` until it passes or is final, starting no attempt after ``budget_seconds``.

    Never sleeps past the budget; an attempt in flight may finish after it
    (by at most the transport's timeout).
    """
    start = clock()
    attempts = 0
    while True:
        verdict = check()
        attempts += 1
        remaining = budget_seconds - (clock() - start)
        if verdict.passed or verdict.final or remaining <= 0:
            return Outcome(verdict, attempts)
        sleep(min(wait_seconds, remaining))
