"""DynamoDB's side of the `Streams` port: a table's stream records, for event source mappings.

Each stream has one shard (see `services/dynamodbstreams`), closed once the stream is
disabled. A position is a record's SequenceNumber; records are numbered from one counter for
every stream, so the numbers of one stream grow but have gaps. Records come from
`StreamReader`; readers wait on the service's `signals`, woken by the write that commits a record.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloudlet.delivery.ports import ShardInfo, ShardRead, StreamInfo, StreamNotFound, StreamRecord
from cloudlet.delivery.wakeups import Wakeups
from cloudlet.services.dynamodb.streams import (
    RETENTION_SECONDS,
    StreamReader,
    sequence_number,
    shard_id,
)
from cloudlet.store import Store

_STREAM = "SELECT id, created, disabled, view_type FROM ddb_streams WHERE arn = ?"


class DynamoStreams:
    def __init__(self, store: Store, signals: Wakeups[str], reader: StreamReader) -> None:
        self.store = store
        self.signals = signals
        self.reader = reader

    async def describe(self, arn: str) -> StreamInfo | None:
        row = await self._row(arn)
        if row is None:
            return None
        return StreamInfo(arn, row[2] is None, float(RETENTION_SECONDS), row[3])

    async def shards(self, arn: str) -> list[ShardInfo]:
        row = await self._require(arn)
        return [ShardInfo(_shard_of(row), (), row[2] is not None)]

    async def position(
        self, arn: str, shard_id: str, starting: str, timestamp: float | None = None
    ) -> str:
        await self._require(arn, shard_id)
        if starting != "LATEST":
            return sequence_number(0)
        return sequence_number(await self.reader.latest(arn) or 0)

    async def read(self, arn: str, shard_id: str, after: str, limit: int) -> ShardRead:
        found = []
        for record in await self.reader.records(arn, _seq(after), limit):
            change = record["dynamodb"]
            key = orjson.dumps(change["Keys"], option=orjson.OPT_SORT_KEYS).decode()
            arrival = float(change["ApproximateCreationDateTime"])
            found.append(StreamRecord(change["SequenceNumber"], arrival, key, record))
        if len(found) == limit:
            return ShardRead(found, False)
        # Fewer than asked: the shard's end, if the stream is disabled (checked after reading,
        # so that no record written before it was disabled is missed).
        row = await self._require(arn, shard_id)
        return ShardRead(found, row[2] is not None)

    async def wait(self, arn: str, shard_id: str, after: str, timeout: float) -> bool:
        async def past_after() -> bool:
            return (await self.reader.latest(arn) or 0) > _seq(after)

        # Looked at once the wait is registered, so that no commit slips between.
        return await self.signals.wait(arn, timeout, ready=past_after)

    async def _row(self, arn: str) -> Any:
        return await self.store.read(lambda tx: tx.execute(_STREAM, (arn,)).fetchone())

    async def _require(self, arn: str, given: str | None = None) -> Any:
        row = await self._row(arn)
        if row is None or (given is not None and given != _shard_of(row)):
            raise StreamNotFound(f"{arn} has no shard {given}" if row else arn)
        return row


def _shard_of(row: Any) -> str:
    return shard_id(int(row[0]), float(row[1]))


def _seq(position: str) -> int:
    if not position.isdigit():
        raise StreamNotFound(f"{position} is no position in a DynamoDB stream")
    return int(position)
