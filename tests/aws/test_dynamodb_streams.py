"""DynamoDB Streams and TTL through boto3: records in AWS's format, iterators, TTL deletes."""

from __future__ import annotations

import time
from typing import Any

import pytest
from dynamodb_support import create_table, dynamodb_client, error_of


@pytest.fixture
def ddb(server: Any) -> Any:
    return dynamodb_client(server)


@pytest.fixture
def streams(server: Any) -> Any:
    return dynamodb_client(server, "dynamodbstreams")


def streamed_table(ddb: Any, view: str = "NEW_AND_OLD_IMAGES") -> tuple[str, str]:
    name = create_table(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": view}
    return name, table["LatestStreamArn"]


def all_records(streams: Any, arn: str, kind: str = "TRIM_HORIZON") -> list[dict[str, Any]]:
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType=kind)[
        "ShardIterator"
    ]
    return streams.get_records(ShardIterator=iterator)["Records"]


def test_records_follow_writes_in_order_in_aws_format(ddb: Any, streams: Any) -> None:
    name, arn = streamed_table(ddb)
    key = {"pk": {"S": "a"}}
    ddb.put_item(TableName=name, Item={**key, "v": {"N": "1"}})
    ddb.put_item(TableName=name, Item={**key, "v": {"N": "1"}})  # changes nothing: no record
    ddb.update_item(
        TableName=name,
        Key=key,
        UpdateExpression="SET v = :two",
        ExpressionAttributeValues={":two": {"N": "2"}},
    )
    ddb.delete_item(TableName=name, Key=key)
    ddb.delete_item(TableName=name, Key=key)  # nothing to delete: no record
    records = all_records(streams, arn)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    insert, modify, remove = records
    assert insert["eventSource"] == "aws:dynamodb"
    assert insert["eventVersion"] == "1.1"
    assert insert["awsRegion"] == "us-east-1"
    assert len(insert["eventID"]) == 32
    body = insert["dynamodb"]
    assert body["Keys"] == key
    assert body["NewImage"] == {**key, "v": {"N": "1"}}
    assert "OldImage" not in body
    assert body["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert body["SizeBytes"] > 0
    assert body["ApproximateCreationDateTime"].timestamp() == pytest.approx(time.time(), abs=60)
    assert modify["dynamodb"]["OldImage"]["v"] == {"N": "1"}
    assert modify["dynamodb"]["NewImage"]["v"] == {"N": "2"}
    assert remove["dynamodb"]["OldImage"]["v"] == {"N": "2"}
    assert "NewImage" not in remove["dynamodb"]
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    assert all(len(r["dynamodb"]["SequenceNumber"]) >= 21 for r in records)


@pytest.mark.parametrize(
    ("view", "images"),
    [("KEYS_ONLY", set()), ("NEW_IMAGE", {"NewImage"}), ("OLD_IMAGE", {"OldImage"})],
)
def test_view_types_choose_the_images(ddb: Any, streams: Any, view: str, images: set[str]) -> None:
    name, arn = streamed_table(ddb, view)
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "2"}})
    modify = all_records(streams, arn)[1]["dynamodb"]
    assert {k for k in modify if k.endswith("Image")} == images
    assert modify["StreamViewType"] == view


def test_iterator_types_position_the_reader(ddb: Any, streams: Any) -> None:
    name, arn = streamed_table(ddb)
    for i in range(3):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}})
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    first = all_records(streams, arn)
    second_seq = first[1]["dynamodb"]["SequenceNumber"]

    def read(kind: str, **more: Any) -> list[str]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType=kind, **more
        )["ShardIterator"]
        answer = streams.get_records(ShardIterator=iterator)
        return [r["dynamodb"]["Keys"]["pk"]["S"] for r in answer["Records"]]

    assert read("AT_SEQUENCE_NUMBER", SequenceNumber=second_seq) == ["k1", "k2"]
    assert read("AFTER_SEQUENCE_NUMBER", SequenceNumber=second_seq) == ["k2"]
    latest = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
    )["ShardIterator"]
    assert streams.get_records(ShardIterator=latest)["Records"] == []
    ddb.put_item(TableName=name, Item={"pk": {"S": "k3"}})
    answer = streams.get_records(ShardIterator=latest)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in answer["Records"]] == ["k3"]
    follow = streams.get_records(ShardIterator=answer["NextShardIterator"])
    assert follow["Records"] == [] and "NextShardIterator" in follow


def test_update_table_turns_a_stream_on_once(ddb: Any, streams: Any) -> None:
    name = create_table(ddb)
    ddb.put_item(TableName=name, Item={"pk": {"S": "before"}})
    assert "LatestStreamArn" not in ddb.describe_table(TableName=name)["Table"]
    answer = ddb.update_table(
        TableName=name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    )["TableDescription"]
    assert answer["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    arn = answer["LatestStreamArn"]
    assert arn == f"{answer['TableArn']}/stream/{answer['LatestStreamLabel']}"
    assert streams.list_streams(TableName=name)["Streams"][0]["StreamArn"] == arn
    ddb.put_item(TableName=name, Item={"pk": {"S": "after"}})
    records = all_records(streams, arn)  # only the writes since the stream began
    assert [r["dynamodb"]["NewImage"] for r in records] == [{"pk": {"S": "after"}}]
    assert error_of(
        ddb.update_table,
        TableName=name,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    ) == ("ValidationException", f"Table already has an enabled stream: TableName: {name}")
    assert ddb.describe_table(TableName=name)["Table"]["StreamSpecification"]["StreamViewType"] == (
        "NEW_IMAGE"
    )
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    assert error_of(
        ddb.update_table, TableName=name, StreamSpecification={"StreamEnabled": False}
    ) == ("ValidationException", f"Table has no stream to disable: TableName: {name}")


@pytest.mark.parametrize(
    ("operation", "spec", "message"),
    [
        (
            "create_table",
            {"StreamEnabled": True},
            "Table is being created with a stream enabled, UpdateViewType is required",
        ),
        (
            "create_table",
            {"StreamEnabled": False, "StreamViewType": "KEYS_ONLY"},
            "Table is being created with a stream disabled, UpdateViewType should not be specified",
        ),
        (
            "update_table",
            {"StreamEnabled": True},
            "If stream is being enabled then UpdateViewType is required",
        ),
        (
            "update_table",
            {"StreamEnabled": False, "StreamViewType": "KEYS_ONLY"},
            "If stream is being disabled, then UpdateViewType must not be specified",
        ),
    ],
)
def test_stream_specifications_without_their_view_type_rule_are_refused(
    ddb: Any, operation: str, spec: dict[str, Any], message: str
) -> None:
    name = create_table(ddb) if operation == "update_table" else "never-created"
    params: dict[str, Any] = {"TableName": name, "StreamSpecification": spec}
    if operation == "create_table":
        params.update(
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    assert error_of(getattr(ddb, operation), **params) == (
        "ValidationException",
        f"One or more parameter values were invalid: {message}",
    )


def test_list_and_describe_streams(ddb: Any, streams: Any) -> None:
    name, arn = streamed_table(ddb, "KEYS_ONLY")
    listed = streams.list_streams(TableName=name)["Streams"]
    assert listed == [{"StreamArn": arn, "TableName": name, "StreamLabel": arn.rsplit("/", 1)[1]}]
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamStatus"] == "ENABLED"
    assert description["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    closed = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert closed["StreamStatus"] == "DISABLED"
    assert "EndingSequenceNumber" in closed["Shards"][0]["SequenceNumberRange"]
    assert ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"] == arn
    code, _ = error_of(streams.describe_stream, StreamArn=arn + "x")
    assert code == "ResourceNotFoundException"


def test_malformed_iterators_are_refused(streams: Any) -> None:
    code, _ = error_of(streams.get_records, ShardIterator="not-an-iterator-at-all")
    assert code == "ExpiredIteratorException"


def test_ttl_is_described_and_expired_items_are_deleted_with_a_service_record(
    ddb: Any, streams: Any
) -> None:
    name, arn = streamed_table(ddb)
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "DISABLED"
    }
    past = str(int(time.time()) - 60)
    ddb.put_item(TableName=name, Item={"pk": {"S": "old"}, "ttl": {"N": past}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "keep"}, "ttl": {"N": str(2**40)}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "text"}, "ttl": {"S": past}})
    # More than five years in the past: TTL ignores the item, as AWS does.
    ancient = str(int(time.time()) - 6 * 365 * 24 * 3600)
    ddb.put_item(TableName=name, Item={"pk": {"S": "ancient"}, "ttl": {"N": ancient}})
    answer = ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )
    assert answer["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "ttl"}
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": "ttl",
    }
    code, message = error_of(
        ddb.update_time_to_live,
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"},
    )
    assert (code, message) == ("ValidationException", "TimeToLive is already enabled")
    ddb.put_item(TableName=name, Item={"pk": {"S": "later"}, "ttl": {"N": past}})
    deadline = time.time() + 10
    while time.time() < deadline:
        remaining = {i["pk"]["S"] for i in ddb.scan(TableName=name)["Items"]}
        if remaining == {"keep", "text", "ancient"}:
            break
        time.sleep(0.2)
    assert remaining == {"keep", "text", "ancient"}
    removals = [r for r in all_records(streams, arn) if r["eventName"] == "REMOVE"]
    assert {r["dynamodb"]["Keys"]["pk"]["S"] for r in removals} == {"old", "later"}
    assert all(
        r["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
        for r in removals
    )


def test_items_and_their_records_survive_a_crash_in_order(tmp_path: Any) -> None:
    import signal

    from server import Server

    server = Server(tmp_path).start()
    try:
        ddb, streams = dynamodb_client(server), dynamodb_client(server, "dynamodbstreams")
        name, arn = streamed_table(ddb, "KEYS_ONLY")
        for i in range(20):
            ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i:02d}"}})
        server.restart(signal.SIGKILL)
        ddb, streams = dynamodb_client(server), dynamodb_client(server, "dynamodbstreams")
        assert ddb.scan(TableName=name, Select="COUNT")["Count"] == 20
        keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in all_records(streams, arn)]
        assert keys == [f"k{i:02d}" for i in range(20)]
    finally:
        server.stop()
