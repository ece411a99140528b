"""Kinesis state across restarts of a real server: streams, shards, records, order, iterators."""

from __future__ import annotations

import signal

import pytest
from kinesis_support import kinesis_client, new_stream, read_all

from server import Server

pytestmark = pytest.mark.slow


@pytest.fixture
def own_server(tmp_path):
    instance = Server(tmp_path / "state").start()
    yield instance
    if instance.process is not None:
        instance.stop()


def test_an_acknowledged_record_survives_a_crash(own_server):
    kinesis = kinesis_client(own_server.endpoint)
    name = new_stream(kinesis, shards=2)
    put = kinesis.put_record(StreamName=name, Data=b"\x00kept", PartitionKey="a")
    batch = kinesis.put_records(
        StreamName=name, Records=[{"Data": f"{i}".encode(), "PartitionKey": "a"} for i in range(5)]
    )
    own_server.restart(signal.SIGKILL)
    kinesis = kinesis_client(own_server.endpoint)
    got = read_all(kinesis, name, put["ShardId"])
    assert [r["Data"] for r in got] == [b"\x00kept", b"0", b"1", b"2", b"3", b"4"]
    assert [r["SequenceNumber"] for r in got] == [put["SequenceNumber"]] + [
        r["SequenceNumber"] for r in batch["Records"]
    ]


def test_sequence_numbers_keep_increasing_after_a_restart(own_server):
    kinesis = kinesis_client(own_server.endpoint)
    name = new_stream(kinesis)
    before = kinesis.put_record(StreamName=name, Data=b"1", PartitionKey="k")["SequenceNumber"]
    own_server.restart()
    kinesis = kinesis_client(own_server.endpoint)
    after = kinesis.put_record(StreamName=name, Data=b"2", PartitionKey="k")["SequenceNumber"]
    assert int(after) > int(before)
    assert [r["Data"] for r in read_all(kinesis, name, "shardId-000000000000")] == [b"1", b"2"]


def test_an_iterator_from_before_a_restart_still_reads(own_server):
    kinesis = kinesis_client(own_server.endpoint)
    name = new_stream(kinesis)
    kinesis.put_record(StreamName=name, Data=b"read", PartitionKey="k")
    page = kinesis.get_records(
        ShardIterator=kinesis.get_shard_iterator(
            StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
    )
    kinesis.put_record(StreamName=name, Data=b"next", PartitionKey="k")
    own_server.restart()
    kinesis = kinesis_client(own_server.endpoint)
    resumed = kinesis.get_records(ShardIterator=page["NextShardIterator"])
    assert [r["Data"] for r in resumed["Records"]] == [b"next"]


def test_settings_shards_tags_and_consumers_survive_a_restart(own_server):
    kinesis = kinesis_client(own_server.endpoint)
    name = new_stream(kinesis, shards=2)
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=72)
    kinesis.add_tags_to_stream(StreamName=name, Tags={"team": "data"})
    kinesis.update_shard_count(StreamName=name, TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="c")["Consumer"]
    shards = kinesis.list_shards(StreamName=name)["Shards"]
    put = kinesis.put_record(StreamName=name, Data=b"", PartitionKey="routing")
    own_server.restart()
    kinesis = kinesis_client(own_server.endpoint)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert (summary["RetentionPeriodHours"], summary["OpenShardCount"]) == (72, 4)
    assert kinesis.list_shards(StreamName=name)["Shards"] == shards
    assert kinesis.list_tags_for_stream(StreamName=name)["Tags"] == [
        {"Key": "team", "Value": "data"}
    ]
    assert kinesis.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])
    again = kinesis.put_record(StreamName=name, Data=b"", PartitionKey="routing")
    assert again["ShardId"] == put["ShardId"]
