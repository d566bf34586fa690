"""Compile ``functionrpc.proto`` with grpcio-tools and import the result.

No PyPI package ships the Functions RPC message classes, so they are built
from our own schema each time a process needs them (well under a second).
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import tempfile
from functools import cache
from pathlib import Path
from types import ModuleType

SCHEMA = Path(__file__).with_name("functionrpc.proto")


@cache
def load() -> ModuleType:
    """The compiled message classes, as the module the runtime calls ``protos``."""
    from grpc_tools import protoc

    out = Path(tempfile.mkdtemp(prefix="functionrpc-"))
    well_known = importlib.resources.files("grpc_tools") / "_proto"
    status = protoc.main(
        [
            "protoc",
            f"--proto_path={SCHEMA.parent}",
            f"--proto_path={well_known}",
            f"--python_out={out}",
            SCHEMA.name,
        ]
    )
    if status != 0:
        raise RuntimeError(f"protoc failed ({status}) compiling {SCHEMA}")
    spec = importlib.util.spec_from_file_location("functionrpc_pb2", out / "functionrpc_pb2.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
