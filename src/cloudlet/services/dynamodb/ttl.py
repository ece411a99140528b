"""The background work of DynamoDB: TTL deletions and stream retention.

Every second the sweeper deletes up to a batch of expired items, each as a REMOVE with its
stream record marked as TTL's (userIdentity dynamodb.amazonaws.com), then trims stream
records older than 24 hours. An expired item stays readable until the sweeper deletes it,
as on AWS, where the delay is up to a few days; here it is about a second.
"""

from __future__ import annotations

import asyncio
import logging
import time

import orjson

from cloudlet.services.dynamodb.registry import TableRegistry
from cloudlet.services.dynamodb.storage import apply_change, prepare_change
from cloudlet.services.dynamodb.streams import RETENTION_SECONDS, StreamSignals
from cloudlet.store import Store, Tx

log = logging.getLogger("cloudlet.dynamodb")

INTERVAL = 1.0
BATCH = 500


class Sweeper:
    def __init__(self, store: Store, registry: TableRegistry, signals: StreamSignals) -> None:
        self.store = store
        self.registry = registry
        self.signals = signals

    async def run(self) -> None:
        while True:
            await asyncio.sleep(INTERVAL)
            try:
                while await self.sweep(time.time()) == BATCH:
                    pass
            except Exception:  # a failed sweep is retried at the next tick
                log.exception("TTL sweep failed")

    async def sweep(self, now: float) -> int:
        """Delete expired items (one batch) and old stream records; how many items went."""

        def sweep(tx: Tx) -> tuple[int, set[str]]:
            rows = tx.execute(
                "SELECT table_id, pk, sk, item FROM ddb_items WHERE expires IS NOT NULL"
                " AND expires <= ? LIMIT ?",
                (now, BATCH),
            ).fetchall()
            streams: set[str] = set()
            for table_id, pk, sk, raw in rows:
                table = self.registry.by_id.get(table_id)
                if table is None:
                    continue
                change = prepare_change(table, (bytes(pk), bytes(sk)), orjson.loads(raw), None)
                stream = apply_change(tx, change, now, ttl=True)
                if stream is not None:
                    streams.add(stream)
            tx.execute(
                "DELETE FROM ddb_stream_records WHERE created < ?", (now - RETENTION_SECONDS,)
            )
            tx.execute(
                "DELETE FROM ddb_streams WHERE disabled IS NOT NULL AND disabled < ?",
                (now - RETENTION_SECONDS,),
            )
            tx.execute("DELETE FROM ddb_transactions WHERE expires < ?", (now,))
            return len(rows), streams

        count, streams = await self.store.write(sweep)
        self.signals.notify(streams)
        return count
