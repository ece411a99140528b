"""MaximumRecordAgeInSeconds on a server whose stream records age 60 times faster
(CLOUDLET_STREAM_AGE_SCALE=60: the 60-second minimum passes in a second): records too old
are discarded, retried or not yet invoked, with a RecordAgeExceeded failure record."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from esm_support import observe, queue, quiet
from lambda_support import create_function, unique
from stream_support import RECORDER, bodies_seen, kinesis_stream, put_records

from conftest import client
from server import Server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def aging(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"CLOUDLET_STREAM_AGE_SCALE": "60"}
    instance = Server(tmp_path_factory.mktemp("aging"), env).start()
    yield instance
    instance.stop()


def test_a_batch_retried_past_its_maximum_age_is_discarded(aging):
    lam, kinesis, sqs = client(aging, "lambda"), client(aging, "kinesis"), client(aging, "sqs")
    observer = queue(sqs, unique("observer"))[0]
    failures_url, failures = queue(sqs, unique("failures"))
    function = unique("failing")
    create_function(lam, function, RECORDER, Environment={"Variables": {"OBSERVER": observer}})
    name = unique("stream")
    arn = kinesis_stream(kinesis, name)
    lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=function,
        StartingPosition="LATEST",
        MaximumRecordAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": failures}},
    )
    numbers = put_records(kinesis, name, ["bad-forever"])
    (failure,) = observe(sqs, failures_url, 1, timeout=10)
    assert failure["requestContext"]["condition"] == "RecordAgeExceeded"
    assert failure["requestContext"]["approximateInvokeCount"] >= 1
    assert failure["responseContext"]["functionError"] == "Unhandled"
    info = failure["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["batchSize"]) == (numbers[0], 1)
    put_records(kinesis, name, ["fine"])
    seen: list[str] = []
    while "fine" not in seen:
        seen += [body for report in observe(sqs, observer, 1) for body in report["bodies"]]
    assert set(seen) == {"bad-forever", "fine"}


def test_records_already_too_old_are_discarded_without_an_invocation(aging):
    lam, kinesis, sqs = client(aging, "lambda"), client(aging, "kinesis"), client(aging, "sqs")
    observer = queue(sqs, unique("observer"))[0]
    failures_url, failures = queue(sqs, unique("failures"))
    function = unique("recorder")
    create_function(lam, function, RECORDER, Environment={"Variables": {"OBSERVER": observer}})
    name = unique("stream")
    arn = kinesis_stream(kinesis, name)
    numbers = put_records(kinesis, name, ["old-1", "old-2"])
    time.sleep(1.5)  # 90 scaled seconds
    lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=function,
        StartingPosition="TRIM_HORIZON",
        MaximumRecordAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": failures}},
    )
    (failure,) = observe(sqs, failures_url, 1, timeout=10)
    assert failure["requestContext"]["condition"] == "RecordAgeExceeded"
    assert failure["requestContext"]["approximateInvokeCount"] == 0
    info = failure["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == tuple(numbers)
    assert quiet(sqs, observer, 0.5) == []
    put_records(kinesis, name, ["new"])
    assert bodies_seen(sqs, observer, 1) == [["new"]]
