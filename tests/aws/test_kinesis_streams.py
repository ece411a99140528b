"""Kinesis streams through boto3: create, describe, list, delete, retention, settings, limits."""

from __future__ import annotations

import re

import pytest
from kinesis_support import ACCOUNT, kinesis_client, new_stream
from sqs_support import error_of, unique

HASH_SPACE = 2**128


@pytest.fixture
def kinesis(server):
    return kinesis_client(server.endpoint)


def test_create_stream_lays_its_shards_evenly_over_the_hash_key_space(kinesis):
    name = new_stream(kinesis, shards=3)
    described = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert described["StreamStatus"] == "ACTIVE"
    assert described["StreamARN"] == f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/{name}"
    assert described["RetentionPeriodHours"] == 24
    assert described["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert described["EncryptionType"] == "NONE"
    assert described["HasMoreShards"] is False
    shards = described["Shards"]
    assert [s["ShardId"] for s in shards] == [f"shardId-00000000000{i}" for i in range(3)]
    # The ranges AWS gives a three-shard stream.
    assert [s["HashKeyRange"] for s in shards] == [
        {"StartingHashKey": "0", "EndingHashKey": "113427455640312821154458202477256070484"},
        {
            "StartingHashKey": "113427455640312821154458202477256070485",
            "EndingHashKey": "226854911280625642308916404954512140969",
        },
        {
            "StartingHashKey": "226854911280625642308916404954512140970",
            "EndingHashKey": "340282366920938463463374607431768211455",
        },
    ]
    for shard in shards:
        assert re.fullmatch(r"\d{56}", shard["SequenceNumberRange"]["StartingSequenceNumber"])
        assert "EndingSequenceNumber" not in shard["SequenceNumberRange"]


def test_an_on_demand_stream_starts_with_four_shards(kinesis):
    name = unique("demand")
    kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["OpenShardCount"] == 4
    assert len(kinesis.list_shards(StreamName=name)["Shards"]) == 4


def test_a_shard_count_with_on_demand_mode_is_refused(kinesis):
    code, message, status = error_of(
        kinesis.create_stream,
        StreamName=unique("demand"),
        ShardCount=2,
        StreamModeDetails={"StreamMode": "ON_DEMAND"},
    )
    assert (code, status) == ("InvalidArgumentException", 400)
    assert message == "ShardCount is not expected when StreamMode=ON_DEMAND"


def test_a_provisioned_stream_needs_a_shard_count(kinesis):
    code, message, _ = error_of(kinesis.create_stream, StreamName=unique("count"))
    assert code == "ValidationException"
    assert message == (
        "1 validation error detected: Value null at 'shardCount' failed to satisfy constraint:"
        " Member must not be null"
    )


def test_creating_an_existing_stream_is_resource_in_use(kinesis):
    name = new_stream(kinesis)
    code, message, _ = error_of(kinesis.create_stream, StreamName=name, ShardCount=1)
    assert code == "ResourceInUseException"
    assert message == f"Stream {name} under account {ACCOUNT} already exists."


@pytest.mark.parametrize(
    ("operation", "extra"),
    [
        ("describe_stream", {}),
        ("describe_stream_summary", {}),
        ("delete_stream", {}),
        ("list_shards", {}),
        ("put_record", {"Data": b"x", "PartitionKey": "k"}),
        ("put_records", {"Records": [{"Data": b"x", "PartitionKey": "k"}]}),
        ("increase_stream_retention_period", {"RetentionPeriodHours": 48}),
        ("add_tags_to_stream", {"Tags": {"a": "b"}}),
        ("list_tags_for_stream", {}),
        ("update_shard_count", {"TargetShardCount": 2, "ScalingType": "UNIFORM_SCALING"}),
    ],
)
def test_a_stream_that_does_not_exist_is_not_found(kinesis, operation, extra):
    name = unique("missing")
    code, message, status = error_of(getattr(kinesis, operation), StreamName=name, **extra)
    assert (code, status) == ("ResourceNotFoundException", 400)
    assert message == f"Stream {name} under account {ACCOUNT} not found."


def test_input_that_breaks_the_model_gets_kinesis_validation_message(server):
    kinesis = kinesis_client(server.endpoint, validate=False)
    name = "a" * 129
    code, message, _ = error_of(kinesis.describe_stream, StreamName=name, Limit=10001)
    assert code == "ValidationException"
    assert message == (
        f"2 validation errors detected: Value '{name}' at 'streamName' failed to satisfy"
        " constraint: Member must have length less than or equal to 128; Value '10001' at"
        " 'limit' failed to satisfy constraint: Member must have value less than or equal to"
        " 10000"
    )
    code, message, _ = error_of(kinesis.create_stream, StreamName="bad name!", ShardCount=1)
    assert message == (
        "1 validation error detected: Value 'bad name!' at 'streamName' failed to satisfy"
        " constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    )


def test_a_stream_beyond_the_account_shard_limit_is_refused(kinesis):
    code, message, _ = error_of(kinesis.create_stream, StreamName=unique("big"), ShardCount=501)
    assert code == "LimitExceededException"
    assert re.fullmatch(
        rf"This request would exceed the shard limit for the account {ACCOUNT} in us-east-1\."
        r" Current shard count for the account: \d+\. Limit: 500\. Number of additional shards"
        r" that would have resulted from this request: 501\. Refer to the AWS Service Limits"
        r" page \(http://docs\.aws\.amazon\.com/general/latest/gr/aws_service_limits\.html\)"
        r" for current limits and how to request higher limits\.",
        message,
    )


def test_describe_stream_pages_through_shards(kinesis):
    name = new_stream(kinesis, shards=5)
    first = kinesis.describe_stream(StreamName=name, Limit=2)["StreamDescription"]
    assert [s["ShardId"][-1] for s in first["Shards"]] == ["0", "1"]
    assert first["HasMoreShards"] is True
    rest = kinesis.describe_stream(
        StreamName=name, Limit=10, ExclusiveStartShardId="shardId-000000000001"
    )["StreamDescription"]
    assert [s["ShardId"][-1] for s in rest["Shards"]] == ["2", "3", "4"]
    assert rest["HasMoreShards"] is False
    pages = kinesis.get_paginator("describe_stream").paginate(
        StreamName=name, PaginationConfig={"PageSize": 2}
    )
    assert len(pages.build_full_result()["StreamDescription"]["Shards"]) == 5


def test_a_stream_is_named_by_its_arn_too(kinesis):
    name = new_stream(kinesis)
    arn = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/{name}"
    assert (
        kinesis.describe_stream_summary(StreamARN=arn)["StreamDescriptionSummary"]["StreamName"]
        == name
    )
    other = f"arn:aws:kinesis:us-east-1:111111111111:stream/{name}"
    code, message, _ = error_of(kinesis.describe_stream, StreamARN=other)
    assert (code, message) == (
        "ResourceNotFoundException",
        f"Stream {name} under account 111111111111 not found.",
    )


def test_list_streams_pages_by_name_with_summaries(kinesis):
    prefix = unique("listed")
    names = [f"{prefix}-{i}" for i in range(3)]
    for name in reversed(names):
        kinesis.create_stream(StreamName=name, ShardCount=1)
    seen = []
    token = None
    while True:
        page = kinesis.list_streams(Limit=2, **({"NextToken": token} if token else {}))
        assert len(page["StreamNames"]) <= 2
        assert [s["StreamName"] for s in page["StreamSummaries"]] == page["StreamNames"]
        seen += page["StreamSummaries"]
        if not page["HasMoreStreams"]:
            assert "NextToken" not in page
            break
        token = page["NextToken"]
    mine = [s for s in seen if s["StreamName"].startswith(prefix)]
    assert [s["StreamName"] for s in mine] == names
    assert mine[0]["StreamARN"].endswith(f":stream/{names[0]}")
    assert mine[0]["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    after = kinesis.list_streams(ExclusiveStartStreamName=names[0])["StreamNames"]
    assert names[0] not in after and names[1] in after


def test_a_deleted_stream_is_gone_with_its_records(kinesis):
    name = new_stream(kinesis)
    kinesis.put_record(StreamName=name, Data=b"old", PartitionKey="k")
    kinesis.delete_stream(StreamName=name)
    kinesis.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    assert name not in kinesis.list_streams(ExclusiveStartStreamName=name[:-1])["StreamNames"]
    kinesis.create_stream(StreamName=name, ShardCount=1)
    iterator = kinesis.get_shard_iterator(
        StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    assert kinesis.get_records(ShardIterator=iterator)["Records"] == []


def test_retention_period_goes_up_and_down_within_aws_bounds(kinesis):
    name = new_stream(kinesis)
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=168)
    assert (
        kinesis.describe_stream(StreamName=name)["StreamDescription"]["RetentionPeriodHours"] == 168
    )
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=168)  # same
    kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["RetentionPeriodHours"] == 48


@pytest.mark.parametrize(
    ("operation", "hours", "message"),
    [
        (
            "increase_stream_retention_period",
            23,
            "Minimum allowed retention period is 24 hours. Requested retention period (23 hours)"
            " is too short.",
        ),
        (
            "increase_stream_retention_period",
            8761,
            "Maximum allowed retention period is 8760 hours. Requested retention period (8761"
            " hours) is too long.",
        ),
        (
            "increase_stream_retention_period",
            30,
            "Requested retention period (30 hours) for stream {name} can not be shorter than"
            " existing retention period (48 hours). Use DecreaseRetentionPeriod API.",
        ),
        (
            "decrease_stream_retention_period",
            72,
            "Requested retention period (72 hours) for stream {name} can not be longer than"
            " existing retention period (48 hours). Use IncreaseRetentionPeriod API.",
        ),
    ],
)
def test_retention_changes_out_of_bounds_are_refused(kinesis, operation, hours, message):
    name = new_stream(kinesis)
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    code, text, _ = error_of(
        getattr(kinesis, operation), StreamName=name, RetentionPeriodHours=hours
    )
    assert (code, text) == ("InvalidArgumentException", message.format(name=name))


def test_describe_limits_counts_open_provisioned_shards(kinesis):
    before = kinesis.describe_limits()
    new_stream(kinesis, shards=2)
    after = kinesis.describe_limits()
    assert after["ShardLimit"] == 500
    assert after["OpenShardCount"] == before["OpenShardCount"] + 2
    assert after["OnDemandStreamCountLimit"] == 50


def test_enhanced_monitoring_is_enabled_and_disabled(kinesis):
    name = new_stream(kinesis)
    enabled = kinesis.enable_enhanced_monitoring(
        StreamName=name, ShardLevelMetrics=["IncomingBytes", "OutgoingRecords"]
    )
    assert enabled["CurrentShardLevelMetrics"] == []
    assert enabled["DesiredShardLevelMetrics"] == ["IncomingBytes", "OutgoingRecords"]
    everything = kinesis.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["ALL"])
    assert len(everything["DesiredShardLevelMetrics"]) == 7
    disabled = kinesis.disable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["ALL"])
    assert disabled["DesiredShardLevelMetrics"] == []
    described = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert described["EnhancedMonitoring"] == [{"ShardLevelMetrics": []}]


def test_stream_encryption_is_reported_on_the_stream_and_its_records(kinesis):
    name = new_stream(kinesis)
    kinesis.start_stream_encryption(
        StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis"
    )
    described = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert (described["EncryptionType"], described["KeyId"]) == ("KMS", "alias/aws/kinesis")
    assert (
        kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")["EncryptionType"] == "KMS"
    )
    kinesis.stop_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    assert kinesis.describe_stream(StreamName=name)["StreamDescription"]["EncryptionType"] == "NONE"


def test_a_stream_switched_to_on_demand_refuses_update_shard_count(kinesis):
    name = new_stream(kinesis)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    code, message, _ = error_of(
        kinesis.update_shard_count,
        StreamName=name,
        TargetShardCount=2,
        ScalingType="UNIFORM_SCALING",
    )
    assert code == "ValidationException"
    assert message == (
        f"Request is invalid. Stream {name} under account {ACCOUNT} is in On-Demand mode."
    )


def test_a_larger_max_record_size_lets_larger_records_in(kinesis):
    name = new_stream(kinesis)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    big = b"x" * (1024 * 1024 + 1)
    assert error_of(kinesis.put_record, StreamName=name, Data=big, PartitionKey="k")[0] == (
        "ValidationException"
    )
    kinesis.update_max_record_size(StreamARN=arn, MaxRecordSizeInKiB=2048)
    assert (
        kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
            "MaxRecordSizeInKiB"
        ]
        == 2048
    )
    assert kinesis.put_record(StreamName=name, Data=big, PartitionKey="k")["ShardId"]
