"""kill -9 in the middle of stream processing: after a restart, the stream event source
mapping resumes from its checkpoints, losing and reordering nothing.

Records `key:n` (n counting up per key) are written to a Kinesis stream of two shards, or as
item changes to a DynamoDB table with a stream; a mapping with small batches runs a function
that reports each batch to an observer queue, slowly enough that the server is killed
(SIGKILL) while batches are being processed. After the restart every record must reach the
function, and for each key the first delivery of `n` must come before the first of `n + 1`
(batches run again after the crash are counted and printed: at least once, as on AWS).
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config as BotoConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))

from lambda_support import create_function
from stream_support import RECORDER, kinesis_stream, streamed_table

from server import Server

pytestmark = pytest.mark.slow

KEYS = 8
PER_KEY = 40


def client(server: Server, service: str):
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=BotoConfig(retries={"max_attempts": 3}),
    )


def write_kinesis(server: Server, name: str, bodies: list[tuple[str, str]]) -> None:
    kinesis = client(server, "kinesis")
    for start in range(0, len(bodies), 50):
        chunk = bodies[start : start + 50]
        entries = [{"Data": body.encode(), "PartitionKey": key} for key, body in chunk]
        answer = kinesis.put_records(StreamName=name, Records=entries)
        assert answer["FailedRecordCount"] == 0


def write_dynamodb(server: Server, name: str, bodies: list[tuple[str, str]]) -> None:
    dynamodb = client(server, "dynamodb")
    for key, body in bodies:
        dynamodb.put_item(TableName=name, Item={"id": {"S": key}, "body": {"S": body}})


@pytest.mark.parametrize("source", ["kinesis", "dynamodb"])
def test_a_kill9_mid_stream_loses_and_reorders_nothing(tmp_path, source):
    server = Server(tmp_path / "state").start()
    try:
        sqs, lam = client(server, "sqs"), client(server, "lambda")
        observer = sqs.create_queue(QueueName="observer")["QueueUrl"]
        variables = {"OBSERVER": observer, "SLEEP": "0.05"}
        create_function(lam, "consumer", RECORDER, Timeout=10, Environment={"Variables": variables})
        if source == "kinesis":
            arn = kinesis_stream(client(server, "kinesis"), "chaos", shards=2)
        else:
            arn = streamed_table(client(server, "dynamodb"), "chaos")
        lam.create_event_source_mapping(
            EventSourceArn=arn,
            FunctionName="consumer",
            StartingPosition="TRIM_HORIZON",
            BatchSize=5,
            ParallelizationFactor=2,
        )
        bodies = [(f"k{key}", f"k{key}:{n}") for n in range(PER_KEY) for key in range(KEYS)]
        (write_kinesis if source == "kinesis" else write_dynamodb)(server, "chaos", bodies)

        reports = collect(sqs, observer, lambda reports: len(reports) >= 10, timeout=30)
        server.restart(signal.SIGKILL)
        wanted = {body for _, body in bodies}
        assert not wanted <= delivered(reports), "every record was done before the kill"
        sqs = client(server, "sqs")
        reports += collect(
            sqs, observer, lambda reports: wanted <= delivered(reports), timeout=90, ahead=reports
        )
    finally:
        server.stop()

    seen = delivered(reports)
    assert wanted - seen == set(), f"lost: {sorted(wanted - seen)[:10]}"
    first: dict[str, list[int]] = {}
    total = 0
    for report in sorted(reports, key=lambda report: report["started"]):
        for body in report["bodies"]:
            total += 1
            key, n = body.split(":")
            if int(n) not in first.setdefault(key, []):
                first[key].append(int(n))
    assert first == {f"k{key}": list(range(PER_KEY)) for key in range(KEYS)}
    print(f"\n{source}: {len(wanted)} records, {total - len(wanted)} delivered again after kill -9")


def delivered(reports: list[dict]) -> set[str]:
    return {body for report in reports for body in report["bodies"]}


def collect(sqs, url: str, enough, timeout: float, ahead: list[dict] | None = None) -> list[dict]:
    """Reports from the observer queue until `enough(all reports so far)` or the timeout."""
    reports: list[dict] = []
    deadline = time.monotonic() + timeout
    while not enough((ahead or []) + reports) and time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in answer.get("Messages", []):
            reports.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return reports
