"""What the engine runs for a function version: its `FunctionSpec`, built once and cached.

The spec's `revision` is a hash of everything that changes how the code runs (code, layers,
runtime, handler, limits, environment): environments of another revision are retired. A
function whose code is a local directory (cloudlet's development extension) is looked at
again at most every `LOCAL_CHECK_SECONDS` when invoked; a changed file gives a new revision,
so the next invocation runs the new code in a fresh environment.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from pathlib import Path

import orjson

from cloudlet.engine.engine import Engine
from cloudlet.engine.spec import FunctionSpec
from cloudlet.services.lambda_.code import CodeStore
from cloudlet.services.lambda_.model import Function, Version

LOCAL_CHECK_SECONDS = 0.5
_RUN_SETTINGS = (
    "Runtime",
    "Handler",
    "MemorySize",
    "Timeout",
    "Environment",
    "EphemeralStorage",
    "SnapStart",
)
_SKIPPED_DIRECTORIES = ("__pycache__",)


class Execution:
    def __init__(self, codes: CodeStore, engine: Engine, endpoint: str) -> None:
        self.codes = codes
        self.engine = engine
        self.endpoint = endpoint

    async def spec(self, function: Function, version: Version) -> FunctionSpec:
        """The spec to invoke `version` with (a cached one on the warm path)."""
        if version.code.local_dir is not None:
            await self._look_at_local_code(function, version)
        if version.spec is None:
            version.spec = await self._build(function, version)
        return version.spec

    def forget(self, function: Function, version: Version) -> None:
        """The version's configuration changed: build its spec anew, retire its environments."""
        version.spec = None
        self.engine.retire_function(function.arn, version.number)

    async def _look_at_local_code(self, function: Function, version: Version) -> None:
        now = time.monotonic()
        if now - version.checked_at < LOCAL_CHECK_SECONDS and version.spec is not None:
            return
        version.checked_at = now
        assert version.code.local_dir is not None
        fingerprint = await asyncio.to_thread(directory_fingerprint, version.code.local_dir)
        if fingerprint != version.fingerprint:
            if version.fingerprint:
                self.forget(function, version)
            version.fingerprint = fingerprint
            version.spec = None

    async def _build(self, function: Function, version: Version) -> FunctionSpec:
        config = version.config
        layers = [layer.code for layer in version.layers]
        opt_dir = await asyncio.to_thread(self.codes.merged_layers, layers) if layers else None
        settings = {name: config.get(name) for name in _RUN_SETTINGS}
        revision = hashlib.sha256(
            orjson.dumps(
                [settings, version.code.digest, version.fingerprint, [c.digest for c in layers]]
            )
        ).hexdigest()[:16]
        runtime = str(config["Runtime"])
        return FunctionSpec(
            function_name=function.name,
            version=version.number,
            function_arn=function.arn,
            runtime=runtime,
            handler=str(config.get("Handler") or ""),
            code_dir=self.codes.directory(version.code),
            opt_dir=opt_dir,
            memory_size=int(config["MemorySize"]),
            timeout=float(config["Timeout"]),
            region=function.region,
            account_id=function.account,
            endpoint=self.endpoint,
            tmp_dir=str(self.codes.tmp),
            revision=revision,
            python=python_version(runtime),
            ephemeral_storage=int((config.get("EphemeralStorage") or {}).get("Size") or 512),
            environment=dict((config.get("Environment") or {}).get("Variables") or {}),
            # SnapStart applies to published versions, as on AWS.
            snapshot=(config.get("SnapStart") or {}).get("OptimizationStatus") == "On",
        )


def python_version(runtime: str) -> tuple[int, int]:
    if runtime.startswith("python3."):
        return (3, int(runtime.removeprefix("python3.")))
    return (3, 11)


def directory_fingerprint(directory: str) -> str:
    """A hash of the names, sizes and modification times of the files under `directory`."""
    digest = hashlib.sha256()
    root = Path(directory)
    for parent, directories, files in os.walk(root):
        directories[:] = sorted(
            d for d in directories if not d.startswith(".") and d not in _SKIPPED_DIRECTORIES
        )
        for name in sorted(files):
            path = os.path.join(parent, name)
            try:
                info = os.stat(path)
            except OSError:
                continue
            digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()
