"""Every account's and region's streams, kept in memory as a cache of their rows.

Lookups never touch the store. Changes write their rows and update the cache in the same
call; a stream being deleted stays visible (DELETING) until its transition settles.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from cloudlet.services.kinesis import records
from cloudlet.services.kinesis.names import parse_stream_arn
from cloudlet.services.kinesis.streams import Consumer, Shard, Stream
from cloudlet.store import Store, Tx

Key = tuple[str, str, str]  # account, region, name


class StreamRegistry:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.by_key: dict[Key, Stream] = {}
        for stream in store.read_now(_load):
            self.by_key[stream.key] = stream
        self._next_id = max((s.id for s in self.by_key.values()), default=0) + 1

    def __len__(self) -> int:
        return len(self.by_key)

    def get(self, account: str, region: str, name: str) -> Stream | None:
        stream = self.by_key.get((account, region, name))
        if stream is None:
            return None
        if stream.transition == "DELETING" and time.time() >= stream.settles_at:
            del self.by_key[stream.key]
            return None
        return stream

    def by_arn(self, arn: str) -> Stream | None:
        parts = parse_stream_arn(arn)
        if parts is None:
            return None
        region, account, name = parts
        return self.get(account, region, name)

    def in_region(self, account: str, region: str) -> list[Stream]:
        """The streams of `account` in `region`, by name."""
        found = [
            self.get(*key) for key in list(self.by_key) if key[0] == account and key[1] == region
        ]
        return sorted((s for s in found if s is not None), key=lambda s: s.name)

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    async def create(self, stream: Stream) -> None:
        def insert(tx: Tx) -> None:
            tx.execute(
                "INSERT INTO kinesis_streams (id, account, region, name, mode, retention_hours,"
                " created, encryption, key_id, metrics, tags, max_record_kib)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (stream.id, *stream.key, stream.mode, stream.retention_hours, stream.created,
                 *_settings(stream)),
            )  # fmt: skip
            _write_shards(tx, stream, stream.shards)

        # Shown before the commit, so that a second CreateStream of the name is refused as
        # in use; a write to the stream meanwhile is queued behind this one.
        self.by_key[stream.key] = stream
        try:
            await self.store.write(insert)
        except Exception:
            self.by_key.pop(stream.key, None)
            raise

    async def save(self, stream: Stream) -> None:
        """Store a stream's settings (mode, retention, encryption, metrics, tags, record size)."""
        row = (stream.mode, stream.retention_hours, *_settings(stream), stream.id)
        await self.store.write(
            lambda tx: tx.execute(
                "UPDATE kinesis_streams SET mode = ?, retention_hours = ?, encryption = ?,"
                " key_id = ?, metrics = ?, tags = ?, max_record_kib = ? WHERE id = ?",
                row,
            )
        )

    async def save_shards(self, stream: Stream, shards: list[Shard]) -> None:
        """Store new shards and closed ones."""
        await self.store.write(lambda tx: _write_shards(tx, stream, shards))

    async def delete(self, stream: Stream) -> None:
        """Delete a stream with its shards, records and consumers."""

        def delete(tx: Tx) -> None:
            for table in ("kinesis_records", "kinesis_shards", "kinesis_consumers"):
                tx.execute(f"DELETE FROM {table} WHERE stream_id = ?", (stream.id,))
            tx.execute("DELETE FROM kinesis_streams WHERE id = ?", (stream.id,))

        await self.store.write(delete)
        if time.time() >= stream.settles_at:
            self.by_key.pop(stream.key, None)

    async def add_consumer(self, stream: Stream, consumer: Consumer) -> None:
        row = (stream.id, consumer.name, consumer.created, _json(consumer.tags))
        await self.store.write(
            lambda tx: tx.execute(
                "INSERT INTO kinesis_consumers (stream_id, name, created, tags)"
                " VALUES (?, ?, ?, ?)",
                row,
            )
        )
        stream.consumers[consumer.name] = consumer

    async def save_consumer(self, stream: Stream, consumer: Consumer) -> None:
        row = (_json(consumer.tags), stream.id, consumer.name)
        await self.store.write(
            lambda tx: tx.execute(
                "UPDATE kinesis_consumers SET tags = ? WHERE stream_id = ? AND name = ?", row
            )
        )

    async def remove_consumer(self, stream: Stream, consumer: Consumer) -> None:
        row = (stream.id, consumer.name)
        await self.store.write(
            lambda tx: tx.execute(
                "DELETE FROM kinesis_consumers WHERE stream_id = ? AND name = ?", row
            )
        )
        stream.consumers.pop(consumer.name, None)


def _settings(stream: Stream) -> tuple[Any, ...]:
    return (
        stream.encryption,
        stream.key_id,
        _json(stream.metrics),
        _json(stream.tags),
        stream.max_record_kib,
    )


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _write_shards(tx: Tx, stream: Stream, shards: list[Shard]) -> None:
    tx.executemany(
        "INSERT INTO kinesis_shards (stream_id, shard, parent, adjacent_parent, starting_hash,"
        " ending_hash, created, closed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (stream_id, shard) DO UPDATE SET closed = excluded.closed",
        [
            (stream.id, s.index, s.parent, s.adjacent_parent, str(s.start), str(s.end),
             s.created, s.closed)
            for s in shards
        ],
    )  # fmt: skip


def _load(tx: Tx) -> list[Stream]:
    streams: dict[int, Stream] = {}
    for row in tx.execute(
        "SELECT id, account, region, name, mode, retention_hours, created, encryption, key_id,"
        " metrics, tags, max_record_kib FROM kinesis_streams"
    ):
        (id_, account, region, name, mode, hours, created, encryption, key_id, metrics, tags,
         max_kib) = row  # fmt: skip
        streams[id_] = Stream(
            id_, account, region, name, mode, hours, created,
            tags=orjson.loads(tags), encryption=encryption, key_id=key_id,
            metrics=orjson.loads(metrics), max_record_kib=max_kib,
        )  # fmt: skip
    for row in tx.execute(
        "SELECT stream_id, shard, parent, adjacent_parent, starting_hash, ending_hash, created,"
        " closed, swept FROM kinesis_shards ORDER BY stream_id, shard"
    ):
        stream_id, index, parent, adjacent, start, end, created, closed, swept = row
        shard = Shard(index, int(start), int(end), created, parent, adjacent, closed)
        newest = records.newest(tx, stream_id, index)
        shard.assigned = shard.committed = max(newest[0] if newest else 0, swept)
        shard.newest_arrival = shard.arrival_floor = newest[1] if newest else 0
        streams[stream_id].shards.append(shard)
    for stream_id, name, created, tags in tx.execute(
        "SELECT stream_id, name, created, tags FROM kinesis_consumers"
    ):
        streams[stream_id].consumers[name] = Consumer(name, created, orjson.loads(tags))
    for stream in streams.values():
        stream.route_again()
    return list(streams.values())
