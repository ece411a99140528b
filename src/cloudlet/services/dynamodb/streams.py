"""DynamoDB Streams: records written with the item change, and the hook pollers wait on.

A record is stored in AWS's format (the record GetRecords returns and a Lambda event
carries) without its SequenceNumber, which is the row's `seq`, filled in when read.

The service's `signals` (`delivery.wakeups.Wakeups`, by stream ARN) are woken as soon as a
record for a stream has committed, so a poller (the stream event source mapping) waits on
them instead of sleeping between polls; `StreamReader` reads the records:

    async def found() -> bool:
        return (await dynamodb.stream_reader.latest(stream_arn) or 0) > after
    await dynamodb.signals.wait(stream_arn, timeout, ready=found)   # woken by the next commit
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import orjson

from cloudlet.services.dynamodb.size import item_size
from cloudlet.services.dynamodb.values import Item
from cloudlet.store import Store, Tx

RETENTION_SECONDS = 24 * 3600
TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
SEQUENCE_DIGITS = 21


def stream_label(now: float) -> str:
    """A stream's label: its creation time, as AWS labels streams."""
    moment = datetime.datetime.fromtimestamp(now, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def sequence_number(seq: int) -> str:
    return f"{seq:0{SEQUENCE_DIGITS}d}"


def shard_id(stream_id: int, created: float) -> str:
    """The id of a stream's one shard, in the layout AWS's DynamoDB shard ids have."""
    return f"shardId-{int(created * 1000):020d}-{stream_id:08x}"


def build_record(
    region: str,
    view_type: str,
    keys: Item,
    old: Item | None,
    new: Item | None,
    now: float,
    ttl: bool = False,
) -> dict[str, Any]:
    """The stream record of one item change (not yet numbered)."""
    event = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
    body: dict[str, Any] = {"ApproximateCreationDateTime": int(now), "Keys": keys}
    size = item_size(keys)
    if new is not None and view_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
        body["NewImage"] = new
        size += item_size(new)
    if old is not None and view_type in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
        body["OldImage"] = old
        size += item_size(old)
    body["SizeBytes"] = size
    body["StreamViewType"] = view_type
    record: dict[str, Any] = {
        "eventID": uuid.uuid4().hex,
        "eventName": event,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": body,
    }
    if ttl:
        record["userIdentity"] = TTL_IDENTITY
    return record


def append_record(tx: Tx, stream_id: int, record: dict[str, Any], now: float) -> None:
    tx.execute(
        "INSERT INTO ddb_stream_records (stream_id, created, record) VALUES (?, ?, ?)",
        (stream_id, now, orjson.dumps(record)),
    )


def numbered(seq: int, raw: bytes) -> dict[str, Any]:
    """A stored record with its SequenceNumber."""
    record: dict[str, Any] = orjson.loads(raw)
    record["dynamodb"]["SequenceNumber"] = sequence_number(seq)
    return record


def read_records(tx: Tx, stream_id: int, after: int, limit: int) -> list[tuple[int, bytes]]:
    """(seq, record) of the stream's records after `after`, oldest first."""
    return tx.execute(
        "SELECT seq, record FROM ddb_stream_records WHERE stream_id = ? AND seq > ?"
        " ORDER BY seq LIMIT ?",
        (stream_id, after, limit),
    ).fetchall()


class StreamReader:
    """Records by stream ARN, for pollers inside cloudlet (the stream event source mapping):
    the same records GetRecords returns, numbered, oldest first."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def latest(self, stream_arn: str) -> int | None:
        """The stream's last sequence number (0 when empty); None if there is no such stream."""

        def read(tx: Tx) -> int | None:
            row = tx.execute("SELECT id FROM ddb_streams WHERE arn = ?", (stream_arn,)).fetchone()
            if row is None:
                return None
            last = tx.execute(
                "SELECT MAX(seq) FROM ddb_stream_records WHERE stream_id = ?", (row[0],)
            ).fetchone()[0]
            return int(last or 0)

        return await self.store.read(read)

    async def records(self, stream_arn: str, after: int, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` records after sequence number `after` (an int; 0: from the start)."""

        def read(tx: Tx) -> list[tuple[int, bytes]]:
            row = tx.execute("SELECT id FROM ddb_streams WHERE arn = ?", (stream_arn,)).fetchone()
            return read_records(tx, row[0], after, limit) if row else []

        return [numbered(seq, raw) for seq, raw in await self.store.read(read)]
