"""DynamoDB's time windows, on a server where they pass 28,800 times faster
(CLOUDLET_DYNAMODB_WINDOW_SCALE): stream records are kept 3 seconds instead of 24 hours, a
ClientRequestToken is remembered a fiftieth of a second instead of 10 minutes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from dynamodb_support import create_table, dynamodb_client, error_of

from server import Server

TRIMMED = (
    "TrimmedDataAccessException",
    "The data you are trying to access has been trimmed",
)


@pytest.fixture(scope="module")
def fast_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    instance = Server(
        tmp_path_factory.mktemp("windows"), env={"CLOUDLET_DYNAMODB_WINDOW_SCALE": "28800"}
    ).start()
    yield instance
    instance.stop()


def test_stream_records_past_retention_are_trimmed(fast_server: Server) -> None:
    ddb, streams = dynamodb_client(fast_server), dynamodb_client(fast_server, "dynamodbstreams")
    name = create_table(
        ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    )
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]

    def iterator(kind: str, **more: Any) -> str:
        return streams.get_shard_iterator(  # type: ignore[no-any-return]
            StreamArn=arn, ShardId=shard, ShardIteratorType=kind, **more
        )["ShardIterator"]

    def keys(shard_iterator: str) -> list[str]:
        records = streams.get_records(ShardIterator=shard_iterator)["Records"]
        return [r["dynamodb"]["Keys"]["pk"]["S"] for r in records]

    ddb.put_item(TableName=name, Item={"pk": {"S": "k0"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "k1"}})
    early = iterator("TRIM_HORIZON")
    first, second = (
        r["dynamodb"]["SequenceNumber"] for r in streams.get_records(ShardIterator=early)["Records"]
    )
    # Both records age out (3 seconds here); until then AFTER_SEQUENCE_NUMBER of the first
    # still reads the second.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            iterator("AFTER_SEQUENCE_NUMBER", SequenceNumber=first)
        except streams.exceptions.TrimmedDataAccessException:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the stream's records were never trimmed")
    ddb.put_item(TableName=name, Item={"pk": {"S": "k2"}})

    assert (
        error_of(
            streams.get_shard_iterator,
            StreamArn=arn,
            ShardId=shard,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=first,
        )
        == TRIMMED
    )
    assert (
        error_of(
            streams.get_shard_iterator,
            StreamArn=arn,
            ShardId=shard,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=second,
        )
        == TRIMMED
    )
    # After the last trimmed record nothing is missing; the oldest record kept is next.
    assert keys(iterator("AFTER_SEQUENCE_NUMBER", SequenceNumber=second)) == ["k2"]
    assert keys(iterator("TRIM_HORIZON")) == ["k2"]
    # An iterator issued before the trim points at records that are gone.
    assert error_of(streams.get_records, ShardIterator=early) == TRIMMED
    described = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    assert int(described["SequenceNumberRange"]["StartingSequenceNumber"]) > int(second)


def test_a_client_request_token_is_forgotten_after_its_window(fast_server: Server) -> None:
    ddb = dynamodb_client(fast_server)
    name = create_table(ddb)

    def put(key: str) -> list[dict[str, Any]]:
        return [{"Put": {"TableName": name, "Item": {"pk": {"S": key}}}}]

    ddb.transact_write_items(TransactItems=put("a"), ClientRequestToken="token-1")
    time.sleep(0.2)  # ten times the window on this server
    # Within the window this would be IdempotentParameterMismatchException (see
    # test_dynamodb_batches); past it the token is new again and the request runs.
    ddb.transact_write_items(TransactItems=put("b"), ClientRequestToken="token-1")
    keys = {item["pk"]["S"] for item in ddb.scan(TableName=name)["Items"]}
    assert keys == {"a", "b"}
