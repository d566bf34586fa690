"""Hypothesis settings for the property tests, and a count of examples run."""

from collections import Counter

import pytest
from hypothesis import HealthCheck, settings

# Enough examples to find the odd input, few enough for CI; no per-example
# deadline (a shared CI machine is noisy). HYPOTHESIS_PROFILE=deep for more.
# The count fixture is shared by all examples of a test on purpose.
_QUIET = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]
settings.register_profile("default", max_examples=400, deadline=None, suppress_health_check=_QUIET)
settings.register_profile("deep", max_examples=5000, deadline=None, suppress_health_check=_QUIET)
# scripts/mutate: the same examples on every run, so that a mutant is killed or not, never by chance.
settings.register_profile(
    "mutation", max_examples=25, deadline=None, suppress_health_check=_QUIET, derandomize=True, database=None
)

EXAMPLES: Counter[str] = Counter()


@pytest.fixture
def count(request):
    """Call once per example: the summary prints how many each test ran."""

    def count() -> None:
        EXAMPLES[request.node.name] += 1

    return count


def pytest_configure(config):
    import os

    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_terminal_summary(terminalreporter):
    if EXAMPLES:
        terminalreporter.section("property examples")
        for name, n in sorted(EXAMPLES.items()):
            terminalreporter.write_line(f"{n:6d}  {name}")
        terminalreporter.write_line(f"{sum(EXAMPLES.values()):6d}  in all")
