"""Kinesis settings that change what a client sees: status transitions that take time, and
shard write limits (ProvisionedThroughputExceededException), each on a server of its own."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError
from kinesis_support import ACCOUNT, kinesis_client
from sqs_support import error_of, unique

from server import Server

pytestmark = pytest.mark.slow


@pytest.fixture
def slow_server(tmp_path):
    instance = Server(tmp_path / "state", env={"CLOUDLET_KINESIS_STATE_DELAY": "1"}).start()
    yield instance
    instance.stop()


@pytest.fixture
def limited_server(tmp_path):
    instance = Server(tmp_path / "state", env={"CLOUDLET_KINESIS_THROTTLE": "1"}).start()
    yield instance
    instance.stop()


def test_a_new_stream_is_creating_until_it_turns_active(slow_server):
    kinesis = kinesis_client(slow_server.endpoint)
    name = unique("creating")
    kinesis.create_stream(StreamName=name, ShardCount=2)
    described = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert (described["StreamStatus"], described["Shards"]) == ("CREATING", [])
    code, message, _ = error_of(kinesis.put_record, StreamName=name, Data=b"x", PartitionKey="k")
    assert (code, message) == (
        "ResourceNotFoundException",
        f"Stream {name} under account {ACCOUNT} not found.",
    )
    code, message, _ = error_of(
        kinesis.increase_stream_retention_period, StreamName=name, RetentionPeriodHours=48
    )
    assert (code, message) == (
        "ResourceInUseException",
        f"Stream {name} under account {ACCOUNT} not ACTIVE, instead in state CREATING",
    )
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    assert len(kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"]) == 2


def test_resharding_shows_updating_and_deleting_shows_deleting(slow_server):
    kinesis = kinesis_client(slow_server.endpoint)
    name = unique("updating")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    kinesis.update_shard_count(StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "UPDATING"
    code, _, _ = error_of(
        kinesis.update_shard_count,
        StreamName=name,
        TargetShardCount=1,
        ScalingType="UNIFORM_SCALING",
    )
    assert code == "ResourceInUseException"
    assert kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")["ShardId"]
    time.sleep(1.1)
    kinesis.delete_stream(StreamName=name)
    assert kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamStatus"] == (
        "DELETING"
    )
    kinesis.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})


def test_a_shard_takes_one_mib_a_second_when_limits_are_on(limited_server):
    kinesis = kinesis_client(limited_server.endpoint)
    name = unique("limited")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    chunk = b"x" * (1000 * 1024)  # a second's worth, nearly
    answer = kinesis.put_records(
        StreamName=name, Records=[{"Data": chunk, "PartitionKey": "k"} for _ in range(3)]
    )
    assert answer["FailedRecordCount"] == 2
    first, *failed = answer["Records"]
    assert "SequenceNumber" in first
    for result in failed:
        assert result["ErrorCode"] == "ProvisionedThroughputExceededException"
        assert result["ErrorMessage"] == (
            f"Rate exceeded for shard shardId-000000000000 in stream {name} under account"
            f" {ACCOUNT}."
        )
    # A PutRecord refused: back-to-back records of 1000 KB outrun a refill of 1 MiB a second
    # (the first may pass if the machine was slow enough for the shard to refill meanwhile).
    refusals = []
    for _ in range(3):
        try:
            kinesis.put_record(StreamName=name, Data=chunk, PartitionKey="k")
        except ClientError as error:
            refusals.append((error.response["Error"]["Code"], error.response["ResponseMetadata"]))
            break
    assert refusals, "three records of 1000 KB in a row all passed"
    code, metadata = refusals[0]
    assert (code, metadata["HTTPStatusCode"]) == ("ProvisionedThroughputExceededException", 400)
    time.sleep(1.1)
    assert kinesis.put_record(StreamName=name, Data=chunk, PartitionKey="k")["SequenceNumber"]
