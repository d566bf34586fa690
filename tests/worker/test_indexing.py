"""What the worker tells the host about the app: init, metadata, load."""

import json

from tests.test_function_app import EXPECTED


def test_worker_init_indexes_the_app_successfully(worker):
    p = worker.protos
    assert worker.init_response.result.status == p.StatusResult.Success
    assert worker.init_response.worker_metadata.runtime_name == "python"


def test_the_worker_reports_every_function_with_its_bindings(worker):
    assert sorted(worker.functions) == sorted(EXPECTED)
    for name, expected in EXPECTED.items():
        key = lambda b: json.dumps(b, sort_keys=True)  # noqa: E731
        assert sorted(map(key, worker.raw_bindings(name))) == sorted(map(key, expected)), name


def test_every_function_loads(worker):
    p = worker.protos
    assert {name: r.result.status for name, r in worker.load_responses.items()} == {
        name: p.StatusResult.Success for name in EXPECTED
    }


def test_binding_directions_reach_the_host(worker):
    p = worker.protos
    message = worker.functions["message"].bindings
    assert message["request"].type == "webPubSubTrigger"
    assert message["request"].direction == p.BindingInfo.Direction.Value("in")
    assert message["actions"].type == "webPubSub"
    assert message["actions"].direction == p.BindingInfo.Direction.Value("out")
