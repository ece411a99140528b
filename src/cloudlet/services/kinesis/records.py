"""Records in the store: the SQL that writes, reads and expires them, as store functions.

Every function here returns a function of a transaction (`Tx`), to hand to `store.write` or
`store.read`; reads walk the primary key (stream, shard, index) from where they start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cloudlet.store import Tx

# Records one retention sweep step looks at: enough to be quick, small enough that a step
# never holds the writer for long.
SWEEP_BATCH = 5000

RecordRow = tuple[int, int, int, str, bytes, int]  # stream, shard, index, key, data, arrival


@dataclass(frozen=True, slots=True)
class StoredRecord:
    index: int
    partition_key: str
    data: bytes
    arrival: int  # ms


def insert(rows: Sequence[RecordRow]) -> Callable[[Tx], None]:
    def write(tx: Tx) -> None:
        if len(rows) == 1:
            tx.execute(_INSERT, rows[0])
        else:
            tx.executemany(_INSERT, rows)

    return write


_INSERT = (
    "INSERT INTO kinesis_records (stream_id, shard, seq, partition_key, data, arrival)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)


def read(
    stream_id: int, shard: int, after: int, not_before: int, limit: int, max_bytes: int
) -> Callable[[Tx], list[StoredRecord]]:
    """Up to `limit` records after index `after` that arrived at `not_before` or later, and
    no more than `max_bytes` of data (always at least one record)."""

    def run(tx: Tx) -> list[StoredRecord]:
        found: list[StoredRecord] = []
        size = 0
        cursor = tx.execute(
            "SELECT seq, partition_key, data, arrival FROM kinesis_records"
            " WHERE stream_id = ? AND shard = ? AND seq > ? AND arrival >= ?"
            " ORDER BY seq LIMIT ?",
            (stream_id, shard, after, not_before, limit),
        )
        for index, key, data, arrival in cursor:
            size += len(data)
            if found and size > max_bytes:
                break
            found.append(StoredRecord(index, key, bytes(data), arrival))
        return found

    return run


def last_before(stream_id: int, shard: int, arrival: int) -> Callable[[Tx], int]:
    """The index of the newest record that arrived before `arrival` (0 if none)."""

    def run(tx: Tx) -> int:
        row = tx.execute(
            "SELECT seq FROM kinesis_records WHERE stream_id = ? AND shard = ? AND arrival < ?"
            " ORDER BY seq DESC LIMIT 1",
            (stream_id, shard, arrival),
        ).fetchone()
        return int(row[0]) if row else 0

    return run


def newest(tx: Tx, stream_id: int, shard: int) -> tuple[int, int] | None:
    """(index, arrival) of a shard's newest record."""
    row = tx.execute(
        "SELECT seq, arrival FROM kinesis_records WHERE stream_id = ? AND shard = ?"
        " ORDER BY seq DESC LIMIT 1",
        (stream_id, shard),
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else None


def expire(stream_id: int, shard: int, cutoff: int) -> Callable[[Tx], int]:
    """Remove a shard's oldest records that arrived before `cutoff`, one batch at most;
    return how many went. Arrival times grow with the index, so the expired records are a
    prefix of the shard."""

    def run(tx: Tx) -> int:
        cursor = tx.execute(
            "SELECT seq, arrival FROM kinesis_records WHERE stream_id = ? AND shard = ?"
            " ORDER BY seq LIMIT ?",
            (stream_id, shard, SWEEP_BATCH),
        )
        last = None
        for index, arrival in cursor:  # stops at the first record still kept
            if arrival >= cutoff:
                break
            last = index
        if last is None:
            return 0
        removed = tx.execute(
            "DELETE FROM kinesis_records WHERE stream_id = ? AND shard = ? AND seq <= ?",
            (stream_id, shard, last),
        ).rowcount
        tx.execute(
            "UPDATE kinesis_shards SET swept = ? WHERE stream_id = ? AND shard = ? AND swept < ?",
            (last, stream_id, shard, last),
        )
        return int(removed)

    return run
