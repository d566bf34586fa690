import json

from routes.http import service_failure


def test_throttling_is_a_503_with_retry_after_and_other_failures_a_502():
    busy = service_failure(429, "Web PubSub answered 429")
    assert (busy.status, busy.headers["Retry-After"]) == (503, "5")
    assert service_failure(500, "Web PubSub answered 500").status == 502
    assert json.loads(service_failure(None, "unreachable", sent=2).body)["error"]["sent"] == 2
