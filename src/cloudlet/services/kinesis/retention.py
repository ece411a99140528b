"""The retention sweep: records older than their stream's retention period leave the store.

Reads already hide them (GetRecords skips records past the period); the sweep reclaims the
space, shard by shard, a batch per write so that it never holds the writer for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from cloudlet.services.kinesis import records
from cloudlet.services.kinesis.registry import StreamRegistry
from cloudlet.store import Store

log = logging.getLogger("cloudlet.kinesis")

INTERVAL = 60.0  # seconds between sweeps


class RetentionSweeper:
    def __init__(self, store: Store, registry: StreamRegistry) -> None:
        self.store = store
        self.registry = registry
        self._wake = asyncio.Event()

    def soon(self) -> None:
        """Sweep now rather than at the next interval (a retention period got shorter)."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), INTERVAL)
            self._wake.clear()
            try:
                removed = await self.sweep()
            except Exception:
                log.exception("retention sweep failed; trying again at the next one")
                continue
            if removed:
                log.info("retention sweep removed %d expired records", removed)

    async def sweep(self) -> int:
        """Remove every expired record; return how many went."""
        removed = 0
        now_ms = int(time.time() * 1000)
        for stream in list(self.registry.by_key.values()):
            cutoff = now_ms - stream.retention_ms
            for shard in list(stream.shards):
                if shard.committed == 0:
                    continue  # never held a record
                while True:
                    batch = await self.store.write(records.expire(stream.id, shard.index, cutoff))
                    removed += batch
                    if batch < records.SWEEP_BATCH:
                        break
        return removed
