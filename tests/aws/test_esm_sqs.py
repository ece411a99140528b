"""SQS -> Lambda through event source mappings, end to end: records as AWS shapes them,
deletes, retries after the visibility timeout, dead-letter queues, partial batch failures
(with Powertools' BatchProcessor), filters, batching windows, concurrency, FIFO order,
disabling, throttles, trace headers, and mappings that outlive a restart."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path

import pytest
from esm_support import (
    POWERTOOLS,
    POWERTOOLS_MODULES,
    RECORDER,
    counts,
    drained,
    most_at_once,
    observe,
    observe_records,
    package_with,
    queue,
    quiet,
)
from lambda_support import ROLE, RUNTIME, create_function, unique

from conftest import client
from server import Server


@pytest.fixture
def observer(sqs) -> str:
    """The queue functions report their invocations to."""
    return queue(sqs, unique("observer"))[0]


def recorder(lam, observer: str, **environment: str) -> str:
    """A function that reports each invocation to `observer`; its name."""
    name = unique("recorder")
    variables = {"OBSERVER": observer, **environment}
    create_function(lam, name, RECORDER, Timeout=2, Environment={"Variables": variables})
    return name


def map_queue(lam, arn: str, function: str, **settings) -> str:
    return lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=function, **settings)[
        "UUID"
    ]


def test_records_reach_the_function_in_aws_shape_and_are_deleted(lam, sqs, observer):
    url, arn = queue(sqs, unique("shape"), VisibilityTimeout="5")
    map_queue(lam, arn, recorder(lam, observer))
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody='{"order": 1}',
        MessageAttributes={
            "Author": {"DataType": "String", "StringValue": "Grisham"},
            "Weeks": {"DataType": "Number", "StringValue": "6"},
            "Blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    (report,) = observe(sqs, observer, 1)
    (record,) = report["records"]
    assert list(record) == [
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfMessageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    ]
    assert record["messageId"] == sent["MessageId"]
    assert record["body"] == '{"order": 1}'
    assert record["md5OfBody"] == hashlib.md5(b'{"order": 1}').hexdigest()
    assert record["md5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert (record["eventSource"], record["eventSourceARN"], record["awsRegion"]) == (
        "aws:sqs",
        arn,
        "us-east-1",
    )
    attributes = record["attributes"]
    assert list(attributes) == [
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    ]
    assert attributes["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"] == {
        "Author": {
            "stringValue": "Grisham",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "Weeks": {
            "stringValue": "6",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Number",
        },
        "Blob": {
            "binaryValue": base64.b64encode(b"\x00\x01").decode(),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }
    assert drained(sqs, url)


def test_a_message_without_attributes_has_an_empty_map_and_no_digest(lam, sqs, observer):
    url, arn = queue(sqs, unique("plain"), VisibilityTimeout="5")
    map_queue(lam, arn, recorder(lam, observer))
    sqs.send_message(QueueUrl=url, MessageBody="plain text")
    (record,) = observe(sqs, observer, 1)[0]["records"]
    assert record["messageAttributes"] == {}
    assert "md5OfMessageAttributes" not in record


def test_a_failed_batch_returns_after_the_visibility_timeout_then_goes_to_the_dlq(
    lam, sqs, observer
):
    dlq_url, dlq_arn = queue(sqs, unique("dlq"))
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url, arn = queue(sqs, unique("failing"), VisibilityTimeout="2", RedrivePolicy=policy)
    map_queue(lam, arn, recorder(lam, observer))
    sent = sqs.send_message(QueueUrl=url, MessageBody="fail")
    first, second = observe(sqs, observer, 2)
    receives = [r["records"][0]["attributes"]["ApproximateReceiveCount"] for r in (first, second)]
    assert receives == ["1", "2"]
    # Not before the visibility timeout is over.
    first_receive = int(first["records"][0]["attributes"]["ApproximateFirstReceiveTimestamp"])
    assert second["started"] - first_receive / 1000 >= 1.9
    moved = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=10)["Messages"]
    assert [m["MessageId"] for m in moved] == [sent["MessageId"]]
    assert quiet(sqs, observer, 1) == []
    assert counts(sqs, url) == (0, 0)


def test_powertools_partial_batch_failure_retries_only_the_failing_message(
    lam, sqs, observer, tmp_path: Path
):
    dlq_url, dlq_arn = queue(sqs, unique("dlq"))
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url, arn = queue(sqs, unique("partial"), VisibilityTimeout="3", RedrivePolicy=policy)
    code = package_with(tmp_path / "code", POWERTOOLS, POWERTOOLS_MODULES)
    name = unique("powertools")
    lam.create_function(
        FunctionName=name,
        Runtime=RUNTIME,
        Role=ROLE,
        Handler="app.handler",
        Code={"S3Bucket": "cloudlet-local", "S3Key": str(code)},
        Timeout=3,
        Environment={"Variables": {"OBSERVER": observer}},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=name,
        BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        Enabled=False,
    )["UUID"]
    entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(["a", "poison", "b"])]
    sent = sqs.send_message_batch(QueueUrl=url, Entries=entries)["Successful"]
    poison = next(s["MessageId"] for s in sent if s["Id"] == "1")
    lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    reports = observe(sqs, observer, 4, timeout=30)
    first_round = sorted(r["body"] for r in reports[:3])
    assert first_round == ["a", "b", "poison"]
    assert (reports[3]["id"], reports[3]["receives"]) == (poison, "2")
    moved = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=10)["Messages"]
    assert [m["MessageId"] for m in moved] == [poison]
    assert quiet(sqs, observer, 1) == []
    assert counts(sqs, url) == (0, 0)


@pytest.mark.parametrize(
    "answer",
    [
        {"batchItemFailures": [{"foo": "not an identifier"}]},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]},
        "a string, not a response",
    ],
)
def test_a_malformed_batch_response_fails_the_whole_batch(lam, sqs, observer, answer):
    url, arn = queue(sqs, unique("malformed"), VisibilityTimeout="2")
    function = recorder(lam, observer, ANSWER=json.dumps(answer))
    map_queue(lam, arn, function, FunctionResponseTypes=["ReportBatchItemFailures"])
    sqs.send_message(QueueUrl=url, MessageBody="one")
    first, second = observe(sqs, observer, 2)
    assert first["records"][0]["messageId"] == second["records"][0]["messageId"]
    assert second["records"][0]["attributes"]["ApproximateReceiveCount"] == "2"


@pytest.mark.parametrize("answer", [None, {}, {"batchItemFailures": []}, {"other": 1}])
def test_an_empty_batch_response_is_a_success(lam, sqs, observer, answer):
    url, arn = queue(sqs, unique("empty-answer"), VisibilityTimeout="2")
    function = recorder(lam, observer, ANSWER=json.dumps(answer))
    map_queue(lam, arn, function, FunctionResponseTypes=["ReportBatchItemFailures"])
    sqs.send_message(QueueUrl=url, MessageBody="one")
    observe(sqs, observer, 1)
    assert drained(sqs, url)


def test_records_no_filter_matches_are_deleted_without_invoking(lam, sqs, observer):
    url, arn = queue(sqs, unique("filtered"), VisibilityTimeout="5")
    map_queue(
        lam,
        arn,
        recorder(lam, observer),
        FilterCriteria={
            "Filters": [
                {"Pattern": json.dumps({"body": {"kind": ["keep"]}})},
                {"Pattern": json.dumps({"body": {"total": [{"numeric": [">", 100]}]}})},
            ]
        },
        Enabled=False,
    )
    bodies = ['{"kind": "keep"}', '{"kind": "drop"}', '{"total": 150}', "keep", '{"total": 5']
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    uuid = lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"][0]["UUID"]
    lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    reports = observe(sqs, observer, 1)
    time.sleep(0.3)
    reports += quiet(sqs, observer, 0.5)
    delivered = sorted(record["body"] for report in reports for record in report["records"])
    assert delivered == ['{"kind": "keep"}', '{"total": 150}']
    assert drained(sqs, url)


def test_a_plain_text_filter_matches_a_body_that_is_not_json(lam, sqs, observer):
    url, arn = queue(sqs, unique("text-filter"), VisibilityTimeout="5")
    pattern = json.dumps({"body": [{"prefix": "order-"}]})
    map_queue(lam, arn, recorder(lam, observer), FilterCriteria={"Filters": [{"Pattern": pattern}]})
    sqs.send_message(QueueUrl=url, MessageBody='{"id": "order-1"}')
    sqs.send_message(QueueUrl=url, MessageBody="order-2")
    (report,) = observe(sqs, observer, 1)
    assert [record["body"] for record in report["records"]] == ["order-2"]
    assert drained(sqs, url)


def test_a_batching_window_gathers_messages_into_one_invocation(lam, sqs, observer):
    url, arn = queue(sqs, unique("window"), VisibilityTimeout="10")
    map_queue(lam, arn, recorder(lam, observer), BatchSize=50, MaximumBatchingWindowInSeconds=2)
    first_sent = time.time()
    for index in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{index}")
        time.sleep(0.2)
    (report,) = observe(sqs, observer, 1)
    assert sorted(r["body"] for r in report["records"]) == ["m0", "m1", "m2"]
    assert report["started"] - first_sent >= 1.5  # it waited for the window to close
    assert quiet(sqs, observer, 0.5) == []


def test_a_full_batch_does_not_wait_for_the_window(lam, sqs, observer):
    url, arn = queue(sqs, unique("full"), VisibilityTimeout="10")
    map_queue(lam, arn, recorder(lam, observer), BatchSize=20, MaximumBatchingWindowInSeconds=30)
    entries = [{"Id": str(i), "MessageBody": f"m{i}"} for i in range(10)]
    sent_at = time.time()
    sqs.send_message_batch(QueueUrl=url, Entries=entries)
    sqs.send_message_batch(QueueUrl=url, Entries=entries)
    (report,) = observe(sqs, observer, 1, timeout=10)
    assert len(report["records"]) == 20
    assert report["started"] - sent_at < 5


def test_maximum_concurrency_bounds_the_batches_in_flight(lam, sqs, observer):
    url, arn = queue(sqs, unique("bounded"), VisibilityTimeout="10")
    function = recorder(lam, observer, SLEEP="0.4")
    map_queue(lam, arn, function, BatchSize=1, ScalingConfig={"MaximumConcurrency": 2})
    for start in range(0, 8, 4):
        entries = [{"Id": str(i), "MessageBody": f"m{i}"} for i in range(start, start + 4)]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    reports = observe(sqs, observer, 8)
    assert most_at_once(reports) == 2


def test_a_backlog_scales_out_beyond_one_batch_at_a_time(lam, sqs, observer):
    url, arn = queue(sqs, unique("backlog"), VisibilityTimeout="10")
    map_queue(lam, arn, recorder(lam, observer, SLEEP="0.4"), BatchSize=1)
    entries = [{"Id": str(i), "MessageBody": f"m{i}"} for i in range(10)]
    sqs.send_message_batch(QueueUrl=url, Entries=entries)
    reports = observe(sqs, observer, 10)
    assert most_at_once(reports) >= 4


def test_a_throttled_function_is_retried_without_losing_messages(lam, sqs, observer):
    url, arn = queue(sqs, unique("throttled"), VisibilityTimeout="10")
    function = recorder(lam, observer, SLEEP="0.2")
    lam.put_function_concurrency(FunctionName=function, ReservedConcurrentExecutions=1)
    map_queue(lam, arn, function, BatchSize=1, ScalingConfig={"MaximumConcurrency": 5})
    entries = [{"Id": str(i), "MessageBody": f"m{i}"} for i in range(6)]
    sqs.send_message_batch(QueueUrl=url, Entries=entries)
    reports = observe(sqs, observer, 6)
    assert most_at_once(reports) == 1
    bodies = sorted(report["records"][0]["body"] for report in reports)
    assert bodies == [f"m{i}" for i in range(6)]
    # Retried invocations, not redeliveries: every message was received once.
    assert {r["records"][0]["attributes"]["ApproximateReceiveCount"] for r in reports} == {"1"}
    assert drained(sqs, url)


def test_fifo_messages_reach_the_function_in_group_order(lam, sqs, observer):
    url, arn = queue(
        sqs,
        unique("ordered") + ".fifo",
        FifoQueue="true",
        ContentBasedDeduplication="true",
        VisibilityTimeout="10",
    )
    map_queue(lam, arn, recorder(lam, observer), BatchSize=2)
    for index in range(6):
        for group in ("a", "b"):
            sqs.send_message(QueueUrl=url, MessageBody=f"{group}{index}", MessageGroupId=group)
    reports = observe_records(sqs, observer, 12)
    assert max(len(report["records"]) for report in reports) <= 2
    seen = [record for report in reports for record in report["records"]]
    for group in ("a", "b"):
        bodies = [r["body"] for r in seen if r["attributes"]["MessageGroupId"] == group]
        assert bodies == [f"{group}{index}" for index in range(6)]
    attributes = seen[0]["attributes"]
    assert list(attributes) == [
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SequenceNumber",
        "MessageGroupId",
        "SenderId",
        "MessageDeduplicationId",
        "ApproximateFirstReceiveTimestamp",
    ]
    assert drained(sqs, url)


def test_a_failing_fifo_message_holds_back_its_group(lam, sqs, observer):
    url, arn = queue(
        sqs,
        unique("held") + ".fifo",
        FifoQueue="true",
        ContentBasedDeduplication="true",
        VisibilityTimeout="2",
    )
    map_queue(lam, arn, recorder(lam, observer), BatchSize=1)
    sqs.send_message(QueueUrl=url, MessageBody="fail", MessageGroupId="g")
    sqs.send_message(QueueUrl=url, MessageBody="after", MessageGroupId="g")
    reports = observe(sqs, observer, 2)
    # The group's next message waits: the failed one comes again first.
    assert [r["records"][0]["body"] for r in reports] == ["fail", "fail"]


def test_a_disabled_mapping_leaves_messages_in_the_queue(lam, sqs, observer):
    url, arn = queue(sqs, unique("disabled"), VisibilityTimeout="5")
    uuid = map_queue(lam, arn, recorder(lam, observer))
    disabled = lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    assert disabled["State"] == "Disabling"
    assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Disabled"
    sqs.send_message(QueueUrl=url, MessageBody="waits")
    assert quiet(sqs, observer, 1) == []
    assert counts(sqs, url) == (1, 0)
    assert lam.update_event_source_mapping(UUID=uuid, Enabled=True)["State"] == "Enabling"
    (report,) = observe(sqs, observer, 1)
    assert report["records"][0]["body"] == "waits"


def test_a_deleted_mapping_stops_polling(lam, sqs, observer):
    url, arn = queue(sqs, unique("deleted"), VisibilityTimeout="5")
    uuid = map_queue(lam, arn, recorder(lam, observer))
    lam.delete_event_source_mapping(UUID=uuid)
    sqs.send_message(QueueUrl=url, MessageBody="stays")
    assert quiet(sqs, observer, 1) == []
    assert counts(sqs, url) == (1, 0)


def test_an_idle_mapping_starts_a_batch_as_soon_as_a_message_arrives(lam, sqs, observer):
    url, arn = queue(sqs, unique("idle"), VisibilityTimeout="5")
    map_queue(lam, arn, recorder(lam, observer))
    sqs.send_message(QueueUrl=url, MessageBody="warm up")
    observe(sqs, observer, 1)
    time.sleep(1.5)  # idle: the mapping waits in a long poll
    sent_at = time.time()
    sqs.send_message(QueueUrl=url, MessageBody="now")
    (report,) = observe(sqs, observer, 1)
    assert report["started"] - sent_at < 0.5


def test_the_trace_header_reaches_the_function(lam, sqs, observer):
    url, arn = queue(sqs, unique("traced"), VisibilityTimeout="5")
    map_queue(lam, arn, recorder(lam, observer))
    root = "Root=1-5759e988-bd862e3fe1be46a994272793"
    sqs.send_message(
        QueueUrl=url,
        MessageBody="traced",
        MessageSystemAttributes={
            "AWSTraceHeader": {"DataType": "String", "StringValue": f"{root};Sampled=1"}
        },
    )
    (report,) = observe(sqs, observer, 1)
    assert report["trace"].startswith(root)
    assert report["records"][0]["attributes"]["AWSTraceHeader"].startswith(root)


def test_mappings_poll_again_after_a_restart(tmp_path: Path):
    server = Server(tmp_path / "restarted").start()
    try:
        lam, sqs = client(server, "lambda"), client(server, "sqs")
        observer = queue(sqs, "observer")[0]
        url, arn = queue(sqs, "source", VisibilityTimeout="5")
        uuid = map_queue(lam, arn, recorder(lam, observer))
        server.restart()
        lam, sqs = client(server, "lambda"), client(server, "sqs")
        assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled"
        sqs.send_message(QueueUrl=url, MessageBody="after restart")
        (report,) = observe(sqs, observer, 1)
        assert report["records"][0]["body"] == "after restart"
    finally:
        server.stop()
