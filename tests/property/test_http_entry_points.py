"""Every decorated function takes any request without raising; errors are JSON."""

import json

import azure.functions as func
from hypothesis import given
from hypothesis import strategies as st

from composition import Dependencies
from routes.gateway import GatewayError
from tests.conftest import user_functions
from tests.fake_gateway import FakeGateway
from tests.payloads import FakeOut
from tests.property.strategies import JSON, ODD_TEXT, RAW

# Every call to the service fails: the routes must still answer.
FUNCTIONS = user_functions(
    Dependencies(
        {"WebPubSubHub": "chat"}, gateway=FakeGateway(failure=GatewayError(500, "Web PubSub answered 500"))
    )
)
HEADER_TEXT = ODD_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass").decode("latin-1")[:200])


def request(method="POST", body=b"", headers=None, params=None, route_params=None):
    return func.HttpRequest(
        method=method,
        url="http://localhost/api/x",
        body=body,
        headers=headers or {},
        params=params or {},
        route_params=route_params or {},
    )


def check(response, out=None):
    """A status, a JSON error naming the problem on failure, and nothing sent with it."""
    assert 100 <= response.status_code <= 599
    if response.status_code >= 400 and response.headers.get("Content-Type") == "application/json":
        assert json.loads(response.get_body())["error"]["message"]
    if out is not None and response.status_code >= 400:
        assert out.values == []


@given(body=RAW)
def test_broadcast(body, count):
    count()
    out = FakeOut()
    check(FUNCTIONS["broadcast"](req=request(body=body), actions=out), out)


@given(
    headers=st.dictionaries(
        st.sampled_from(["x-ms-client-principal-name"]) | HEADER_TEXT, HEADER_TEXT, max_size=3
    ),
    connection=JSON.map(json.dumps) | ODD_TEXT,
)
def test_negotiate(headers, connection, count):
    count()
    check(FUNCTIONS["negotiate"](req=request("GET", headers=headers), connection=connection))


@given(context=RAW.map(lambda b: b.decode("utf-8", "replace")), method=st.sampled_from(["POST", "OPTIONS"]))
def test_webhook(context, method, count):
    count()
    out = FakeOut()
    check(FUNCTIONS["webhook"](req=request(method), context=context, actions=out), out)


@given(params=st.dictionaries(st.sampled_from(["user", "room"]) | ODD_TEXT, ODD_TEXT, max_size=3))
def test_presence(params, count):
    count()
    check(FUNCTIONS["presence"](req=request("GET", params=params)))


@given(asset=ODD_TEXT)
def test_page(asset, count):
    count()
    check(FUNCTIONS["page"](req=request("GET", route_params={"asset": asset})))


@given(
    raw=RAW.map(lambda b: b.decode("utf-8", "replace")), name=st.sampled_from(["message", "join", "leave"])
)
def test_user_event_triggers(raw, name, count):
    count()
    out = FakeOut()
    reply = FUNCTIONS[name](request=raw, actions=out)
    assert isinstance(reply, dict)
    json.dumps(reply).encode()
    if reply.get("code"):
        assert out.values == []


@given(raw=RAW.map(lambda b: b.decode("utf-8", "replace")))
def test_system_event_triggers(raw, count):
    count()
    reply = FUNCTIONS["connect"](request=raw)
    assert isinstance(reply, dict)
    for name in ("connected", "disconnected"):
        assert FUNCTIONS[name](request=raw, actions=FakeOut()) is None
