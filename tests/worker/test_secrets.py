"""The worker's own logging never carries the token negotiate hands out."""

import json
import logging

TOKEN = "eyJhbGciOiJIUzI1NiJ9.PLANTEDWORKERTOKEN.c2ln"


def test_the_worker_logs_no_token(worker, caplog, local_host):
    caplog.set_level(logging.DEBUG)
    info = json.dumps({"baseUrl": "wss://h", "url": f"wss://h?access_token={TOKEN}", "accessToken": TOKEN})
    for headers in ({"x-ms-client-principal-name": "dana"}, {}):
        req = worker.http("GET", "http://localhost/api/negotiate", headers=headers)
        worker.invoke_sync("negotiate", {"req": req, "connection": worker.json(info)})
    assert caplog.records, "the worker logged nothing at all: the test would prove nothing"
    assert not any(TOKEN in r.getMessage() for r in caplog.records)
