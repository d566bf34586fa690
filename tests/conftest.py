import pytest

from function_app import create_app


@pytest.fixture
def functions():
    """The user functions of a freshly indexed app, by function name."""
    return {f.get_function_name(): f.get_user_function() for f in create_app().get_functions()}
