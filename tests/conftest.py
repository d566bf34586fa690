import asyncio
import inspect

import pytest

import function_app
from chat.settings import AZURE_HOST_MARKERS
from composition import Dependencies
from function_app import create_app


@pytest.fixture(autouse=True)
def fresh_root():
    """The deployed app (which the worker tests run) reads settings once per
    process: start each test as a restarted app would."""
    function_app.root.reset()
    yield
    function_app.root.reset()


@pytest.fixture
def local_host(monkeypatch):
    """This process as a local development host (what ``func start`` and the
    host stand-in make it): no Azure marker, no Easy Auth."""
    for name in (*AZURE_HOST_MARKERS, "WEBSITE_AUTH_ENABLED", "ChatEasyAuthEnabled"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_FUNCTIONS_ENVIRONMENT", "Development")


def user_functions(root: Dependencies | None = None):
    """The user functions of a freshly indexed app, by name, callable as plain
    functions (an ``async def`` one is run to completion, as the worker would)."""

    def plain(fn):
        if not inspect.iscoroutinefunction(fn):
            return fn
        return lambda **kwargs: asyncio.run(fn(**kwargs))

    return {f.get_function_name(): plain(f.get_user_function()) for f in create_app(root).get_functions()}


@pytest.fixture
def functions():
    return user_functions()


@pytest.fixture(scope="session")
def azurite_tables(tmp_path_factory):
    """Azurite's table service (``tools.azurite.Running``), started on first request and kept for
    the session, on a free port with its data in a temporary folder. Without Node the tests that
    ask for it fail and say why."""
    from tools import azurite

    try:
        running = azurite.launch(azurite.free_port(), tmp_path_factory.mktemp("azurite"))
    except azurite.AzuriteError as err:
        pytest.fail(str(err))
    yield running
    running.stop()
