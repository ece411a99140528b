"""Provisioned concurrency at work: environments initialized ahead, in the background.

A configuration is IN_PROGRESS until the engine has initialized the requested environments
of its version (an alias's version, for an alias), then READY, or FAILED when the function's
init fails. Configurations are provisioned again when the server starts, and when their
version's credentials are renewed (execution.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from cloudlet.engine.engine import Engine, ProvisioningFailed
from cloudlet.engine.runtimes import RuntimeMismatch
from cloudlet.services.lambda_.execution import Execution
from cloudlet.services.lambda_.model import Function, Provisioned, Version

log = logging.getLogger("cloudlet.lambda")

Background = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[Any]"]


class Provisioner:
    def __init__(self, engine: Engine, execution: Execution, background: Background) -> None:
        self.engine = engine
        self.execution = execution
        self.background = background
        self.running: dict[tuple[str, str], asyncio.Task[Any]] = {}

    def start(self, function: Function, qualifier: str, version: Version) -> None:
        """(Re)provision `qualifier`'s configuration on `version`, in the background."""
        config = function.provisioned[qualifier]
        config.status, config.reason, config.version = "IN_PROGRESS", None, version
        self._run(function, qualifier, config, version)

    def refresh(self, function: Function, version: Version) -> None:
        """`version`'s spec was built anew (its credentials renewed): initialize its READY
        configurations' environments again from it; they stay READY meanwhile, as on AWS,
        where renewals are not seen."""
        for qualifier, config in function.provisioned.items():
            if config.version is version and config.status == "READY":
                self._run(function, qualifier, config, version)

    def _run(
        self, function: Function, qualifier: str, config: Provisioned, version: Version
    ) -> None:
        self._cancel(function, qualifier)
        key = (function.arn, qualifier)
        self.running[key] = self.background(self._provision(function, config, version))
        self.running[key].add_done_callback(lambda task: self._done(key, task))

    async def stop(self, function: Function, qualifier: str) -> None:
        """Release the environments of `qualifier`'s configuration."""
        self._cancel(function, qualifier)
        config = function.provisioned.get(qualifier)
        if config is not None and config.version is not None:
            # Any spec of the version names its pool; the one it has is not renewed here.
            spec = config.version.spec or await self.execution.spec(function, config.version)
            await self.engine.provision(spec, 0)

    def available(self, function: Function, config: Provisioned) -> int:
        if config.version is None or config.version.spec is None:
            return 0
        return self.engine.provisioned_ready(config.version.spec)

    async def _provision(self, function: Function, config: Provisioned, version: Version) -> None:
        try:
            spec = await self.execution.spec(function, version)
            await self.engine.provision(spec, config.requested)
        except (ProvisioningFailed, RuntimeMismatch) as error:
            log.warning("provisioned concurrency of %s failed: %s", function.arn, error)
            config.status, config.reason = "FAILED", "FUNCTION_ERROR_INIT_FAILURE"
            return
        config.status = "READY"

    def _cancel(self, function: Function, qualifier: str) -> None:
        task = self.running.pop((function.arn, qualifier), None)
        if task is not None:
            task.cancel()

    def _done(self, key: tuple[str, str], task: asyncio.Task[Any]) -> None:
        if self.running.get(key) is task:
            del self.running[key]
