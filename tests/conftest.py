import asyncio
import inspect

import pytest

import function_app
from composition import Dependencies
from function_app import create_app


@pytest.fixture(autouse=True)
def fresh_root():
    """The deployed app (which the worker tests run) reads settings once per
    process: start each test as a restarted app would."""
    function_app.root.reset()
    yield
    function_app.root.reset()


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
