"""Kinesis's side of the `Streams` port: shards and records by ARN, for event source mappings.

Positions are sequence numbers in Kinesis's layout; only their record index matters here, so
a position needs no record behind it (TRIM_HORIZON is index 0 of the shard). Reads go
straight to the store's range scan, like GetRecords without its iterators and limits.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from cloudlet.delivery.ports import ShardInfo, ShardRead, StreamInfo, StreamNotFound, StreamRecord
from cloudlet.services.kinesis import records, sequence
from cloudlet.services.kinesis.limits import GET_RECORDS_MAX_BYTES
from cloudlet.services.kinesis.names import parse_stream_arn, shard_id, shard_index
from cloudlet.services.kinesis.streams import Shard, Stream

if TYPE_CHECKING:
    from cloudlet.services.kinesis.base import KinesisBase


class KinesisStreams:
    def __init__(self, service: KinesisBase) -> None:
        self.registry = service.registry
        self.store = service.store
        self.arrivals = service.arrivals

    async def describe(self, arn: str) -> StreamInfo | None:
        stream = self._stream(arn)
        if stream is None:
            return None
        return StreamInfo(arn, True, stream.retention_hours * 3600.0)

    async def shards(self, arn: str) -> list[ShardInfo]:
        stream = self._require(arn)
        return [
            ShardInfo(
                shard.id,
                tuple(shard_id(p) for p in (shard.parent, shard.adjacent_parent) if p is not None),
                shard.closed is not None,
            )
            for shard in stream.visible_shards(time.time())
        ]

    async def position(
        self, arn: str, shard_id: str, starting: str, timestamp: float | None = None
    ) -> str:
        stream = self._require(arn)
        shard = self._shard(stream, shard_id)
        if starting == "LATEST":
            return shard.sequence_number(shard.committed, shard.newest_arrival)
        if starting == "AT_TIMESTAMP" and timestamp is not None:
            moment = max(int(timestamp * 1000), 0)
            index = await self.store.read(records.last_before(stream.id, shard.index, moment))
            return shard.sequence_number(index, moment)
        return shard.sequence_number(0, int(shard.created * 1000))

    async def read(self, arn: str, shard_id: str, after: str, limit: int) -> ShardRead:
        stream = self._require(arn)
        shard = self._shard(stream, shard_id)
        index = _index(after, shard)
        found: list[records.StoredRecord] = []
        if index < shard.committed:
            not_before = int(time.time() * 1000) - stream.retention_ms
            found = await self.store.read(
                records.read(
                    stream.id, shard.index, index, not_before, limit, GET_RECORDS_MAX_BYTES
                )
            )
        last = found[-1].index if found else index
        read = [
            StreamRecord(
                shard.sequence_number(stored.index, stored.arrival),
                stored.arrival / 1000,
                stored.partition_key,
                {
                    "SequenceNumber": shard.sequence_number(stored.index, stored.arrival),
                    "ApproximateArrivalTimestamp": stored.arrival / 1000,
                    "Data": stored.data,
                    "PartitionKey": stored.partition_key,
                },
            )
            for stored in found
        ]
        return ShardRead(read, shard.closed is not None and last >= shard.committed)

    async def wait(self, arn: str, shard_id: str, after: str, timeout: float) -> bool:
        return await self.arrivals.wait(arn, shard_id, after, timeout)

    def _stream(self, arn: str) -> Stream | None:
        parts = parse_stream_arn(arn)
        if parts is None:
            return None
        region, account, name = parts
        stream = self.registry.get(account, region, name)
        if stream is None or stream.status(time.time()) in ("CREATING", "DELETING"):
            return None
        return stream

    def _require(self, arn: str) -> Stream:
        stream = self._stream(arn)
        if stream is None:
            raise StreamNotFound(arn)
        return stream

    @staticmethod
    def _shard(stream: Stream, given: str) -> Shard:
        index = shard_index(given)
        shard = stream.shard(index) if index is not None else None
        if shard is None:
            raise StreamNotFound(f"{stream.arn} has no shard {given}")
        return shard


def _index(position: str, shard: Shard) -> int:
    """The record index a position stands for in `shard` (0: before every record)."""
    decoded = sequence.decode(position)
    if decoded is None or decoded.shard != shard.index:
        raise StreamNotFound(f"{position} is no position in {shard.id}")
    return decoded.index
