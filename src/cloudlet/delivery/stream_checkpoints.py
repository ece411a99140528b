"""Where each stream event source mapping is in each shard: one row per mapping and shard.

A row holds the sequence number of the last record processed (every record up to it is
done: invoked successfully, filtered out, or discarded to the failure destination) and
whether the shard was read to its end. It is written after each batch settles, so a
restarted poller resumes just after it: a batch in flight at a crash runs again, none is
skipped (at least once, as on AWS).

A mapping's shards are read by one poller at a time: a poller replacing another (the
mapping changed) waits for the `lease` of its predecessor, so that the two never read the
same shard at once and the new one starts from the old one's last checkpoint.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass

from cloudlet.store import Migration, Store, Tx

MIGRATIONS: list[Migration] = [
    """
    CREATE TABLE lambda_stream_checkpoints (
        mapping TEXT NOT NULL,
        shard TEXT NOT NULL,
        position TEXT NOT NULL,
        finished INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (mapping, shard)
    );
    """,
]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    position: str  # the sequence number of the last record done
    finished: bool  # the shard is closed and every record of it is done


class Checkpoints:
    def __init__(self, store: Store) -> None:
        self.store = store
        store.migrate("lambda_stream_checkpoints", MIGRATIONS)
        self._leases: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def lease(self, mapping: str) -> AsyncIterator[None]:
        """Hold the mapping's shards while a poller reads them."""
        lock = self._leases.setdefault(mapping, asyncio.Lock())
        async with lock:
            yield

    async def load(self, mapping: str) -> dict[str, Checkpoint]:
        rows = await self.store.read(
            lambda tx: tx.execute(
                "SELECT shard, position, finished FROM lambda_stream_checkpoints WHERE mapping = ?",
                (mapping,),
            ).fetchall()
        )
        return {shard: Checkpoint(position, bool(finished)) for shard, position, finished in rows}

    async def save(self, mapping: str, shard: str, position: str, finished: bool = False) -> None:
        row = (mapping, shard, position, int(finished))
        await self.store.write(lambda tx: _upsert(tx, [row]))

    async def seed(self, mapping: str, positions: dict[str, str]) -> None:
        """Where a new mapping starts in each shard it can see now (LATEST, AT_TIMESTAMP)."""
        rows = [(mapping, shard, position, 0) for shard, position in positions.items()]
        if rows:
            await self.store.write(lambda tx: _upsert(tx, rows))

    async def forget(self, mapping: str) -> None:
        """A deleted mapping's rows."""
        await self.store.write(
            lambda tx: tx.execute(
                "DELETE FROM lambda_stream_checkpoints WHERE mapping = ?", (mapping,)
            )
        )

    async def keep_only(self, mappings: Collection[str]) -> None:
        """Remove the rows of mappings that no longer exist (deleted while a poller ran)."""
        kept = set(mappings)

        def prune(tx: Tx) -> None:
            known = tx.execute("SELECT DISTINCT mapping FROM lambda_stream_checkpoints").fetchall()
            for (mapping,) in known:
                if mapping not in kept:
                    tx.execute(
                        "DELETE FROM lambda_stream_checkpoints WHERE mapping = ?", (mapping,)
                    )

        await self.store.write(prune)


def _upsert(tx: Tx, rows: list[tuple[str, str, str, int]]) -> None:
    tx.executemany(
        "INSERT INTO lambda_stream_checkpoints (mapping, shard, position, finished)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (mapping, shard)"
        " DO UPDATE SET position = excluded.position, finished = excluded.finished",
        rows,
    )
