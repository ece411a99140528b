"""The background work of DynamoDB: TTL deletions and stream retention.

Every second the sweeper looks for expired items (a read) and deletes them, each as a REMOVE
whose stream record is marked as TTL's (userIdentity dynamodb.amazonaws.com); every minute
it trims stream records older than 24 hours. An expired item stays readable until the
sweeper deletes it, as on AWS, where the delay is up to a few days; here about a second.
Like AWS, TTL ignores an item whose TTL attribute is more than five years in the past (a
value in milliseconds, or a mistake), rather than deleting it.
"""

from __future__ import annotations

import asyncio
import logging
import time

import orjson

from cloudlet.delivery.wakeups import Wakeups
from cloudlet.services.dynamodb.registry import TableRegistry
from cloudlet.services.dynamodb.storage import apply_change, prepare_change
from cloudlet.services.dynamodb.streams import RETENTION_SECONDS
from cloudlet.store import Store, Tx

log = logging.getLogger("cloudlet.dynamodb")

INTERVAL = 1.0
TRIM_INTERVAL = 60.0
BATCH = 500
# TTL's horizon: items that expired longer ago than this are never deleted.
IGNORED_AFTER = 5 * 365 * 24 * 3600


class Sweeper:
    def __init__(
        self,
        store: Store,
        registry: TableRegistry,
        signals: Wakeups[str],
        retention: float = RETENTION_SECONDS,
    ) -> None:
        self.store = store
        self.registry = registry
        self.signals = signals
        self.retention = retention  # shortened by CLOUDLET_DYNAMODB_WINDOW_SCALE (tests)
        self.trimmed = 0.0

    async def run(self) -> None:
        while True:
            await asyncio.sleep(INTERVAL)
            try:
                while await self.sweep(time.time()) == BATCH:
                    pass
                if time.time() - self.trimmed >= min(TRIM_INTERVAL, self.retention):
                    await self.trim(time.time())
            except Exception:  # a failed sweep is retried at the next tick
                log.exception("DynamoDB sweep failed")

    async def sweep(self, now: float) -> int:
        """Delete one batch of expired items; how many were found."""
        expired = await self.store.read(
            lambda tx: tx.execute(
                "SELECT table_id, pk, sk FROM ddb_items WHERE expires IS NOT NULL"
                " AND expires <= ? AND expires > ? LIMIT ?",
                (now, now - IGNORED_AFTER, BATCH),
            ).fetchall()
        )
        if not expired:
            return 0

        def delete(tx: Tx) -> set[str]:
            streams: set[str] = set()
            for table_id, pk, sk in expired:
                table = self.registry.by_id.get(table_id)
                # Read again in the write: the item may have changed since.
                row = tx.execute(
                    "SELECT item, expires FROM ddb_items WHERE table_id = ? AND pk = ? AND sk = ?",
                    (table_id, pk, sk),
                ).fetchone()
                if table is None or row is None or not _expired(row[1], now):
                    continue
                change = prepare_change(table, (bytes(pk), bytes(sk)), orjson.loads(row[0]), None)
                stream = apply_change(tx, change, now, ttl=True)
                if stream is not None:
                    streams.add(stream)
            return streams

        for stream in await self.store.write(delete):
            self.signals.wake(stream)
        return len(expired)

    async def trim(self, now: float) -> None:
        """Forget stream records past retention, old streams, and used transaction tokens."""

        def trim(tx: Tx) -> None:
            cutoff = now - self.retention
            # Remember how far each stream is trimmed: an iterator before that point reads
            # records that are gone (TrimmedDataAccessException).
            tx.execute(
                "UPDATE ddb_streams SET trimmed = (SELECT MAX(seq) FROM ddb_stream_records"
                " WHERE stream_id = ddb_streams.id AND created < ?) WHERE id IN"
                " (SELECT stream_id FROM ddb_stream_records WHERE created < ?)",
                (cutoff, cutoff),
            )
            tx.execute("DELETE FROM ddb_stream_records WHERE created < ?", (cutoff,))
            tx.execute(
                "DELETE FROM ddb_streams WHERE disabled IS NOT NULL AND disabled < ?", (cutoff,)
            )
            tx.execute("DELETE FROM ddb_transactions WHERE expires < ?", (now,))

        await self.store.write(trim)
        self.trimmed = now


def _expired(expires: float | None, now: float) -> bool:
    """Whether TTL deletes an item that expires then: past, but not five years past."""
    return expires is not None and now - IGNORED_AFTER < expires <= now
