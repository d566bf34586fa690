"""Pin what the worker accepts for generic bindings, using its own registry."""

import azure.functions as func
import pytest
from azure_functions_runtime.functions import FunctionLoadError, Registry


def index(define):
    app = func.FunctionApp()
    define(app)
    (function,) = app.get_functions()
    return function


def load(protos, function):
    return Registry().add_indexed_function(function=function, protos=protos)


def trigger(app):
    return app.generic_trigger(
        arg_name="request", type="webPubSubTrigger", hub="h", event_type="user", event_name="m"
    )


def output(app):
    return app.generic_output_binding(arg_name="actions", type="webPubSub", hub="h")


def test_a_str_trigger_an_out_str_output_and_a_dict_return_load(worker):
    def define(app):
        @trigger(app)
        @output(app)
        def f(request: str, actions: func.Out[str]) -> dict:
            return {}

    info = load(worker.protos, index(define))
    assert info.has_return and info.input_types["request"].pytype is str


@pytest.mark.parametrize("annotation", [dict, int])
def test_a_trigger_parameter_must_be_str_or_bytes(worker, annotation):
    def define(app):
        @trigger(app)
        def f(request: annotation) -> None:  # type: ignore[valid-type]
            return None

    with pytest.raises(FunctionLoadError):
        load(worker.protos, index(define))


def test_an_output_must_be_out_of_str_or_bytes(worker):
    def define(app):
        @trigger(app)
        @output(app)
        def f(request: str, actions: func.Out[dict]) -> None:
            return None

    with pytest.raises(FunctionLoadError):
        load(worker.protos, index(define))
