"""Microsoft's Node server SDK (``@azure/web-pubsub``) against the REST API.

``node/server_sdk.mjs`` calls every operation the SDK's
``WebPubSubServiceClient`` and group client offer, in one run; this test sets
up the connections, runs it (bounded), and checks the SDK's answers and what
each connection received or how it was closed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.webpubsub.rest_fixtures import HUB, KEY, Served, serve
from tools.webpubsub.tokens import verify_client_token

NODE_DIR = Path(__file__).parent / "node"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not on PATH: the Node SDK tests need Node.js 22 or later")


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """The pinned SDKs, installed from the npm registry once (npm ci) when missing."""
    installed = NODE_DIR / "node_modules" / "@azure" / "web-pubsub"
    if not installed.is_dir():
        npm = shutil.which("npm")
        assert npm is not None, "npm is not on PATH, so @azure/web-pubsub cannot be installed"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, timeout=300)
    return installed


@pytest.fixture
def served() -> Iterator[Served]:
    with serve() as running:
        yield running


def run_script(served: Served) -> dict[str, Any]:
    assert NODE is not None
    config = {
        "connectionString": served.connection_string(),
        "wrongConnectionString": served.connection_string().replace(KEY, "w" * 64),
        "hub": HUB,
    }
    done = subprocess.run(
        [NODE, "server_sdk.mjs", json.dumps(config)],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_every_node_sdk_operation_against_the_rest_api(served: Served, node_modules: Path) -> None:
    c1 = served.connect("c1", "alice", groups=("room",))
    c2 = served.connect("c2", "bob")
    c3 = served.connect("c3", "carol", groups=("room",))
    c4 = served.connect("c4", "dave")

    result = run_script(served)

    all_json = ("json", {"hello": "all"})

    def received(sink: Any) -> list[tuple[str, Any]]:
        return [(m.data_type, json.loads(m.data) if m.data_type == "json" else m.data) for m in sink.messages]

    assert received(c1) == [all_json, ("text", b"only alice"), ("text", b"to c1"), ("text", b"to room")]
    assert received(c2) == [all_json, ("binary", b"\x00\x01\x02")]
    assert received(c3) == [("text", b"ttl")]
    assert received(c4) == [all_json]

    assert result["exists"] == {
        "c1": True,
        "c9": False,
        "alice": True,
        "nobody": False,
        "room": True,
        "hall": False,
    }
    assert result["hallPages"] == {"sizes": [2, 1], "ids": [["c1", "alice"], ["c2", "bob"], ["c3", "carol"]]}
    assert result["hallAfterRemoval"] == {"sizes": [1], "ids": [["c2", "bob"]]}
    assert result["vip"] == {"sizes": [2], "ids": [["c2", "bob"], ["c3", "carol"]]}
    assert result["vipAfterRemoval"] == {"sizes": [1], "ids": [["c2", "bob"]]}
    assert result["c2Groups"] == {"hall": False, "vip": False}
    assert result["lounge"] is False
    assert result["permissions"] == {"granted": True, "revoked": False}

    identity = verify_client_token(KEY, served.endpoint, HUB, result["clientToken"])
    assert (identity.user_id, identity.roles, identity.groups) == (
        "dave",
        ("webpubsub.sendToGroup",),
        ("room",),
    )
    assert result["clientUrl"].startswith(f"ws://localhost:{served.port}/client/hubs/{HUB}?access_token=")

    assert result["wrongKey"] == {
        "statusCode": 401,
        "code": "Unauthorized",
        "message": "the token's signature does not match the access key",
    }
    assert result["badFilter"] == {
        "statusCode": 400,
        "code": "InvalidArgument",
        "message": "filter: cannot read '=' at position 7",
    }

    assert (c3.closed, c1.closed, c2.closed, c4.closed) == (
        ["just c3"],
        ["room closed"],
        ["bob out"],
        ["everyone"],
    )
    assert served.service.connections(HUB) == []
