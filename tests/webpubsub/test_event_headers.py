"""The CloudEvents headers the local service puts on each event."""

import re
from datetime import UTC, datetime, timedelta

from tools.webpubsub.events import Context, headers_for


def test_each_event_has_its_own_id_and_a_utc_time_to_the_millisecond():
    ctx = Context("chat", "conn-1", "alice", {})
    before = datetime.now(UTC)
    first = headers_for("key", "localhost", ctx, "user", "message", "text/plain")
    second = headers_for("key", "localhost", ctx, "user", "message", "text/plain")
    assert first["ce-id"] != second["ce-id"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["ce-time"])
    at = datetime.fromisoformat(first["ce-time"])
    assert before - timedelta(milliseconds=1) <= at <= datetime.now(UTC)
