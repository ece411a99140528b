"""Record operations: PutRecord, PutRecords, GetShardIterator, GetRecords.

A write routes each record to a shard, gives it the shard's next index, and answers once the
rows are committed; then the shard's readers are told (see `arrivals`).
"""

from __future__ import annotations

import time
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.validate import Problem
from cloudlet.services.base import RequestContext
from cloudlet.services.kinesis import iterators, limits, records, sequence
from cloudlet.services.kinesis.base import KinesisBase
from cloudlet.services.kinesis.errors import (
    dry_run,
    expired_iterator,
    invalid_argument,
    invalid_iterator,
    shard_not_found,
    throttled,
    throttled_message,
    unknown_shard,
)
from cloudlet.services.kinesis.hashing import MAX_HASH_KEY, hash_key
from cloudlet.services.kinesis.names import parse_stream_arn, shard_id, shard_index
from cloudlet.services.kinesis.records import RecordRow
from cloudlet.services.kinesis.streams import Shard, Stream
from cloudlet.services.kinesis.validation import validation_error

_POSITIONED = ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER")


class RecordOperations(KinesisBase):
    # -- writing --------------------------------------------------------------------------------

    async def put_record(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream = self._readable(ctx, request)
        data = request["Data"]
        limit = stream.max_record_kib * 1024
        if len(data) > limit:
            raise validation_error([Problem(("Data",), "max_length", data, limit)])
        key = request.get("PartitionKey")
        if key is None:
            raise validation_error([Problem(("PartitionKey",), "missing", None)])
        ordering = request.get("SequenceNumberForOrdering")
        if ordering is not None and sequence.decode(ordering) is None:
            raise invalid_argument(
                f"ExclusiveMinimumSequenceNumber {ordering} used in PutRecord on stream"
                f" {stream.name} under account {stream.account} is invalid."
            )
        shard = stream.route(_hash(request.get("ExplicitHashKey"), key))
        if request.get("DryRun"):
            raise dry_run()
        if self.throttle is not None and not self.throttle.allows(
            stream.id, shard.index, len(data) + len(key.encode())
        ):
            raise throttled(shard.id, stream.name, stream.account)
        index, arrival = shard.assign(_now_ms())
        await self.store.write(
            records.insert([(stream.id, shard.index, index, key, data, arrival)])
        )
        shard.commit(index, arrival)
        self.arrivals.notify(stream, shard)
        result = {"ShardId": shard.id, "SequenceNumber": shard.sequence_number(index, arrival)}
        if stream.encryption == "KMS":
            result["EncryptionType"] = "KMS"
        return result

    async def put_records(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream = self._readable(ctx, request)
        entries = request["Records"]
        _check_entries(entries, stream.max_record_kib * 1024)
        targets = [
            stream.route(_hash(entry.get("ExplicitHashKey"), entry["PartitionKey"]))
            for entry in entries
        ]
        if request.get("DryRun"):
            raise dry_run()
        now = _now_ms()
        rows: list[RecordRow] = []
        results: list[dict[str, Any]] = []
        newest: dict[int, tuple[Shard, int, int]] = {}
        for entry, shard in zip(entries, targets, strict=True):
            key, data = entry["PartitionKey"], entry["Data"]
            if self.throttle is not None and not self.throttle.allows(
                stream.id, shard.index, len(data) + len(key.encode())
            ):
                results.append(
                    {
                        "ErrorCode": "ProvisionedThroughputExceededException",
                        "ErrorMessage": throttled_message(shard.id, stream.name, stream.account),
                    }
                )
                continue
            index, arrival = shard.assign(now)
            rows.append((stream.id, shard.index, index, key, data, arrival))
            results.append(
                {"SequenceNumber": shard.sequence_number(index, arrival), "ShardId": shard.id}
            )
            newest[shard.index] = (shard, index, arrival)
        if rows:
            await self.store.write(records.insert(rows))
        for shard, index, arrival in newest.values():
            shard.commit(index, arrival)
            self.arrivals.notify(stream, shard)
        result: dict[str, Any] = {
            "FailedRecordCount": len(entries) - len(rows),
            "Records": results,
        }
        if stream.encryption == "KMS":
            result["EncryptionType"] = "KMS"
        return result

    # -- reading --------------------------------------------------------------------------------

    async def get_shard_iterator(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        stream, shard = self._shard(ctx, request)
        kind = request["ShardIteratorType"]
        start = request.get("StartingSequenceNumber")
        if (kind in _POSITIONED) != (start is not None):
            wording = (
                "no StartingSequenceNumber" if start is None else "also a StartingSequenceNumber"
            )
            raise invalid_argument(
                "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and"
                " StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no"
                f" StartingSequenceNumber. Request specified {kind} and {wording}."
            )
        timestamp = request.get("Timestamp")
        if kind == "AT_TIMESTAMP" and timestamp is None:
            raise invalid_argument(
                "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP."
                " Current request has no timestamp parameter."
            )
        if request.get("DryRun"):
            raise dry_run()
        not_before = 0
        if kind == "TRIM_HORIZON":
            after = 0
        elif kind == "LATEST":
            after = shard.committed
        elif kind == "AT_TIMESTAMP":
            not_before = max(int(timestamp.timestamp() * 1000), 0)
            after = await self.store.read(records.last_before(stream.id, shard.index, not_before))
        else:
            index = _index_in(start, stream, shard)
            after = max(index - 1, 0) if kind == "AT_SEQUENCE_NUMBER" else index
        position = iterators.Position(
            stream.account, stream.region, stream.name, shard.index, after, not_before, _now_ms()
        )
        return {"ShardIterator": iterators.issue(position)}

    async def get_records(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        try:
            position = iterators.read(request["ShardIterator"])
        except iterators.BadIterator:
            raise invalid_iterator() from None
        now = _now_ms()
        if now - position.issued > iterators.LIFETIME_MS:
            raise expired_iterator(position.issued, now)
        stream = None
        if (position.account, position.region) == (ctx.account_id, ctx.region):
            stream = self.registry.get(position.account, position.region, position.stream)
        shard = stream.shard(position.shard) if stream is not None else None
        if stream is None or shard is None:
            raise shard_not_found(shard_id(position.shard), position.stream, position.account)
        if request.get("DryRun"):
            raise dry_run()
        found: list[records.StoredRecord] = []
        if position.after < shard.committed:
            not_before = max(now - stream.retention_ms, position.not_before)
            limit = request.get("Limit") or limits.GET_RECORDS_DEFAULT_LIMIT
            found = await self.store.read(
                records.read(
                    stream.id, shard.index, position.after, not_before, limit,
                    limits.GET_RECORDS_MAX_BYTES,
                )
            )  # fmt: skip
        last = found[-1].index if found else position.after
        caught_up = last >= shard.committed
        encrypted = stream.encryption == "KMS"
        result: dict[str, Any] = {
            "Records": [_record(shard, record, encrypted) for record in found],
            "MillisBehindLatest": 0 if caught_up or not found else max(now - found[-1].arrival, 0),
        }
        if shard.closed is not None and caught_up:
            result["ChildShards"] = [_child(stream, child) for child in shard.children(stream)]
        else:
            moved = iterators.Position(
                position.account, position.region, position.stream, shard.index, last,
                position.not_before, now,
            )  # fmt: skip
            result["NextShardIterator"] = iterators.issue(moved)
        return result

    def _shard(self, ctx: RequestContext, request: dict[str, Any]) -> tuple[Stream, Shard]:
        """The stream and shard GetShardIterator names, refused as Kinesis refuses them."""
        given = request["ShardId"]
        name, account = _named(ctx, request)
        index = shard_index(given)
        if index is None:
            raise unknown_shard(given, name, account)
        try:
            stream: Stream | None = self._readable(ctx, request)
        except ServiceError as error:
            if error.code != "ResourceNotFoundException":
                raise
            stream = None  # Kinesis names the shard it could not find, not the stream
        shard = stream.shard(index) if stream is not None else None
        if stream is None or shard is None:
            raise shard_not_found(shard_id(index), name, account)
        return stream, shard


def _named(ctx: RequestContext, request: dict[str, Any]) -> tuple[str, str]:
    """The stream name and account a request names (for messages, before any lookup)."""
    arn = request.get("StreamARN")
    parts = parse_stream_arn(arn) if arn is not None else None
    if parts is not None:
        return parts[2], parts[1]
    return request.get("StreamName") or "", ctx.account_id


def _hash(explicit: str | None, partition_key: str) -> int:
    if explicit is None:
        return hash_key(partition_key)
    value = int(explicit)
    if value > MAX_HASH_KEY:
        raise invalid_argument(
            "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]."
            f" Specified value was {explicit}"
        )
    return value


def _check_entries(entries: list[dict[str, Any]], limit: int) -> None:
    """PutRecords' limits: each record's size and partition key, then the whole request's."""
    problems = []
    for position, entry in enumerate(entries, start=1):
        if len(entry["Data"]) > limit:
            problems.append(
                Problem(("Records", position, "Data"), "max_length", entry["Data"], limit)
            )
        if entry.get("PartitionKey") is None:
            problems.append(Problem(("Records", position, "PartitionKey"), "missing", None))
    if problems:
        raise validation_error(problems)
    size = sum(len(e["Data"]) + len(e["PartitionKey"].encode()) for e in entries)
    if size > limits.PUT_RECORDS_MAX_BYTES:
        raise invalid_argument("Records size exceeds 10 MB limit")


def _index_in(start: str, stream: Stream, shard: Shard) -> int:
    """The record index a StartingSequenceNumber stands for in `shard`."""
    decoded = sequence.decode(start)
    where = (
        f"StartingSequenceNumber {start} used in GetShardIterator on shard {shard.id} in stream"
        f" {stream.name} under account {stream.account} is invalid"
    )
    if decoded is None:
        raise invalid_argument(where + ".")
    if decoded.shard != shard.index:
        raise invalid_argument(
            f"Invalid StartingSequenceNumber. It encodes {shard_id(decoded.shard)}, while it was"
            f" used in a call to a shard with {shard.id}"
        )
    if decoded.shard_created != int(shard.created):
        raise invalid_argument(where + " because it did not come from this stream.")
    return decoded.index


def _record(shard: Shard, record: records.StoredRecord, encrypted: bool) -> dict[str, Any]:
    described: dict[str, Any] = {
        "SequenceNumber": shard.sequence_number(record.index, record.arrival),
        "ApproximateArrivalTimestamp": record.arrival / 1000,
        "Data": record.data,
        "PartitionKey": record.partition_key,
    }
    if encrypted:
        described["EncryptionType"] = "KMS"
    return described


def _child(stream: Stream, child: Shard) -> dict[str, Any]:
    parents = [p for p in (child.parent, child.adjacent_parent) if p is not None]
    return {
        "ShardId": child.id,
        "ParentShards": [shard_id(p) for p in parents],
        "HashKeyRange": {"StartingHashKey": str(child.start), "EndingHashKey": str(child.end)},
    }


def _now_ms() -> int:
    return int(time.time() * 1000)
