"""DynamoDB's side of the `Streams` port: a table's stream records, for event source mappings.

Each stream has one shard (see `services/dynamodbstreams`), closed once the stream is
disabled. A position is a record's SequenceNumber; records are numbered from one counter for
every stream, so the numbers of one stream grow but have gaps. Readers wait on
`StreamSignals`, set by the write that commits a record.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import orjson

from cloudlet.delivery.ports import ShardInfo, ShardRead, StreamInfo, StreamNotFound, StreamRecord
from cloudlet.services.dynamodb.streams import (
    RETENTION_SECONDS,
    StreamSignals,
    numbered,
    sequence_number,
    shard_id,
)
from cloudlet.store import Store, Tx

_STREAM = "SELECT id, created, disabled, view_type FROM ddb_streams WHERE arn = ?"


class DynamoStreams:
    def __init__(self, store: Store, signals: StreamSignals) -> None:
        self.store = store
        self.signals = signals

    async def describe(self, arn: str) -> StreamInfo | None:
        row = await self.store.read(lambda tx: tx.execute(_STREAM, (arn,)).fetchone())
        if row is None:
            return None
        return StreamInfo(arn, row[2] is None, float(RETENTION_SECONDS), row[3])

    async def shards(self, arn: str) -> list[ShardInfo]:
        stream_id, created, disabled, _ = await self._stream(arn)
        return [ShardInfo(shard_id(stream_id, created), (), disabled is not None)]

    async def position(
        self, arn: str, shard_id: str, starting: str, timestamp: float | None = None
    ) -> str:
        stream_id, *_ = await self._stream(arn, shard_id)
        if starting != "LATEST":
            return sequence_number(0)
        return sequence_number(await self.store.read(lambda tx: _newest(tx, stream_id)))

    async def read(self, arn: str, shard_id: str, after: str, limit: int) -> ShardRead:
        start = _seq(after)
        not_before = time.time() - RETENTION_SECONDS

        def run(tx: Tx) -> tuple[Any, list[Any]]:
            stream = tx.execute(_STREAM, (arn,)).fetchone()
            if stream is None:
                return None, []
            rows = tx.execute(
                "SELECT seq, created, record FROM ddb_stream_records"
                " WHERE stream_id = ? AND seq > ? AND created >= ? ORDER BY seq LIMIT ?",
                (stream[0], start, not_before, limit),
            ).fetchall()
            return stream, rows

        stream, rows = await self.store.read(run)
        if stream is None or shard_id != _shard_of(stream):
            raise StreamNotFound(f"{arn} has no shard {shard_id}")
        found = []
        for seq, created, raw in rows:
            record = numbered(seq, raw)
            key = orjson.dumps(record["dynamodb"]["Keys"], option=orjson.OPT_SORT_KEYS).decode()
            found.append(StreamRecord(sequence_number(seq), created, key, record))
        return ShardRead(found, stream[2] is not None and len(rows) < limit)

    async def wait(self, arn: str, shard_id: str, after: str, timeout: float) -> bool:
        stream_id, *_ = await self._stream(arn, shard_id)
        changed = self.signals.changed(arn)  # before looking, so that no commit slips between
        start = _seq(after)
        if await self.store.read(lambda tx: _newest(tx, stream_id)) > start:
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout)
        return changed.is_set()

    async def _stream(self, arn: str, given: str | None = None) -> tuple[int, float, Any, str]:
        row = await self.store.read(lambda tx: tx.execute(_STREAM, (arn,)).fetchone())
        if row is None:
            raise StreamNotFound(arn)
        if given is not None and given != _shard_of(row):
            raise StreamNotFound(f"{arn} has no shard {given}")
        return int(row[0]), float(row[1]), row[2], str(row[3])


def _shard_of(row: Any) -> str:
    return shard_id(int(row[0]), float(row[1]))


def _newest(tx: Tx, stream_id: int) -> int:
    row = tx.execute("SELECT MAX(seq) FROM ddb_stream_records WHERE stream_id = ?", (stream_id,))
    return int(row.fetchone()[0] or 0)


def _seq(position: str) -> int:
    if not position.isdigit():
        raise StreamNotFound(f"{position} is no position in a DynamoDB stream")
    return int(position)
