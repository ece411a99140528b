"""DynamoDB Streams -> Lambda through event source mappings, end to end: a function keeping an
index table in step with a table through boto3, records in AWS's shape, starting positions,
filters on the change, the on-failure record of a discarded batch, bisection on a function
error, and batch item failures reported by the function."""

from __future__ import annotations

import datetime
import json
import time

import pytest
from esm_support import observe, queue, quiet
from lambda_support import create_function, unique
from stream_support import RECORDER, bodies_seen, streamed_table

from conftest import client

# Keeps INDEX (email -> user id) in step with the users table, as its stream tells.
INDEXER = """
import os
import boto3

index = boto3.resource("dynamodb").Table(os.environ["INDEX"])

def handler(event, context):
    for record in event["Records"]:
        change = record["dynamodb"]
        old, new = change.get("OldImage"), change.get("NewImage")
        if old and (new is None or old["email"]["S"] != new["email"]["S"]):
            index.delete_item(Key={"email": old["email"]["S"]})
        if new:
            index.put_item(Item={"email": new["email"]["S"], "user": new["id"]["S"]})
"""


@pytest.fixture(scope="module")
def dynamodb(server):
    return client(server, "dynamodb")


@pytest.fixture(scope="module")
def streams(server):
    return client(server, "dynamodbstreams")


@pytest.fixture
def observer(sqs) -> str:
    return queue(sqs, unique("observer"))[0]


def recorder(lam, observer: str, **environment: str) -> str:
    name = unique("ddb-recorder")
    variables = {"OBSERVER": observer, **environment}
    create_function(lam, name, RECORDER, Timeout=5, Environment={"Variables": variables})
    return name


def item(identifier: str, body: str, **more: str) -> dict:
    return {
        "id": {"S": identifier},
        "body": {"S": body},
        **{name: {"S": value} for name, value in more.items()},
    }


def test_a_stream_keeps_an_index_table_in_step_through_a_function(lam, dynamodb):
    users = unique("users")
    stream = streamed_table(dynamodb, users)
    index = unique("emails")
    dynamodb.create_table(
        TableName=index,
        KeySchema=[{"AttributeName": "email", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "email", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    function = unique("indexer")
    create_function(lam, function, INDEXER, Timeout=10, Environment={"Variables": {"INDEX": index}})
    lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=function, StartingPosition="LATEST", BatchSize=10
    )
    for number in range(20):
        dynamodb.put_item(TableName=users, Item=item(f"u{number}", "", email=f"{number}@old"))
    for number in range(0, 20, 2):
        dynamodb.update_item(
            TableName=users,
            Key={"id": {"S": f"u{number}"}},
            UpdateExpression="SET email = :e",
            ExpressionAttributeValues={":e": {"S": f"{number}@new"}},
        )
    for number in range(15, 20):
        dynamodb.delete_item(TableName=users, Key={"id": {"S": f"u{number}"}})
    expected = {
        f"{number}@{'new' if number % 2 == 0 else 'old'}": f"u{number}" for number in range(15)
    }
    deadline = time.monotonic() + 30
    while True:
        rows = dynamodb.scan(TableName=index, ConsistentRead=True)["Items"]
        found = {row["email"]["S"]: row["user"]["S"] for row in rows}
        if found == expected or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert found == expected


def test_records_reach_the_function_in_aws_shape(lam, dynamodb, sqs, observer):
    table = unique("shape")
    stream = streamed_table(dynamodb, table)
    lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=recorder(lam, observer), StartingPosition="LATEST"
    )
    dynamodb.put_item(TableName=table, Item=item("a", "one"))
    dynamodb.put_item(TableName=table, Item=item("a", "two"))
    dynamodb.delete_item(TableName=table, Key={"id": {"S": "a"}})
    reports = []
    while sum(len(r["records"]) for r in reports) < 3:
        reports += observe(sqs, observer, 1)
    reports.sort(key=lambda report: report["started"])
    records = [record for report in reports for record in report["records"]]
    assert [record["eventName"] for record in records] == ["INSERT", "MODIFY", "REMOVE"]
    inserted, modified, removed = records
    assert list(inserted) == [
        "eventID",
        "eventName",
        "eventVersion",
        "eventSource",
        "awsRegion",
        "dynamodb",
        "eventSourceARN",
    ]
    assert (inserted["eventSource"], inserted["eventVersion"]) == ("aws:dynamodb", "1.1")
    assert (inserted["awsRegion"], inserted["eventSourceARN"]) == ("us-east-1", stream)
    change = inserted["dynamodb"]
    assert change["Keys"] == {"id": {"S": "a"}}
    assert change["NewImage"] == item("a", "one")
    assert "OldImage" not in change
    assert change["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert abs(change["ApproximateCreationDateTime"] - time.time()) < 60
    assert change["SizeBytes"] > 0
    assert modified["dynamodb"]["OldImage"] == item("a", "one")
    assert modified["dynamodb"]["NewImage"] == item("a", "two")
    assert removed["dynamodb"]["OldImage"] == item("a", "two")
    assert "NewImage" not in removed["dynamodb"]
    numbers = [int(record["dynamodb"]["SequenceNumber"]) for record in records]
    assert numbers == sorted(numbers)


def test_trim_horizon_reads_the_changes_made_before_the_mapping(lam, dynamodb, sqs, observer):
    table = unique("history")
    stream = streamed_table(dynamodb, table)
    dynamodb.put_item(TableName=table, Item=item("a", "before"))
    lam.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=recorder(lam, observer),
        StartingPosition="TRIM_HORIZON",
    )
    dynamodb.put_item(TableName=table, Item=item("b", "after"))
    batches = bodies_seen(sqs, observer, 2)
    assert [body for batch in batches for body in batch] == ["before", "after"]


def test_latest_starts_with_the_next_change(lam, dynamodb, sqs, observer):
    table = unique("fresh")
    stream = streamed_table(dynamodb, table)
    dynamodb.put_item(TableName=table, Item=item("a", "before"))
    lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=recorder(lam, observer), StartingPosition="LATEST"
    )
    dynamodb.put_item(TableName=table, Item=item("b", "after"))
    assert bodies_seen(sqs, observer, 1) == [["after"]]
    assert quiet(sqs, observer, 1) == []


def test_filters_match_the_change_itself(lam, dynamodb, sqs, observer):
    table = unique("filtered")
    stream = streamed_table(dynamodb, table)
    pattern = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"status": {"S": ["active"]}}}}
    lam.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=recorder(lam, observer),
        StartingPosition="LATEST",
        FilterCriteria={"Filters": [{"Pattern": json.dumps(pattern)}]},
    )
    dynamodb.put_item(TableName=table, Item=item("a", "inactive", status="inactive"))
    dynamodb.put_item(TableName=table, Item=item("b", "active", status="active"))
    dynamodb.put_item(TableName=table, Item=item("b", "modified", status="active"))
    dynamodb.put_item(TableName=table, Item=item("c", "active-too", status="active"))
    batches = bodies_seen(sqs, observer, 2)
    assert [body for batch in batches for body in batch] == ["active", "active-too"]
    assert quiet(sqs, observer, 1) == []


def test_a_discarded_batch_is_recorded_with_its_dynamodb_batch_info(
    lam, dynamodb, streams, sqs, observer
):
    table = unique("failing")
    stream = streamed_table(dynamodb, table)
    failures_url, failures = queue(sqs, unique("failures"))
    function = recorder(lam, observer)
    lam.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=function,
        StartingPosition="LATEST",
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": failures}},
    )
    dynamodb.put_item(TableName=table, Item=item("x", "bad"))
    (failure,) = observe(sqs, failures_url, 1)
    (report,) = observe(sqs, observer, 1)
    (record,) = report["records"]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 1
    assert failure["responseContext"]["functionError"] == "Unhandled"
    info = failure["DDBStreamBatchInfo"]
    number = record["dynamodb"]["SequenceNumber"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == (number, number)
    assert (info["batchSize"], info["streamArn"]) == (1, stream)
    (shard,) = streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"]
    assert info["shardId"] == shard["ShardId"]
    arrival = datetime.datetime.strptime(
        info["approximateArrivalOfFirstRecord"], "%Y-%m-%dT%H:%M:%SZ"
    ).replace(tzinfo=datetime.UTC)
    assert abs(arrival.timestamp() - time.time()) < 60
    dynamodb.put_item(TableName=table, Item=item("y", "fine"))
    assert bodies_seen(sqs, observer, 1) == [["fine"]]


def sequence_numbers(streams, stream: str) -> list[str]:
    """The sequence numbers of the stream's records, oldest first."""
    (shard,) = streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    return [record["dynamodb"]["SequenceNumber"] for record in records]


def test_bisect_isolates_a_bad_change_whose_failure_record_reaches_the_destination(
    lam, dynamodb, streams, sqs, observer
):
    table = unique("bisected")
    stream = streamed_table(dynamodb, table)
    sent = ["ok-0", "ok-1", "bad-2", "ok-3"]
    for number, body in enumerate(sent):
        dynamodb.put_item(TableName=table, Item=item(f"k{number}", body))
    numbers = sequence_numbers(streams, stream)
    failures_url, failures = queue(sqs, unique("failures"))
    lam.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=recorder(lam, observer),
        StartingPosition="TRIM_HORIZON",
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": failures}},
    )
    (failure,) = observe(sqs, failures_url, 1)
    # [all four] fails, then [ok-0, ok-1] succeeds, [bad-2, ok-3] fails and splits, [bad-2]
    # fails twice (one retry) and is discarded, then [ok-3] succeeds.
    assert bodies_seen(sqs, observer, 10) == [
        sent,
        ["ok-0", "ok-1"],
        ["bad-2", "ok-3"],
        ["bad-2"],
        ["bad-2"],
        ["ok-3"],
    ]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 4
    info = failure["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == (numbers[2], numbers[2])
    assert (info["batchSize"], info["streamArn"]) == (1, stream)


def test_report_batch_item_failures_resumes_at_the_lowest_failed_change(
    lam, dynamodb, sqs, observer
):
    table = unique("reported")
    stream = streamed_table(dynamodb, table)
    for number, body in enumerate(["r-0", "r-1", "flaky-2", "r-3", "flaky-4"]):
        dynamodb.put_item(TableName=table, Item=item(f"k{number}", body))
    lam.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=recorder(lam, observer, MODE="report"),
        StartingPosition="TRIM_HORIZON",
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    # Both flaky changes are reported the first time; the batch resumes at the first of them.
    assert bodies_seen(sqs, observer, 8) == [
        ["r-0", "r-1", "flaky-2", "r-3", "flaky-4"],
        ["flaky-2", "r-3", "flaky-4"],
    ]
    assert quiet(sqs, observer, 1) == []
