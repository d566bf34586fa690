from pathlib import Path

import pytest

from tools.worker.harness import Worker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def worker() -> Worker:
    import asyncio

    return asyncio.run(Worker.start(ROOT))
