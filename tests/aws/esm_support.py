"""What the event source mapping tests share: a function that reports each invocation to an
observer queue, a package with Powertools, and waits on what functions saw."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import aws_lambda_powertools
import jmespath
import typing_extensions

# Reports every invocation (its records, when it ran, its trace id) to the OBSERVER queue,
# sleeps SLEEP seconds, fails when a body is "fail", and answers ANSWER (JSON) otherwise.
RECORDER = """
import json, os, time
import boto3

sqs = boto3.client("sqs")

def handler(event, context):
    started = time.time()
    time.sleep(float(os.environ.get("SLEEP", "0")))
    sqs.send_message(
        QueueUrl=os.environ["OBSERVER"],
        MessageBody=json.dumps({
            "records": event["Records"],
            "started": started,
            "ended": time.time(),
            "trace": os.environ.get("_X_AMZN_TRACE_ID", ""),
        }),
    )
    if any(record["body"] == "fail" for record in event["Records"]):
        raise RuntimeError("asked to fail")
    return json.loads(os.environ.get("ANSWER", "null"))
"""

# Powertools' BatchProcessor: each record reported to OBSERVER; "poison" fails its record.
POWERTOOLS = """
import json, os
import boto3
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor, EventType, process_partial_response,
)

sqs = boto3.client("sqs")
processor = BatchProcessor(event_type=EventType.SQS)

def record_handler(record):
    sqs.send_message(
        QueueUrl=os.environ["OBSERVER"],
        MessageBody=json.dumps({
            "id": record.message_id,
            "body": record.body,
            "receives": record.attributes.approximate_receive_count,
        }),
    )
    if record.body == "poison":
        raise ValueError("poison")

def handler(event, context):
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
"""


# Powertools as the test extras install it, with what it imports.
POWERTOOLS_MODULES = [aws_lambda_powertools, jmespath, typing_extensions]


def package_with(code_dir: Path, source: str, modules: list[ModuleType]) -> Path:
    """A function's code directory: app.py beside links to installed modules (the test
    extras' Powertools and what it needs), as a deployment package would hold them."""
    code_dir.mkdir(parents=True, exist_ok=True)
    (code_dir / "app.py").write_text(source)
    for module in modules:
        origin = Path(str(module.__file__))
        installed = origin.parent if origin.name == "__init__.py" else origin
        (code_dir / installed.name).symlink_to(installed)
    return code_dir


def queue(sqs: Any, name: str, **attributes: str) -> tuple[str, str]:
    """A new queue's URL and ARN."""
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


def observe(sqs: Any, url: str, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
    """The first `count` reports on the observer queue `url`, waiting up to `timeout`."""
    reports: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(reports) < count and time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in answer.get("Messages", []):
            reports.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert len(reports) >= count, f"{len(reports)} of {count} reports in {timeout} s: {reports}"
    return reports


def quiet(sqs: Any, url: str, seconds: float) -> list[dict[str, Any]]:
    """Reports that arrive on `url` within `seconds` (to show that nothing more comes)."""
    reports = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        wait = max(0, min(int(left), 20))
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait)
        for message in answer.get("Messages", []):
            reports.append(json.loads(message["Body"]))
        if wait == 0:
            break
    return reports


def counts(sqs: Any, url: str) -> tuple[int, int]:
    """(visible, in flight) messages of a queue."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def drained(sqs: Any, url: str, timeout: float = 10.0) -> bool:
    """Whether the queue holds nothing, visible or in flight, within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if counts(sqs, url) == (0, 0):
            return True
        time.sleep(0.05)
    return False


def most_at_once(reports: list[dict[str, Any]]) -> int:
    """The most invocations that ran at the same moment, from their start and end times."""
    edges = sorted(
        [(report["started"], 1) for report in reports]
        + [(report["ended"], -1) for report in reports]
    )
    running = highest = 0
    for _, step in edges:
        running += step
        highest = max(highest, running)
    return highest


def observe_records(sqs: Any, url: str, count: int, timeout: float = 20.0) -> list[dict]:
    """The reports on `url` until they hold `count` records, in the order the batches ran."""
    reports: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while sum(len(r["records"]) for r in reports) < count and time.monotonic() < deadline:
        reports += observe(sqs, url, 1, timeout=max(deadline - time.monotonic(), 1))
    return sorted(reports, key=lambda report: report["started"])
