import asyncio
import inspect

import pytest

from adapters.webpubsub import ServiceClients
from blueprints import _adapter, bindings
from function_app import create_app


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch):
    """Tests change app settings; the app reads them (and builds its SDK
    clients from them) once per process: start each test afresh."""
    _adapter.settings.cache_clear()
    monkeypatch.setattr(_adapter, "service_clients", ServiceClients(bindings.CONNECTION))
    yield
    _adapter.settings.cache_clear()


def user_functions():
    """The user functions of a freshly indexed app, by name, callable as plain
    functions (an ``async def`` one is run to completion, as the worker would)."""

    def plain(fn):
        if not inspect.iscoroutinefunction(fn):
            return fn
        return lambda **kwargs: asyncio.run(fn(**kwargs))

    return {f.get_function_name(): plain(f.get_user_function()) for f in create_app().get_functions()}


@pytest.fixture
def functions():
    return user_functions()
