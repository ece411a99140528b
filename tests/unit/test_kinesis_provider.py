"""The Kinesis provider on a real store, without HTTP: retention, and the arrivals hook a
poller waits on."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from cloudlet.config import Config
from cloudlet.services.base import Platform, RequestContext
from cloudlet.services.kinesis import KinesisService, records
from cloudlet.services.kinesis.names import stream_arn
from cloudlet.store import open_store

CTX = RequestContext("000000000000", "us-east-1", "request", "operation", "http://localhost")
ARN = stream_arn("us-east-1", "000000000000", "s")
HOUR_MS = 3_600_000


def with_service(tmp_path: Path, test) -> None:
    async def go() -> None:
        store = open_store(str(tmp_path / "db.sqlite"))
        try:
            service = KinesisService(Platform(Config(state_dir=tmp_path), store))
            await service.create_stream(CTX, {"StreamName": "s", "ShardCount": 1})
            await test(service, store)
        finally:
            store.close()

    asyncio.run(go())


async def read_all(service: KinesisService) -> list[bytes]:
    iterator = await service.get_shard_iterator(
        CTX, {"StreamName": "s", "ShardId": "shardId-0", "ShardIteratorType": "TRIM_HORIZON"}
    )
    page = await service.get_records(CTX, {"ShardIterator": iterator["ShardIterator"]})
    return [record["Data"] for record in page["Records"]]


async def put_aged(service: KinesisService, store, data: bytes, age_ms: int) -> None:
    """A record that arrived `age_ms` ago, written the way PutRecord writes one."""
    stream = service.registry.get("000000000000", "us-east-1", "s")
    shard = stream.shards[0]
    index, _ = shard.assign(0)
    arrival = int(time.time() * 1000) - age_ms
    await store.write(records.insert([(stream.id, 0, index, "k", data, arrival)]))
    shard.commit(index, arrival)


def test_records_past_the_retention_period_are_hidden_then_swept(tmp_path):
    async def test(service: KinesisService, store) -> None:
        await put_aged(service, store, b"two days old", 48 * HOUR_MS)
        await put_aged(service, store, b"an hour old", HOUR_MS)
        await service.put_record(CTX, {"StreamName": "s", "Data": b"new", "PartitionKey": "k"})
        assert await read_all(service) == [b"an hour old", b"new"]
        await service.increase_stream_retention_period(
            CTX, {"StreamName": "s", "RetentionPeriodHours": 72}
        )
        assert await read_all(service) == [b"two days old", b"an hour old", b"new"]
        await service.decrease_stream_retention_period(
            CTX, {"StreamName": "s", "RetentionPeriodHours": 24}
        )
        assert await service.sweeper.sweep() == 1
        assert await service.sweeper.sweep() == 0
        assert await read_all(service) == [b"an hour old", b"new"]

    with_service(tmp_path, test)


def test_sequence_numbers_stay_above_swept_records_after_a_restart(tmp_path):
    async def test(service: KinesisService, store) -> None:
        await put_aged(service, store, b"old", 48 * HOUR_MS)
        swept = service.registry.get("000000000000", "us-east-1", "s").shards[0].committed
        assert await service.sweeper.sweep() == 1
        reloaded = KinesisService(Platform(Config(state_dir=tmp_path), store))
        shard = reloaded.registry.get("000000000000", "us-east-1", "s").shards[0]
        assert shard.committed == swept
        put = await reloaded.put_record(CTX, {"StreamName": "s", "Data": b"x", "PartitionKey": "k"})
        assert put["SequenceNumber"] == shard.sequence_number(swept + 1, shard.newest_arrival)

    with_service(tmp_path, test)


def test_a_waiting_poller_wakes_when_a_record_is_committed(tmp_path):
    async def test(service: KinesisService, store) -> None:
        waiting = asyncio.create_task(service.arrivals.wait(ARN, "shardId-000000000000", None, 5))
        await asyncio.sleep(0.01)
        assert not waiting.done()
        started = time.monotonic()
        put = await service.put_record(CTX, {"StreamName": "s", "Data": b"x", "PartitionKey": "k"})
        assert await waiting is True
        assert time.monotonic() - started < 1
        # Already past the given sequence number: no wait at all.
        earlier = await service.put_record(
            CTX, {"StreamName": "s", "Data": b"y", "PartitionKey": "k"}
        )
        assert await service.arrivals.wait(ARN, "shardId-0", put["SequenceNumber"], 5) is True
        assert (
            await service.arrivals.wait(ARN, "shardId-0", earlier["SequenceNumber"], 0.05) is False
        )
        assert await service.arrivals.wait(ARN, "shardId-9", None, 0.05) is False

    with_service(tmp_path, test)


def test_listeners_hear_each_commit_with_the_newest_sequence_number(tmp_path):
    async def test(service: KinesisService, store) -> None:
        heard: list[tuple[str, str]] = []
        stop = service.arrivals.listen(ARN, lambda shard, number: heard.append((shard, number)))
        batch = await service.put_records(
            CTX,
            {"StreamName": "s", "Records": [{"Data": b"a", "PartitionKey": "k"}] * 3},
        )
        assert heard == [("shardId-000000000000", batch["Records"][-1]["SequenceNumber"])]
        stop()
        await service.put_record(CTX, {"StreamName": "s", "Data": b"b", "PartitionKey": "k"})
        assert len(heard) == 1

    with_service(tmp_path, test)
