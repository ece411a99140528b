"""The DynamoDB provider: tables in memory (a cache of their rows), items in the store.

`DynamoDBService` gathers the operations (see `operations/`) and runs the sweeper (TTL
deletions, stream retention) beside them. `signals` is the streams' notification hook
(`Wakeups` by stream ARN, woken by the write that commits a record); event source mappings
read streams through the `Streams` port it registers (`stream_port.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from cloudlet.services.base import Platform
from cloudlet.services.dynamodb.operations.batches import BatchOperations
from cloudlet.services.dynamodb.operations.items import ItemOperations
from cloudlet.services.dynamodb.operations.partiql import PartiqlOperations
from cloudlet.services.dynamodb.operations.tables import TableOperations
from cloudlet.services.dynamodb.operations.ttl import TtlOperations
from cloudlet.services.dynamodb.stream_port import DynamoStreams
from cloudlet.services.dynamodb.streams import RETENTION_SECONDS
from cloudlet.services.dynamodb.ttl import Sweeper


class DynamoDBService(
    TableOperations,
    ItemOperations,
    BatchOperations,
    TtlOperations,
    PartiqlOperations,  # with the reads and transactions it builds on
):
    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.sweeper = Sweeper(
            self.store,
            self.registry,
            self.signals,
            RETENTION_SECONDS / self.config.dynamodb_window_scale,
        )
        self._background: asyncio.Task[None] | None = None
        platform.ports.dynamodb_streams = DynamoStreams(
            self.store, self.signals, self.stream_reader
        )

    async def start(self) -> None:
        self._background = asyncio.get_running_loop().create_task(self.sweeper.run())

    async def stop(self) -> None:
        if self._background is not None:
            self._background.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._background

    def status(self) -> dict[str, Any]:
        return {"tables": len(self.registry)}
