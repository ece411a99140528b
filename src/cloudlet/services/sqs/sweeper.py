"""Retention and the other clocks of SQS's rules, kept in the background.

Receives already skip messages older than their queue's MessageRetentionPeriod; the sweeper
deletes them, with deduplication ids and receive attempts past their five minutes.
"""

from __future__ import annotations

import asyncio
import logging
import time

from cloudlet.delivery.wakeups import Wakeups
from cloudlet.services.sqs import fifo, rows
from cloudlet.services.sqs.registry import QueueRegistry
from cloudlet.store import Store, Tx

log = logging.getLogger("cloudlet.sqs")

SWEEP_INTERVAL = 10.0
# Expired messages deleted per sweep, so that one sweep never holds the writer for long.
SWEEP_BATCH = 5000


class Sweeper:
    def __init__(
        self, store: Store, registry: QueueRegistry, waiters: Wakeups[int], deleted_window: float
    ) -> None:
        self.store = store
        self.registry = registry
        self.waiters = waiters
        self.deleted_window = deleted_window

    async def run(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL)
            try:
                await self.sweep(time.time())
            except Exception:  # a failed sweep is retried at the next interval
                log.exception("SQS retention sweep failed")

    async def sweep(self, now: float) -> None:
        queues = [(q.id, q.fifo, now - q.retention) for q in self.registry.by_id.values()]

        def expire(tx: Tx) -> list[int]:
            emptied = []
            budget = SWEEP_BATCH
            for queue_id, is_fifo, oldest in queues:
                if budget <= 0:
                    break
                gone = rows.expire(tx, queue_id, is_fifo, oldest, budget)
                budget -= gone
                if gone and is_fifo:
                    emptied.append(queue_id)
            fifo.forget_expired(tx, now)
            return emptied

        for queue_id in await self.store.write(expire):
            self.waiters.wake(queue_id)  # a FIFO group's next message may be deliverable
        for key, deleted in list(self.registry.deleted.items()):
            if now - deleted >= self.deleted_window:
                del self.registry.deleted[key]
