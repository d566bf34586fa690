"""Index, load and invoke the app through azure-functions-runtime, as the host does.

The host's Python worker process receives gRPC ``StreamingMessage``s and
hands each to the runtime library with the message classes it was built with.
``Worker`` does the same in-process: worker init (which indexes
``function_app.py``), function metadata, one function load per function, then
invocations with inputs shaped as the host sends them.

The runtime keeps its registry in module globals and an app can be indexed
only once, so there is one ``Worker`` per process: ``Worker.start`` returns
the same instance on every call.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from tools.worker import protos as _protos


@dataclass
class _Request:
    """What the runtime's handlers take: ``.request`` and ``.properties``."""

    request: Any
    properties: dict[str, Any]


@dataclass(frozen=True)
class HttpResult:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Invocation:
    """What the worker handed back for one invocation."""

    ok: bool
    error: str | None = None
    return_kind: str | None = None
    return_value: Any = None
    http: HttpResult | None = None
    outputs: Mapping[str, Any] = field(default_factory=dict)
    output_kinds: Mapping[str, str | None] = field(default_factory=dict)


class Worker:
    _started: Worker | None = None

    def __init__(self, app_dir: Path, protos: ModuleType) -> None:
        self.app_dir = app_dir
        self.protos = protos
        self.functions: dict[str, Any] = {}
        self.init_response: Any = None
        self.load_responses: dict[str, Any] = {}
        self._ids = itertools.count(1)

    @classmethod
    async def start(cls, app_dir: Path) -> Worker:
        """Initialize the runtime on ``app_dir`` and load every function (once per process)."""
        if cls._started is not None:
            if cls._started.app_dir != app_dir:
                raise RuntimeError("the runtime is already serving another app in this process")
            return cls._started
        import azure_functions_runtime as runtime

        worker = cls(app_dir, _protos.load())
        if str(app_dir) not in sys.path:
            sys.path.insert(0, str(app_dir))
        p = worker.protos
        worker.init_response = await runtime.worker_init_request(
            worker._wrap(
                worker_init_request=p.WorkerInitRequest(
                    host_version="4.0.0-harness", function_app_directory=str(app_dir)
                )
            )
        )
        if worker.init_response.result.status != p.StatusResult.Success:
            raise RuntimeError(f"worker init failed: {worker.init_response.result.exception.message}")
        metadata = await runtime.functions_metadata_request(
            worker._wrap(
                functions_metadata_request=p.FunctionsMetadataRequest(function_app_directory=str(app_dir))
            )
        )
        for fn in metadata.function_metadata_results:
            loaded = await runtime.function_load_request(
                worker._wrap(
                    function_load_request=p.FunctionLoadRequest(function_id=fn.function_id, metadata=fn)
                )
            )
            worker.functions[fn.name] = fn
            worker.load_responses[fn.name] = loaded
        cls._started = worker
        return worker

    def raw_bindings(self, name: str) -> list[dict[str, Any]]:
        return [json.loads(b) for b in self.functions[name].raw_bindings]

    async def invoke(
        self,
        name: str,
        inputs: Mapping[str, Any],
        trigger_metadata: Mapping[str, Any] | None = None,
    ) -> Invocation:
        """Invoke function ``name`` with ``inputs`` (binding name -> TypedData)."""
        return self._decode(await self.invoke_raw(name, inputs, trigger_metadata))

    async def invoke_raw(
        self,
        name: str,
        inputs: Mapping[str, Any],
        trigger_metadata: Mapping[str, Any] | None = None,
    ) -> Any:
        """The worker's own InvocationResponse, undecoded (what the host receives)."""
        import azure_functions_runtime as runtime

        p = self.protos
        request = p.InvocationRequest(
            invocation_id=f"inv-{next(self._ids)}",
            function_id=self.functions[name].function_id,
            input_data=[p.ParameterBinding(name=k, data=v) for k, v in inputs.items()],
            trigger_metadata=dict(trigger_metadata or {}),
        )
        return await runtime.invocation_request(self._wrap(invocation_request=request))

    def invoke_sync(self, name: str, inputs: Mapping[str, Any], **kwargs: Any) -> Invocation:
        return asyncio.run(self.invoke(name, inputs, **kwargs))

    # TypedData builders, shaped as the host sends them

    def json(self, value: str) -> Any:
        return self.protos.TypedData(json=value)

    def string(self, value: str) -> Any:
        return self.protos.TypedData(string=value)

    def http(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        params: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
    ) -> Any:
        p = self.protos
        return p.TypedData(
            http=p.RpcHttp(
                method=method,
                url=url,
                headers=dict(headers or {}),
                body=p.TypedData(bytes=body),
                params=dict(params or {}),
                query=dict(query or {}),
            )
        )

    def _wrap(self, **content: Any) -> _Request:
        message = self.protos.StreamingMessage(request_id=f"req-{next(self._ids)}", **content)
        return _Request(message, {"host": "127.0.0.1", "protos": self.protos})

    def _decode(self, response: Any) -> Invocation:
        p = self.protos
        if response.result.status != p.StatusResult.Success:
            return Invocation(ok=False, error=response.result.exception.message)
        outputs: dict[str, Any] = {}
        kinds: dict[str, str | None] = {}
        for binding in response.output_data:
            kinds[binding.name], outputs[binding.name] = _value(binding.data)
        kind, value = _value(response.return_value) if response.HasField("return_value") else (None, None)
        http = None
        if kind == "http":
            http, value = value, None
        return Invocation(
            ok=True, return_kind=kind, return_value=value, http=http, outputs=outputs, output_kinds=kinds
        )


def _value(data: Any) -> tuple[str | None, Any]:
    kind = data.WhichOneof("data")
    if kind == "http":
        body_kind, body = _value(data.http.body)
        raw = body.encode() if isinstance(body, str) else (body or b"")
        return kind, HttpResult(int(data.http.status_code or 200), dict(data.http.headers), raw)
    if kind is None:
        return None, None
    return kind, getattr(data, kind)
