"""The Kinesis Data Streams provider: streams in memory (a cache of their rows), records in
the store, keyed so that reading a shard is a range scan.

`KinesisService` gathers the operations (see `operations/`) and runs the retention sweep.
Other parts of cloudlet hear about new records through `KinesisService.arrivals`, and read
shards through the `Streams` port it registers (`stream_port.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.validate import Problem
from cloudlet.services.base import Platform
from cloudlet.services.kinesis.operations.consumers import ConsumerOperations
from cloudlet.services.kinesis.operations.records import RecordOperations
from cloudlet.services.kinesis.operations.shards import ShardOperations
from cloudlet.services.kinesis.operations.tags import TagOperations
from cloudlet.services.kinesis.stream_port import KinesisStreams
from cloudlet.services.kinesis.validation import validation_error


class KinesisService(ShardOperations, RecordOperations, TagOperations, ConsumerOperations):
    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self._sweeping: asyncio.Task[None] | None = None
        platform.ports.kinesis = KinesisStreams(self)

    async def start(self) -> None:
        self._sweeping = asyncio.get_running_loop().create_task(self.sweeper.run())

    async def stop(self) -> None:
        if self._sweeping is not None:
            self._sweeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeping

    def status(self) -> dict[str, Any]:
        streams = list(self.registry.by_key.values())
        return {
            "streams": len(streams),
            "open_shards": sum(len(s.open_shards()) for s in streams),
        }

    def invalid_input(self, operation: str, problems: list[Problem]) -> ServiceError:
        if any(problem.kind == "type" for problem in problems):
            return super().invalid_input(operation, problems)
        return validation_error(problems)
