"""A recording azure-core transport: the real SDK client runs, no network."""

from __future__ import annotations

import json
from typing import Any

from azure.core.pipeline.transport import HttpTransport
from azure.core.rest._http_response_impl import HttpResponseImpl
from azure.core.utils import CaseInsensitiveDict

Canned = tuple[int, Any] | tuple[int, Any, dict[str, str]] | Exception


class _Nothing:
    def close(self) -> None:
        pass


class FakeTransport(HttpTransport):
    """Answers each request with the next canned (status, body, headers); 200 when out of them.

    A canned exception is raised instead, as the real transport raises
    ``ServiceRequestError`` or ``ServiceResponseError`` when it gets no answer.
    """

    def __init__(self, *responses: Canned) -> None:
        self.requests: list[Any] = []
        self.sleeps: list[float] = []
        self._responses = list(responses)

    def answer(self, *responses: Canned) -> None:
        """Answer the next requests with these, in order."""
        self._responses = list(responses)

    def __enter__(self) -> FakeTransport:
        return self

    def __exit__(self, *args: Any) -> None:
        pass

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def sleep(self, duration: float) -> None:
        # Retries wait through the transport: record instead of waiting.
        self.sleeps.append(duration)

    def send(self, request: Any, **kwargs: Any) -> Any:
        self.requests.append(request)
        canned = self._responses.pop(0) if self._responses else (200, b"")
        if isinstance(canned, Exception):
            raise canned
        status, body, headers = (*canned, {})[:3]
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = HttpResponseImpl(
            request=request,
            internal_response=_Nothing(),
            status_code=status,
            reason="Fake",
            content_type="application/json",
            headers=CaseInsensitiveDict({"Content-Type": "application/json", **headers}),
            stream_download_generator=lambda *a, **k: iter([raw]),
        )
        response._content = raw
        return response
