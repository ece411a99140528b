"""Kinesis -> Lambda through event source mappings, end to end: records in AWS's shape and in
order, starting positions, bisection with an on-failure destination, retries, partial batch
failures resuming at the failed record, filters, parallelization, batching windows,
resharding and disabling."""

from __future__ import annotations

import datetime
import json
import time

import pytest
from esm_support import most_at_once, observe, queue, quiet
from lambda_support import ROLE, create_function, unique
from stream_support import RECORDER, bodies_seen, decoded, kinesis_stream, put_records

from conftest import client


@pytest.fixture(scope="module")
def kinesis(server):
    return client(server, "kinesis")


@pytest.fixture
def observer(sqs) -> str:
    return queue(sqs, unique("observer"))[0]


def recorder(lam, observer: str, **environment: str) -> str:
    name = unique("kinesis-recorder")
    variables = {"OBSERVER": observer, **environment}
    create_function(lam, name, RECORDER, Timeout=5, Environment={"Variables": variables})
    return name


def mapped(lam, kinesis, function: str, shards: int = 1, **settings) -> tuple[str, str, str]:
    """A new stream mapped to `function`: (stream name, its ARN, the mapping's UUID)."""
    name = unique("stream")
    arn = kinesis_stream(kinesis, name, shards)
    settings.setdefault("StartingPosition", "TRIM_HORIZON")
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=function, **settings)[
        "UUID"
    ]
    return name, arn, uuid


def test_records_reach_the_function_in_aws_shape(lam, kinesis, sqs, observer):
    function = recorder(lam, observer)
    name, arn, uuid = mapped(lam, kinesis, function, StartingPosition="LATEST")
    put = kinesis.put_record(StreamName=name, Data=b'{"order": 1}', PartitionKey="p-1")
    (report,) = observe(sqs, observer, 1)
    (record,) = report["records"]
    assert list(record) == [
        "kinesis",
        "eventSource",
        "eventVersion",
        "eventID",
        "eventName",
        "invokeIdentityArn",
        "awsRegion",
        "eventSourceARN",
    ]
    inner = record["kinesis"]
    assert list(inner) == [
        "kinesisSchemaVersion",
        "partitionKey",
        "sequenceNumber",
        "data",
        "approximateArrivalTimestamp",
    ]
    assert inner["kinesisSchemaVersion"] == "1.0"
    assert inner["partitionKey"] == "p-1"
    assert inner["sequenceNumber"] == put["SequenceNumber"]
    assert decoded(record) == '{"order": 1}'
    assert abs(inner["approximateArrivalTimestamp"] - time.time()) < 30
    assert record["eventID"] == f"{put['ShardId']}:{put['SequenceNumber']}"
    assert (record["eventSource"], record["eventVersion"], record["eventName"]) == (
        "aws:kinesis",
        "1.0",
        "aws:kinesis:record",
    )
    assert record["invokeIdentityArn"] == ROLE
    assert (record["awsRegion"], record["eventSourceARN"]) == ("us-east-1", arn)
    deadline = time.monotonic() + 5
    while lam.get_event_source_mapping(UUID=uuid)["LastProcessingResult"] != "OK":
        assert time.monotonic() < deadline, "LastProcessingResult never became OK"
        time.sleep(0.05)


def test_records_of_a_shard_arrive_in_order_in_batches_of_batch_size(lam, kinesis, sqs, observer):
    function = recorder(lam, observer)
    name, _, _ = mapped(lam, kinesis, function, BatchSize=7)
    sent = [f"record-{i:03d}" for i in range(40)]
    put_records(kinesis, name, sent)
    batches = bodies_seen(sqs, observer, len(sent))
    assert [body for batch in batches for body in batch] == sent
    assert max(len(batch) for batch in batches) <= 7


def test_trim_horizon_reads_what_was_written_before_the_mapping(lam, kinesis, sqs, observer):
    function = recorder(lam, observer)
    name = unique("stream")
    arn = kinesis_stream(kinesis, name)
    put_records(kinesis, name, ["before-1", "before-2"])
    lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=function, StartingPosition="TRIM_HORIZON"
    )
    put_records(kinesis, name, ["after"])
    batches = bodies_seen(sqs, observer, 3)
    assert [body for batch in batches for body in batch] == ["before-1", "before-2", "after"]


def test_latest_skips_what_was_written_before_the_mapping(lam, kinesis, sqs, observer):
    function = recorder(lam, observer)
    name = unique("stream")
    arn = kinesis_stream(kinesis, name, shards=2)
    put_records(kinesis, name, ["before-a"], key="a")
    put_records(kinesis, name, ["before-b"], key="b")
    lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=function, StartingPosition="LATEST"
    )
    put_records(kinesis, name, ["after-a"], key="a")
    put_records(kinesis, name, ["after-b"], key="b")
    batches = bodies_seen(sqs, observer, 2)
    assert sorted(body for batch in batches for body in batch) == ["after-a", "after-b"]
    assert quiet(sqs, observer, 1) == []


def test_at_timestamp_starts_with_the_first_record_written_at_that_time(
    lam, kinesis, sqs, observer
):
    function = recorder(lam, observer)
    name = unique("stream")
    arn = kinesis_stream(kinesis, name)
    put_records(kinesis, name, ["old"])
    time.sleep(1.1)
    moment = datetime.datetime.now(datetime.UTC)
    time.sleep(0.1)
    put_records(kinesis, name, ["new-1", "new-2"])
    lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=function,
        StartingPosition="AT_TIMESTAMP",
        StartingPositionTimestamp=moment,
    )
    batches = bodies_seen(sqs, observer, 2)
    assert [body for batch in batches for body in batch] == ["new-1", "new-2"]


def test_bisect_isolates_a_bad_record_whose_failure_record_reaches_the_destination(
    lam, kinesis, sqs, observer
):
    function = recorder(lam, observer)
    failures_url, failures = queue(sqs, unique("failures"))
    name = unique("stream")
    arn = kinesis_stream(kinesis, name)
    sent = ["ok-0", "ok-1", "bad-2", "ok-3"]
    numbers = put_records(kinesis, name, sent)
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=function,
        StartingPosition="TRIM_HORIZON",
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": failures}},
    )["UUID"]
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
    assert list(failure) == [
        "requestContext",
        "responseContext",
        "version",
        "timestamp",
        "KinesisBatchInfo",
    ]
    context = failure["requestContext"]
    assert list(context) == ["requestId", "functionArn", "condition", "approximateInvokeCount"]
    assert context["functionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{function}"
    assert context["condition"] == "RetryAttemptsExhausted"
    assert context["approximateInvokeCount"] == 4
    assert failure["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert failure["version"] == "1.0"
    assert failure["timestamp"].endswith("Z") and len(failure["timestamp"]) == 24
    info = failure["KinesisBatchInfo"]
    assert info == {
        "shardId": "shardId-000000000000",
        "startSequenceNumber": numbers[2],
        "endSequenceNumber": numbers[2],
        "approximateArrivalOfFirstRecord": info["approximateArrivalOfFirstRecord"],
        "approximateArrivalOfLastRecord": info["approximateArrivalOfLastRecord"],
        "batchSize": 1,
        "streamArn": arn,
    }
    arrival = datetime.datetime.strptime(
        info["approximateArrivalOfFirstRecord"], "%Y-%m-%dT%H:%M:%S.%fZ"
    ).replace(tzinfo=datetime.UTC)
    assert abs(arrival.timestamp() - time.time()) < 60
    problem = lam.get_event_source_mapping(UUID=uuid)["LastProcessingResult"]
    assert problem in ("OK", "PROBLEM: Function call failed")


def test_without_bisect_a_failing_batch_is_retried_whole_then_discarded(
    lam, kinesis, sqs, observer
):
    function = recorder(lam, observer)
    failures_url, failures = queue(sqs, unique("failures"))
    name = unique("stream")
    arn = kinesis_stream(kinesis, name)
    numbers = put_records(kinesis, name, ["ok-0", "bad-1", "ok-2"])
    lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=function,
        StartingPosition="TRIM_HORIZON",
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": failures}},
    )
    (failure,) = observe(sqs, failures_url, 1)
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    info = failure["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        numbers[0],
        numbers[2],
        3,
    )
    put_records(kinesis, name, ["ok-3"])
    assert bodies_seen(sqs, observer, 10) == [["ok-0", "bad-1", "ok-2"]] * 3 + [["ok-3"]]


def test_report_batch_item_failures_resumes_at_the_lowest_failed_record(
    lam, kinesis, sqs, observer
):
    function = recorder(lam, observer, MODE="report")
    name = unique("stream")
    arn = kinesis_stream(kinesis, name)
    put_records(kinesis, name, ["r-0", "r-1", "flaky-2", "r-3", "flaky-4"])
    lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=function,
        StartingPosition="TRIM_HORIZON",
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    # Both flaky records are reported the first time; the batch resumes at the first of them.
    assert bodies_seen(sqs, observer, 8) == [
        ["r-0", "r-1", "flaky-2", "r-3", "flaky-4"],
        ["flaky-2", "r-3", "flaky-4"],
    ]
    assert quiet(sqs, observer, 1) == []


def test_an_empty_failure_list_is_a_success(lam, kinesis, sqs, observer):
    function = recorder(lam, observer, MODE="report")
    failures_url, failures = queue(sqs, unique("failures"))
    name, _, _ = mapped(
        lam,
        kinesis,
        function,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": failures}},
    )
    put_records(kinesis, name, ["fine"])
    assert bodies_seen(sqs, observer, 1) == [["fine"]]
    assert quiet(sqs, failures_url, 1) == []
    assert quiet(sqs, observer, 0.5) == []


def test_a_response_naming_no_record_of_the_batch_fails_it_whole(lam, kinesis, sqs, observer):
    function = recorder(lam, observer, MODE="unknown")
    failures_url, failures = queue(sqs, unique("failures"))
    name, _, _ = mapped(
        lam,
        kinesis,
        function,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": failures}},
    )
    entries = [{"Data": body, "PartitionKey": "key"} for body in (b"one", b"two")]
    put = kinesis.put_records(StreamName=name, Records=entries)["Records"]
    numbers = [entry["SequenceNumber"] for entry in put]
    (failure,) = observe(sqs, failures_url, 1)
    assert bodies_seen(sqs, observer, 4) == [["one", "two"], ["one", "two"]]
    info = failure["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == (numbers[0], numbers[1])
    # The function itself succeeded: no function error, the partial response was the problem.
    assert failure["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": None,
    }


def test_filters_let_through_only_matching_records_and_the_stream_moves_on(
    lam, kinesis, sqs, observer
):
    function = recorder(lam, observer)
    pattern = json.dumps({"data": {"kind": ["keep"]}})
    name, _, _ = mapped(lam, kinesis, function, FilterCriteria={"Filters": [{"Pattern": pattern}]})
    put_records(
        kinesis,
        name,
        [
            json.dumps({"kind": "keep", "n": 1}),
            json.dumps({"kind": "drop", "n": 2}),
            "keep, but not JSON",
            json.dumps({"kind": "keep", "n": 4}),
        ],
    )
    batches = bodies_seen(sqs, observer, 2)
    kept = [json.loads(body)["n"] for batch in batches for body in batch]
    assert kept == [1, 4]
    assert quiet(sqs, observer, 1) == []


def test_parallelization_runs_batches_side_by_side_keeping_each_keys_order(
    lam, kinesis, sqs, observer
):
    function = recorder(lam, observer, SLEEP="0.3")
    name, _, _ = mapped(lam, kinesis, function, BatchSize=2, ParallelizationFactor=5)
    keys = [f"key-{k}" for k in range(10)]
    entries = [
        {"Data": f"{key}:{n}".encode(), "PartitionKey": key} for n in range(4) for key in keys
    ]
    kinesis.put_records(StreamName=name, Records=entries)
    reports = []
    while sum(len(r["bodies"]) for r in reports) < len(entries):
        reports += observe(sqs, observer, 1, timeout=30)
    assert most_at_once(reports) > 1
    reports.sort(key=lambda report: report["started"])
    seen: dict[str, list[int]] = {}
    for report in reports:
        for body in report["bodies"]:
            key, n = body.split(":")
            seen.setdefault(key, []).append(int(n))
    assert seen == {key: [0, 1, 2, 3] for key in keys}


def test_a_batching_window_gathers_records_into_one_invocation(lam, kinesis, sqs, observer):
    function = recorder(lam, observer)
    name, _, _ = mapped(lam, kinesis, function, BatchSize=10, MaximumBatchingWindowInSeconds=2)
    put_records(kinesis, name, ["w-1", "w-2", "w-3"])
    assert bodies_seen(sqs, observer, 3) == [["w-1", "w-2", "w-3"]]


def test_a_split_shards_parent_is_read_to_its_end_before_its_children(lam, kinesis, sqs, observer):
    function = recorder(lam, observer)
    name, _, _ = mapped(lam, kinesis, function)
    put_records(kinesis, name, ["parent-1", "parent-2"])
    kinesis.split_shard(
        StreamName=name,
        ShardToSplit="shardId-000000000000",
        NewStartingHashKey=str(2**127),
    )
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    put_records(kinesis, name, ["child-1", "child-2"])
    batches = bodies_seen(sqs, observer, 4)
    assert [body for batch in batches for body in batch] == [
        "parent-1",
        "parent-2",
        "child-1",
        "child-2",
    ]


def test_a_disabled_mapping_resumes_where_it_stopped(lam, kinesis, sqs, observer):
    function = recorder(lam, observer)
    name, _, uuid = mapped(lam, kinesis, function)
    put_records(kinesis, name, ["first"])
    assert bodies_seen(sqs, observer, 1) == [["first"]]
    lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    put_records(kinesis, name, ["while-disabled"])
    assert quiet(sqs, observer, 1) == []
    lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    assert bodies_seen(sqs, observer, 1) == [["while-disabled"]]


# Counts records per tumbling window in its state, reporting every invocation to OBSERVER.
WINDOW_COUNTER = """
import json, os
import boto3

sqs = boto3.client("sqs")

def handler(event, context):
    state = {"count": event["state"].get("count", 0) + len(event["Records"])}
    sqs.send_message(
        QueueUrl=os.environ["OBSERVER"],
        MessageBody=json.dumps({**{k: v for k, v in event.items() if k != "Records"},
                                "records": len(event["Records"]), "next": state}),
    )
    return {"state": state}
"""


def test_a_tumbling_window_carries_state_and_ends_with_a_final_invocation(
    lam, kinesis, sqs, observer
):
    function = unique("window-counter")
    create_function(
        lam, function, WINDOW_COUNTER, Environment={"Variables": {"OBSERVER": observer}}
    )
    name, arn, _ = mapped(lam, kinesis, function, TumblingWindowInSeconds=2)
    put_records(kinesis, name, ["a", "b", "c"])
    reports: list[dict] = []
    deadline = time.monotonic() + 20
    finals = []
    while sum(final["state"]["count"] for final in finals) < 3:
        assert time.monotonic() < deadline, f"no final invocations for 3 records: {reports}"
        reports += observe(sqs, observer, 1)
        finals = [report for report in reports if report["isFinalInvokeForWindow"]]
    for final in finals:
        assert final["records"] == 0
        assert (final["shardId"], final["eventSourceARN"]) == ("shardId-000000000000", arn)
        assert final["isWindowTerminatedEarly"] is False
        start, end = (
            datetime.datetime.strptime(final["window"][edge], "%Y-%m-%dT%H:%M:%SZ")
            for edge in ("start", "end")
        )
        assert (end - start).total_seconds() == 2 and start.second % 2 == 0
    working = [report for report in reports if not report["isFinalInvokeForWindow"]]
    assert sum(report["records"] for report in working) == 3
    assert working[0]["state"] == {}
