"""What the engine runs for a function version: its `FunctionSpec`, built once and cached.

The spec's `revision` is a hash of everything that changes how the code runs (code, layers,
runtime, handler, limits, environment): environments of another revision are retired. A
function whose code is a local directory (cloudlet's development extension) is looked at
again at most every `LOCAL_CHECK_SECONDS` when invoked; a changed file gives a new revision,
so the next invocation runs the new code in a fresh environment.

A function runs as its execution role, as on AWS: the spec carries session credentials STS
issues for the role (session name: the function's name), so that GetCallerIdentity inside
the function answers `arn:aws:sts::ACCOUNT:assumed-role/ROLE/FUNCTION` and a strict server
accepts the function's calls. AWS renews them behind the running environments; cloudlet
issues them for `CREDENTIAL_LIFETIME` and, once half of it has passed, builds the spec anew
with fresh ones. The access key is part of the revision, so environments holding the old
keys are retired (one cold start per function version every six hours), and `renewed` is
told, so that provisioned concurrency initializes its environments again with the new
keys. A configuration update keeps the version's session unless it names another role.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson

from cloudlet.delivery.ports import Sessions
from cloudlet.engine.engine import Engine
from cloudlet.engine.spec import FunctionSpec
from cloudlet.services.lambda_.code import CodeStore
from cloudlet.services.lambda_.model import Function, Version

LOCAL_CHECK_SECONDS = 0.5
# STS's longest role session (12 hours); renewed half way through.
CREDENTIAL_LIFETIME = 12 * 3600
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


@dataclass(frozen=True, slots=True)
class RoleSession:
    """The credentials a version runs with: key, secret, token; the role; when to renew."""

    role_arn: str
    credentials: tuple[str, str, str]
    renew_at: float


class Execution:
    def __init__(
        self, codes: CodeStore, engine: Engine, endpoint: str, sessions: Sessions | None
    ) -> None:
        self.codes = codes
        self.engine = engine
        self.endpoint = endpoint
        self.sessions = sessions
        # Called after a version's credentials were renewed (the provisioner's `refresh`).
        self.renewed: Callable[[Function, Version], None] = lambda function, version: None
        self._builds: dict[tuple[str, str], asyncio.Future[FunctionSpec]] = {}

    async def spec(self, function: Function, version: Version) -> FunctionSpec:
        """The spec to invoke `version` with (a cached one on the warm path)."""
        if version.code.local_dir is not None:
            await self._look_at_local_code(function, version)
        spec = version.spec
        if spec is not None and time.time() >= spec.credentials_renew_at:
            version.session = None
            self.forget(function, version)
            spec = await self._built(function, version)
            self.renewed(function, version)
        elif spec is None:
            spec = await self._built(function, version)
        return spec

    async def _built(self, function: Function, version: Version) -> FunctionSpec:
        """The spec built once for all the invocations that want it at the same time: each
        build issues its own credentials, hence its own revision, and environments of
        another revision would be retired after their first invocation."""
        build = self._builds.get((function.arn, version.number))
        if build is None:
            build = asyncio.ensure_future(self._build_and_keep(function, version))
            self._builds[(function.arn, version.number)] = build
        return await asyncio.shield(build)

    async def _build_and_keep(self, function: Function, version: Version) -> FunctionSpec:
        """Build the spec and keep it on the version, unless the version was forgotten
        (its configuration changed) while it was being built."""
        key = (function.arn, version.number)
        try:
            spec = await self._build(function, version)
        finally:
            current = self._builds.get(key) is asyncio.current_task()
            if current:
                del self._builds[key]
        if current:
            version.spec = spec
        return spec

    def forget(self, function: Function, version: Version) -> None:
        """The version's configuration changed: build its spec anew, retire its environments."""
        version.spec = None
        self._builds.pop((function.arn, version.number), None)
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
        session = await self._session(function, version, str(config["Role"]))
        revision = hashlib.sha256(
            orjson.dumps(
                [
                    settings,
                    version.code.digest,
                    version.fingerprint,
                    [c.digest for c in layers],
                    session.credentials[0],
                ]
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
            credentials=session.credentials,
            credentials_renew_at=session.renew_at,
        )

    async def _session(self, function: Function, version: Version, role_arn: str) -> RoleSession:
        """The version's session for its execution role: the one it has, or a new one."""
        kept = version.session
        if kept is not None and kept.role_arn == role_arn and time.time() < kept.renew_at:
            return kept
        if self.sessions is None:  # no STS: an engine driven on its own
            return RoleSession(role_arn, FunctionSpec.credentials, math.inf)
        key = await self.sessions.assume(
            function.account, role_arn, function.name, CREDENTIAL_LIFETIME
        )
        version.session = RoleSession(
            role_arn,
            (key.access_key_id, key.secret_access_key, key.session_token),
            renew_at=(time.time() + key.expires_at) / 2,
        )
        return version.session


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
