"""What the stream event source mapping tests share: streams and tables to map, and a function
that reports each invocation to an observer queue and fails on demand."""

from __future__ import annotations

import base64
import time
from typing import Any

from esm_support import observe

# Reports each invocation (its records, their payloads, when it ran) to OBSERVER. A payload
# (a Kinesis record's data, or a DynamoDB NewImage's `body`) starting with "bad" fails the
# invocation, or is reported as a batch item failure (MODE=report); one starting with "flaky"
# fails only the first time this environment sees it. MODE=unknown reports a record that is
# not in the batch.
RECORDER = """
import base64, json, os, time
import boto3

sqs = boto3.client("sqs")
SEEN = set()

def payload(record):
    if "kinesis" in record:
        return base64.b64decode(record["kinesis"]["data"]).decode()
    image = record["dynamodb"].get("NewImage") or {}
    return image.get("body", {}).get("S", "")

def number(record):
    if "kinesis" in record:
        return record["kinesis"]["sequenceNumber"]
    return record["dynamodb"]["SequenceNumber"]

def failing(record):
    body = payload(record)
    if body.startswith("flaky"):
        first = number(record) not in SEEN
        SEEN.add(number(record))
        return first
    return body.startswith("bad")

def handler(event, context):
    started = time.time()
    time.sleep(float(os.environ.get("SLEEP", "0")))
    records = event["Records"]
    sqs.send_message(
        QueueUrl=os.environ["OBSERVER"],
        MessageBody=json.dumps({
            "records": records,
            "bodies": [payload(r) for r in records],
            "started": started,
            "ended": time.time(),
        }),
    )
    failed = [r for r in records if failing(r)]
    if os.environ.get("MODE") == "unknown":
        return {"batchItemFailures": [{"itemIdentifier": "no-such-record"}]}
    if os.environ.get("MODE") == "report":
        return {"batchItemFailures": [{"itemIdentifier": number(r)} for r in failed]}
    if failed:
        raise RuntimeError("asked to fail")
    return None
"""


def kinesis_stream(kinesis: Any, name: str, shards: int = 1) -> str:
    """A new, active Kinesis stream's ARN."""
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    return str(summary["StreamARN"])


def streamed_table(dynamodb: Any, name: str, view: str = "NEW_AND_OLD_IMAGES") -> str:
    """A new table keyed by `id` (S) with a stream; the stream's ARN."""
    table = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
    )
    return str(table["TableDescription"]["LatestStreamArn"])


def put_records(kinesis: Any, stream: str, bodies: list[str], key: str = "key") -> list[str]:
    """Write `bodies` in order, one record each under partition key `key`; their numbers."""
    numbers = []
    for body in bodies:
        put = kinesis.put_record(StreamName=stream, Data=body.encode(), PartitionKey=key)
        numbers.append(put["SequenceNumber"])
    return numbers


def bodies_seen(sqs: Any, observer: str, count: int, timeout: float = 20.0) -> list[list[str]]:
    """The payloads of each invocation, in the order they ran, until `count` were seen."""
    reports: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while sum(len(r["bodies"]) for r in reports) < count and time.monotonic() < deadline:
        reports += observe(sqs, observer, 1, timeout=max(deadline - time.monotonic(), 1))
    reports.sort(key=lambda report: report["started"])
    return [report["bodies"] for report in reports]


def decoded(record: dict[str, Any]) -> str:
    return base64.b64decode(record["kinesis"]["data"]).decode()
